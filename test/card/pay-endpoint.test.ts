/**
 * The card on the SDK's shared paths (issue 14, last part) against the real bank over HTTP: a
 * priced resource's offer lists `card`, its 402 answer names the card initiation endpoint, a
 * cardholder built from the protocol pays the offer with a SET purchase request at the shared
 * pay endpoint (sale: captured at once) and gets the signed purchase response, the receipt and
 * the access grant; a retry gets the same receipt. Refusals with stable codes move no money:
 * card on an offer that does not list it, a purchase request for another offer, a second
 * request for a paid transaction. The books balance after the mixed run.
 */
import { randomUUID } from 'node:crypto';
import type { Merchant as SdkMerchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { offerHash } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { parseSetMessage, verifySetMessage } from '@farthing/protocol/set/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cardCredential,
  cardMerchantOf,
  initiate,
  origin,
  pay,
  payByCard,
  purchaseRequest,
  shopOf,
} from './shop.fixture.ts';
import {
  balances,
  type Cardholder,
  type CardWorld,
  issueCard,
  type Merchant,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
  registerCardholder,
} from './world.ts';

let world: CardWorld;
let merchant: Merchant;
let alice: Cardholder;
let shop: SdkMerchant;
let card: ReturnType<typeof cardMerchantOf>;

beforeAll(async () => {
  world = await openCardWorld();
  merchant = await openMerchant(world, 'pay-shop');
  const customer = await openHttpCustomer(world.bank, 'alice', 0, ['account']);
  alice = await registerCardholder(world, customer, await issueCard(world, customer, 100_00));
  card = cardMerchantOf(world, merchant, 'pay-shop.card.sqlite', 'sale');
  shop = shopOf(world, merchant, card.card);
}, 60_000);

afterAll(async () => {
  await shop?.close();
  card?.store.close();
  await world?.close();
});

const merchantBalance = async () => (await balances(world, merchant.name))[merchant.name]!;

/** Everything the bank holds for cards and this merchant, to show a refusal moved nothing. */
const moneyNow = () => balances(world, merchant.name, alice.customer.name);

async function expectProblem(response: Response, code: string) {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(((await response.json()) as { code: string }).code).toBe(code);
}

