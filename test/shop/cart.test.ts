/**
 * The Gazette's card-paid cart against the real bank: three items in the cart, a checkout page
 * whose card offer the wallet can check (the shop's signature, the order committed by digest,
 * the total), a purchase request built as the wallet builds it and sent to the SDK's card
 * endpoint (the same answer when resent), the operator capturing and refunding one line from
 * the dashboard, the books balancing, and the card number nowhere in the shop's files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectStatus } from '@farthing/bank/bank.fixture';
import { cardSystemAccounts } from '@farthing/bank/store/card-store';
import {
  parseSetMessage,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import { assertOrderCommitted, parseCardOrder } from '@farthing/protocol/set/order';
import {
  type OrderInformation,
  orderInformationDigest,
  type PaymentInformation,
  paymentInformationDigest,
  sealPaymentEnvelope,
  signDualSignature,
} from '@farthing/protocol/set/purchase';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cardholder, fetchGateway, type Gateway, registerCardholder } from '../card/world.ts';
import {
  shopBrowser as browserOf,
  type CheckoutOffer,
  checkoutOffer,
  operatorHeaders as operator,
  operatorAction,
} from './cart.fixture.ts';
import { closeShopWorld, demo, openShopWorld, type ShopWorld } from './world.ts';

let world: ShopWorld;
let gateway: Gateway;
let cardholder: Cardholder;

/** The wallet's side: check the offer, build OI and PI, seal PI, sign DS and the request. */
async function buyWith(offer: CheckoutOffer) {
  const initiation = parseSetMessage('purchase-initiation-response', offer.initiation);
  const merchantKey = parseCertificate(initiation.body.merchantCertificates[0]!).publicKey;
  if (merchantKey.type !== 'ed25519') throw new Error('merchant key');
  verifySetMessage(initiation, merchantKey.raw);
  const order = parseCardOrder(offer.order);
  assertOrderCommitted(order, initiation.body);
  const oi: OrderInformation = {
    transactionId: initiation.body.transactionId,
    merchantId: initiation.body.merchantId,
    gatewayFingerprint: gateway.fingerprint,
    amount: initiation.body.amount,
    orderDigest: initiation.body.orderDigest,
    nonce: crypto.getRandomValues(new Uint8Array(32)),
  };
  const pi: PaymentInformation = {
    transactionId: oi.transactionId,
    merchantId: oi.merchantId,
    gatewayFingerprint: oi.gatewayFingerprint,
    amount: oi.amount,
    ...cardholder.card,
    nonce: crypto.getRandomValues(new Uint8Array(32)),
  };
  const oiDigest = orderInformationDigest(oi);
  const piDigest = paymentInformationDigest(pi);
  const request = setMessageToWire(
    await signSetMessage(
      'purchase-request',
      {
        ...oi,
        piDigest,
        piEnvelope: await sealPaymentEnvelope({
          pi,
          oiDigest,
          gatewayPublicKey: gateway.keyExchangePublicKey,
        }),
        dualSignature: await signDualSignature(cardholder.signer, piDigest, oiDigest),
        cardholderCertificates: [cardholder.certificate, gateway.caCertificate],
      },
      cardholder.signer,
    ),
  );
  return { order, initiation, body: JSON.stringify(request) };
}

async function balance(name: string) {
  return (await world.running.ctx.store.getAccountByName(name))!.balance;
}

beforeAll(async () => {
  world = await openShopWorld();
  gateway = await fetchGateway(world.bank);
  const { cards } = await expectStatus<{
    cards: { cardId: number; pan: string; expiry: string }[];
  }>(
    await world.bank.request('GET', '/v1/accounts/me/cards', { token: world.customer.token }),
    200,
  );
  cardholder = await registerCardholder(
    { bank: world.bank, gateway, bankId: world.running.ctx.config.bankId },
    { name: demo.name, token: world.customer.token },
    { ...cards[0]!, creditLimit: 'EUR 500.00' } as never,
  );
}, 60_000);
afterAll(() => closeShopWorld(world));

