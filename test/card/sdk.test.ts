/**
 * The merchant SDK's card instrument against the real bank over HTTP: a wallet built from the
 * protocol buys through `CardMerchant` (initiation, purchase request, the SDK's checks, the
 * gateway's authorization or sale), the settlement job captures, `refund` credits, inquiry and
 * notification answer from the store; then every byte of the merchant's database and log is
 * scanned for the card number in any encoding, and a planted leak shows the scan can fail.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CardMerchant } from '@farthing/merchant-sdk/card';
import { CardPurchaseStore } from '@farthing/merchant-sdk/card/store';
import { amount as money } from '@farthing/protocol/amount';
import { isFarthingError } from '@farthing/protocol/errors';
import {
  parseSetMessage,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balances,
  type Cardholder,
  type CardWorld,
  issueCard,
  type Merchant,
  makePurchase,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
  orderDigestOf,
  registerCardholder,
} from './world.ts';

let world: CardWorld;
let merchant: Merchant;
let alice: Cardholder;
let store: CardPurchaseStore;
let shopLog: string;

const description = 'Gazette shop order: 1 × Farthing enamel mug';

function cardMerchant(
  capture: 'sale' | 'settlement',
  fetch: typeof globalThis.fetch = globalThis.fetch,
): CardMerchant {
  return new CardMerchant({
    merchantId: merchant.name,
    signer: merchant.signer,
    merchantCertificates: merchant.certificates,
    bank: { url: world.bank.url, apiKey: merchant.apiKey, fetch },
    trustedRoots: [world.gateway.caCertificate],
    store,
    capture,
    log: (event, fields) => appendFileSync(shopLog, `${JSON.stringify({ event, ...fields })}\n`),
  });
}

/** The wallet's side: read the initiation, build and sign the purchase request. */
async function purchaseRequest(
  initiation: unknown,
  cardholder: Cardholder,
  orderDescription = description,
) {
  const init = parseSetMessage('purchase-initiation-response', initiation);
  const { parseCertificate } = await import('@farthing/protocol/x509/certificate');
  const merchantKey = parseCertificate(init.body.merchantCertificates[0]!).publicKey;
  if (merchantKey.type !== 'ed25519') throw new Error('merchant key');
  verifySetMessage(init, merchantKey.raw);
  const purchase = await makePurchase(world, cardholder, {
    merchantId: init.body.merchantId,
    amount: init.body.amount.minor,
    description: orderDescription,
    transactionId: init.body.transactionId,
  });
  return setMessageToWire(
    await signSetMessage(
      'purchase-request',
      {
        ...purchase.oi,
        piDigest: purchase.piDigest,
        piEnvelope: purchase.piEnvelope,
        dualSignature: purchase.dualSignature,
        cardholderCertificates: purchase.cardholderCertificates,
      },
      cardholder.signer,
    ),
  );
}

beforeAll(async () => {
  world = await openCardWorld();
  merchant = await openMerchant(world, 'sdk-shop');
  const customer = await openHttpCustomer(world.bank, 'alice', 0, ['account']);
  alice = await registerCardholder(world, customer, await issueCard(world, customer, 100_00));
  store = new CardPurchaseStore(join(world.dir, 'shop-card.sqlite'));
  shopLog = join(world.dir, 'shop.log');
}, 60_000);

afterAll(async () => {
  store?.close();
  await world?.close();
});