describe('a priced resource paid by card at the shared pay endpoint', () => {
  it('lists card in the offer and names the card initiation endpoint in the 402 answer', async () => {
    const result = await shop.handle(
      new Request(`${origin}/articles/tea`, { headers: { accept: 'application/json' } }),
    );
    if (result.action !== 'respond') throw new Error('expected a 402');
    expect(result.response.status).toBe(402);
    const problem = (await result.response.json()) as Record<string, string>;
    expect(parseOfferToken(problem.offer!).instruments).toEqual(['ecash', 'card']);
    expect(problem.cardInitiation).toBe(`${origin}/.well-known/farthing/card/initiation`);
    expect(problem.payEndpoint).toBe(`${origin}/.well-known/farthing/pay`);
  });

  it('sells at once: purchase response, receipt and grant; a retry gets the same receipt', async () => {
    const before = await merchantBalance();
    const { credential, offer } = await payByCard(world, shop, merchant, alice, '/articles/tea');
    const response = await pay(shop, credential);
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie');
    const body = (await response.json()) as {
      receipt: { instrument: string; amount: string; resource: string; offerHash: string };
      grant: { resource: string };
      purchase: unknown;
    };
    expect(body.receipt).toMatchObject({
      instrument: 'card',
      amount: 'EUR 0.40',
      resource: '/articles/tea',
    });
    expect(body.grant.resource).toBe('/articles/tea');
    const purchase = parseSetMessage('purchase-response', body.purchase);
    verifySetMessage(purchase, merchant.signer.publicKey);
    expect(purchase.body.status).toBe('captured');
    expect(card.card.purchase(purchase.body.transactionId)?.orderDigest).toEqual(offerHash(offer));
    expect((await merchantBalance()) - before).toBe(40);

    const again = await pay(shop, credential);
    expect(again.status).toBe(200);
    expect(((await again.json()) as typeof body).receipt).toEqual(body.receipt);
    expect((await merchantBalance()) - before).toBe(40);

    // The grant opens the resource.
    const access = await shop.handle(
      new Request(`${origin}/articles/tea`, { headers: { cookie: cookie!.split(';')[0]! } }),
    );
    expect(access.action).toBe('continue');
    const earnings = await shop.earnings();
    expect(earnings.find((row) => row.instrument === 'card')?.payments).toBe(1);
  });

  it('refuses a card on an offer that does not list it, at initiation and at the pay endpoint', async () => {
    const ecashOnly = shopOf(world, merchant, card.card, ['ecash']);
    try {
      const { token, offer } = await ecashOnly.offerFor('/articles/tea');
      expect(offer.instruments).toEqual(['ecash']);
      const refused = await ecashOnly.handle(
        new Request(`${origin}/.well-known/farthing/card/initiation`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ offer: token }),
        }),
      );
      if (refused.action !== 'respond') throw new Error('expected an answer');
      await expectProblem(refused.response, 'instrument_not_accepted');
      // A transaction the card merchant started for that offer by other means is still refused.
      const initiation = parseSetMessage(
        'purchase-initiation-response',
        await card.card.initiate({
          amount: offer.amount,
          orderDigest: offerHash(offer),
          description: 'off the shared path',
        }),
      );
      const before = await moneyNow();
      const request = await purchaseRequest(world, alice, initiation);
      await expectProblem(
        await pay(ecashOnly, cardCredential(token, request)),
        'instrument_not_accepted',
      );
      expect(await moneyNow()).toEqual(before);
      expect(card.card.purchase(initiation.body.transactionId)?.status).toBe('initiated');
    } finally {
      await ecashOnly.close();
    }
  });

  it('refuses a purchase request for another offer', async () => {
    const before = await moneyNow();
    const tea = await shop.offerFor('/articles/tea');
    const jam = await shop.offerFor('/articles/jam');
    const teaInitiation = await initiate(shop, merchant, tea.token);
    // OI for the tea offer, sent with the jam offer (same price): not the offer it pays.
    const forTea = await purchaseRequest(world, alice, teaInitiation);
    await expectProblem(await pay(shop, cardCredential(jam.token, forTea)), 'set_order_mismatch');
    // OI claiming the jam offer inside the tea offer's transaction: not the order initiated.
    const claimingJam = await purchaseRequest(world, alice, teaInitiation, offerHash(jam.offer));
    await expectProblem(
      await pay(shop, cardCredential(jam.token, claimingJam)),
      'set_order_mismatch',
    );
    // A print costs another amount: OI for the tea's EUR 0.40 does not pay it.
    const print = await shop.offerFor('/prints/1');
    await expectProblem(await pay(shop, cardCredential(print.token, forTea)), 'offer_mismatch');
    expect(await moneyNow()).toEqual(before);
    expect(card.card.purchase(teaInitiation.body.transactionId)?.status).toBe('initiated');
  });

  it('refuses a second, freshly signed request for a transaction already paid (replay)', async () => {
    const first = await payByCard(world, shop, merchant, alice, '/articles/cake');
    expect((await pay(shop, first.credential)).status).toBe(200);
    const before = await moneyNow();
    const payments = (await shop.earnings()).find((row) => row.instrument === 'card')!.payments;
    const second = await purchaseRequest(world, alice, first.initiation);
    await expectProblem(
      await pay(shop, cardCredential(first.token, second)),
      'set_transaction_replayed',
    );
    expect(await moneyNow()).toEqual(before);
    expect((await shop.earnings()).find((row) => row.instrument === 'card')!.payments).toBe(
      payments,
    );
  });

  it('refuses a purchase request for a transaction the shop never started', async () => {
    const { token } = await shop.offerFor('/articles/toast');
    const initiation = await initiate(shop, merchant, token);
    const before = await moneyNow();
    const request = await purchaseRequest(world, alice, {
      ...initiation,
      body: { ...initiation.body, transactionId: `set-${randomUUID()}` },
    });
    await expectProblem(await pay(shop, cardCredential(token, request)), 'set_order_mismatch');
    expect(await moneyNow()).toEqual(before);
  });

  it('refunds a card receipt: its payment record leads to the purchase to credit', async () => {
    const store = new MemoryMerchantStore();
    const refunding = shopOf(world, merchant, card.card, ['card'], store);
    try {
      const { credential } = await payByCard(world, refunding, merchant, alice, '/prints/7');
      const response = await pay(refunding, credential);
      const body = (await response.json()) as { purchase: unknown };
      const { transactionId } = parseSetMessage('purchase-response', body.purchase).body;
      // The grant cookie's value is the stored payment's grant token.
      const token = response.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!;
      const record = await store.findPaymentByGrant(token);
      expect(record?.instrument).toBe('card');
      expect(card.card.transactionOfPayment(record!.credentialId)).toBe(transactionId);
      const before = await merchantBalance();
      expect((await card.card.refund(transactionId, 1_00)).credited.minor).toBe(1_00);
      expect(before - (await merchantBalance())).toBe(1_00);
      expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
    } finally {
      await refunding.close();
    }
  });
});