describe('the card-paid cart', () => {
  it('sells a cart of three items by card, captures, refunds one line and keeps the books', async () => {
    const reader = browserOf(world);
    for (const item of [
      'print:harbour-dawn',
      'print:harbour-dawn',
      'download:quay-street-rye-loaf.txt',
    ]) {
      expect((await reader.form('/cart/add', { item })).status).toBe(303);
    }
    await reader.form('/cart/add', { item: 'print:wend-valley' });
    const cart = await (await reader.request('/cart')).text();
    expect(cart).toContain('Print: Harbour at Dawn');

    const checkout = await reader.request('/checkout');
    expect(checkout.status).toBe(200);
    const offer = checkoutOffer(await checkout.text());
    const { order, initiation, body } = await buyWith(offer);
    expect(order.lines.map((line) => [line.item, line.quantity])).toEqual([
      ['print:harbour-dawn', 2],
      ['download:quay-street-rye-loaf.txt', 1],
      ['print:wend-valley', 1],
    ]);
    // 2 × 0.03 + 0.04 + 0.02 = 0.12; VAT 20 % = 0.024 → 0.02; shipping 1.20 for the prints.
    expect(order.vat.minor).toBe(2);
    expect(order.shipping.minor).toBe(1_20);
    expect(initiation.body.amount.minor).toBe(1_34);
    expect(offer.purchase).toBe(`${world.shopUrl}/.well-known/farthing/card/purchase`);

    const customerBefore = await balance(demo.name);
    const merchantBefore = await balance(demo.merchant);
    const send = () =>
      fetch(offer.purchase, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const first = await send();
    expect(first.status).toBe(200);
    const answer = await first.json();
    const response = parseSetMessage('purchase-response', answer);
    expect(response.body.status).toBe('authorized');
    expect(await (await send()).json()).toEqual(answer);
    const paidPage = await (await fetch(offer.paid)).text();
    expect(paidPage).toContain('data-status="authorized"');

    // The operator captures from the dashboard.
    const dashboard = await (
      await fetch(`${world.shopUrl}/dashboard`, { headers: operator })
    ).text();
    expect(dashboard).toContain(`data-transaction="${initiation.body.transactionId}"`);
    const act = (path: string, fields: Record<string, string>) =>
      operatorAction(world, path, fields);
    const transaction = initiation.body.transactionId;
    expect((await act('capture', { transaction })).status).toBe(303);
    expect(await balance(demo.merchant)).toBe(merchantBefore + 1_34);
    // A second capture is the gateway's refusal, shown to the operator; nothing moves.
    expect((await act('capture', { transaction })).status).toBe(409);
    expect(await balance(demo.merchant)).toBe(merchantBefore + 1_34);

    // Refund the download: 0.04 and its 20 % VAT, 0.048 → 0.05.
    expect(
      (await act('refund', { transaction, item: 'download:quay-street-rye-loaf.txt' })).status,
    ).toBe(303);
    expect(await balance(demo.merchant)).toBe(merchantBefore + 1_34 - 5);
    const notification = parseSetMessage(
      'purchase-notification',
      await (
        await fetch(`${world.shopUrl}/.well-known/farthing/card/purchases/${transaction}`)
      ).json(),
    );
    expect(notification.body.status).toBe('captured');
    const after = await (await fetch(`${world.shopUrl}/dashboard`, { headers: operator })).text();
    expect(after).toMatch(/data-credited>EUR 0\.05</);

    // The card is a credit card: the customer's account is not touched, the card's credit
    // account carries what is owed; and the bank's books hold.
    expect(await balance(demo.name)).toBe(customerBefore);
    expect(await balance(cardSystemAccounts.holds)).toBe(0);
    expect(await world.problems()).toEqual([]);
  });

  it('reverses an authorization from the dashboard, releasing the hold', async () => {
    const reader = browserOf(world);
    await reader.form('/cart/add', { item: 'download:quay-street-rye-loaf.txt' });
    const offer = checkoutOffer(await (await reader.request('/checkout')).text());
    const { initiation, body } = await buyWith(offer);
    const holds = await balance(cardSystemAccounts.holds);
    const paid = await fetch(offer.purchase, { method: 'POST', body });
    expect(paid.status).toBe(200);
    expect(await balance(cardSystemAccounts.holds)).not.toBe(holds);
    const reversed = await operatorAction(world, 'reverse', {
      transaction: initiation.body.transactionId,
    });
    expect(reversed.status).toBe(303);
    expect(await balance(cardSystemAccounts.holds)).toBe(holds);
    expect(world.shop.merchant.merchantId).toBe(demo.merchant);
    expect(await world.problems()).toEqual([]);
  });

  it('captures a paid cart in the settlement run and counts it on the settlement line', async () => {
    const reader = browserOf(world);
    await reader.form('/cart/add', { item: 'download:quay-street-rye-loaf.txt' });
    const offer = checkoutOffer(await (await reader.request('/checkout')).text());
    const { initiation, body } = await buyWith(offer);
    expect((await fetch(offer.purchase, { method: 'POST', body })).status).toBe(200);
    const before = await balance(demo.merchant);
    const settle = await fetch(`${world.shopUrl}/dashboard/settle`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...operator, origin: world.shopUrl },
    });
    expect(settle.status).toBe(303);
    const location = settle.headers.get('location')!;
    expect(new URL(location, world.shopUrl).searchParams.get('captured')).toBe('1');
    expect((await balance(demo.merchant)) - before).toBe(initiation.body.amount.minor);
    const page = await (await fetch(`${world.shopUrl}${location}`, { headers: operator })).text();
    expect(page).toContain('1 card payment(s) captured');
    expect(world.shop.merchant.card?.purchase(initiation.body.transactionId)?.status).toBe(
      'captured',
    );
    expect(await world.problems()).toEqual([]);
  });

  it('sends readers without the wallet to a plain page, and refuses cross-site cart changes', async () => {
    const reader = browserOf(world);
    expect((await reader.request('/checkout')).headers.get('location')).toBe('/cart');
    const needed = await (await reader.request('/checkout/wallet-needed')).text();
    expect(needed).toContain('A Farthing wallet is needed');
    const hostile = await reader.form(
      '/cart/add',
      { item: 'print:murmuration' },
      'http://evil.example',
    );
    expect(hostile.status).toBe(403);
    expect(await (await reader.request('/cart')).text()).toContain('Your cart is empty');
  });

  it("keeps no card number in any of the shop's files", () => {
    const pan = cardholder.card.pan;
    const forms = [pan, pan.replace(/(\d{4})(?=\d)/g, '$1 '), Buffer.from(pan).toString('base64')];
    for (const file of readdirSync(world.dataDir).filter((name) => name.startsWith('demo-shop'))) {
      const bytes = readFileSync(join(world.dataDir, file)).toString('latin1');
      for (const form of forms) expect(bytes.includes(form), `${form} in ${file}`).toBe(false);
    }
  });
});