describe('the card instrument in the merchant SDK', () => {
  it('sells at once, refunds in two parts, and answers inquiry and notification', async () => {
    const shop = cardMerchant('sale');
    const before = await balances(world, merchant.name);
    const initiation = await shop.initiate({
      amount: money('EUR', 7_50),
      orderDigest: orderDigestOf(description),
      description,
    });
    const request = await purchaseRequest(initiation, alice);
    const response = parseSetMessage('purchase-response', await shop.pay(request));
    verifySetMessage(response, merchant.signer.publicKey);
    expect(response.body.status).toBe('captured');
    // A retried request gets the same answer, and the gateway is not asked again.
    expect(parseSetMessage('purchase-response', await shop.pay(request)).body.receiptId).toBe(
      response.body.receiptId,
    );
    expect((await balances(world, merchant.name))[merchant.name]! - before[merchant.name]!).toBe(
      7_50,
    );

    const id = response.body.transactionId;
    expect((await shop.refund(id, 2_50, { creditId: 'line-mug' })).credited).toEqual(
      money('EUR', 2_50),
    );
    // The same refund sent twice (a form submitted again) gives back nothing more.
    await shop.refund(id, 2_50, { creditId: 'line-mug' }).catch(() => undefined);
    expect((await balances(world, merchant.name))[merchant.name]! - before[merchant.name]!).toBe(
      5_00,
    );
    expect((await shop.refund(id)).credited).toEqual(money('EUR', 7_50));
    expect((await balances(world, merchant.name))[merchant.name]).toBe(before[merchant.name]);

    const inquiry = setMessageToWire(
      await signSetMessage(
        'purchase-inquiry',
        { transactionId: id, requestedAt: Date.now() },
        alice.signer,
      ),
    );
    const answer = parseSetMessage('purchase-inquiry-response', await shop.inquiry(inquiry));
    verifySetMessage(answer, merchant.signer.publicKey);
    expect(answer.body).toMatchObject({ transactionId: id, status: 'captured' });
    const notification = parseSetMessage('purchase-notification', await shop.notify(id));
    verifySetMessage(notification, merchant.signer.publicKey);
  });

  it('authorizes now and captures in the settlement job', async () => {
    const shop = cardMerchant('settlement');
    const before = await balances(world, merchant.name);
    const initiation = await shop.initiate({
      amount: money('EUR', 4_00),
      orderDigest: orderDigestOf(description),
      description,
    });
    const response = parseSetMessage(
      'purchase-response',
      await shop.pay(await purchaseRequest(initiation, alice)),
    );
    expect(response.body.status).toBe('authorized');
    expect((await balances(world, merchant.name))[merchant.name]).toBe(before[merchant.name]);
    expect(await shop.settle()).toBe(1);
    expect((await balances(world, merchant.name))[merchant.name]! - before[merchant.name]!).toBe(
      4_00,
    );
    expect(store.get(response.body.transactionId)?.status).toBe('captured');
  });

  it('retries an authorization whose answer was lost without paying twice', async () => {
    let lose = true;
    // The gateway gets the first authorization and commits it; its answer never arrives.
    const lossy: typeof globalThis.fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (lose && String(input).endsWith('/v1/set/authorizations')) {
        lose = false;
        await response.arrayBuffer();
        throw new TypeError('connection reset');
      }
      return response;
    };
    const shop = cardMerchant('sale', lossy);
    const before = await balances(world, merchant.name);
    const initiation = await shop.initiate({
      amount: money('EUR', 2_00),
      orderDigest: orderDigestOf(description),
      description,
    });
    const request = await purchaseRequest(initiation, alice);
    const lost = await shop.pay(request).catch((e: unknown) => e);
    expect(isFarthingError(lost, 'bank_unavailable')).toBe(true);
    const response = parseSetMessage('purchase-response', await shop.pay(request));
    expect(response.body.status).toBe('captured');
    expect((await balances(world, merchant.name))[merchant.name]! - before[merchant.name]!).toBe(
      2_00,
    );
  });

  it('refuses OI of another order before asking the gateway', async () => {
    const shop = cardMerchant('sale');
    const initiation = await shop.initiate({
      amount: money('EUR', 1_00),
      orderDigest: orderDigestOf(description),
      description,
    });
    const request = await purchaseRequest(initiation, alice, 'some other order');
    const error = await shop.pay(request).catch((e: unknown) => e);
    expect(isFarthingError(error, 'set_order_mismatch')).toBe(true);
  });

  it('keeps the card number out of the merchant database and log, in any encoding', async () => {
    const pan = alice.card.pan;
    const panBytes = Buffer.from(pan, 'ascii');
    const forms = [
      pan,
      pan.replace(/(\d{4})(?=\d)/g, '$1 '),
      pan.replace(/(\d{4})(?=\d)/g, '$1-'),
      panBytes.toString('base64'),
      panBytes.toString('base64url'),
      panBytes.toString('hex'),
      Buffer.from(pan, 'utf16le').toString('latin1'),
    ];
    const scan = () => {
      const files = [
        ...readdirSync(world.dir)
          .filter((name) => name.startsWith('shop-card.sqlite'))
          .map((name) => join(world.dir, name)),
        shopLog,
      ].filter((file) => existsSync(file));
      expect(files.length).toBeGreaterThanOrEqual(2);
      return files.flatMap((file) => {
        const content = readFileSync(file);
        return forms
          .filter((form) => content.includes(Buffer.from(form, 'latin1')))
          .map((form) => `${file}: ${form}`);
      });
    };
    expect(store.withStatus('captured', 10).length).toBeGreaterThan(0);
    expect(scan()).toEqual([]);
    // A planted leak: the shop logs the card number in base64url.
    appendFileSync(
      shopLog,
      `${JSON.stringify({ event: 'oops', card: panBytes.toString('base64url') })}\n`,
    );
    expect(scan().length).toBe(1);
  });

  it('leaves the books balanced', async () => {
    expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
  });
});
