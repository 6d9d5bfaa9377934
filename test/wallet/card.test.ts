/**
 * The wallet's card against the real bank and the real demo shop (fake-indexeddb, real
 * WebCrypto): registration from what a person types, a registration whose answer was lost
 * finished by the certificate query, a card-paid cart whose order is checked against the
 * merchant's signed initiation, a worker that stops after sending the purchase (one
 * authorization at the gateway, the same answer on resume), an inquiry that sees the capture
 * and the refund, and the card number nowhere in IndexedDB outside the sealed record.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminToken, expectStatus } from '@farthing/bank/bank.fixture';
import { cardSystemAccounts } from '@farthing/bank/store/card-store';
import {
  listCards,
  registerCard,
  resumeCardRegistration,
} from '@farthing/extension/wallet/instruments/card/cards';
import { cardCheckout } from '@farthing/extension/wallet/instruments/card/checkout';
import {
  cardOrderDisplay,
  inquireCardPayment,
  inspectCardOffer,
  payCardOffer,
  resumeCardPayments,
} from '@farthing/extension/wallet/instruments/card/purchase';
import {
  type ConfirmationRequest,
  describeOffer,
  payOffer,
} from '@farthing/extension/wallet/pay/pay';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import { signOffer } from '@farthing/protocol/offer';
import { offerToken } from '@farthing/protocol/offer-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutFor, operatorAction } from '../shop/cart.fixture.ts';
import { closeShopWorld, demo, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  crashingFetch,
  freshDbName,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

let world: ShopWorld;
let pan: string;
let expiry: string;

const cart = ['print:harbour-dawn', 'download:quay-street-rye-loaf.txt', 'print:wend-valley'];

beforeAll(async () => {
  world = await openShopWorld();
  const { cards } = await expectStatus<{ cards: { pan: string; expiry: string }[] }>(
    await world.bank.request('GET', '/v1/accounts/me/cards', { token: world.customer.token }),
    200,
  );
  pan = cards[0]!.pan;
  expiry = cards[0]!.expiry;
}, 60_000);
afterAll(() => closeShopWorld(world));

/** The card as a person types it off the plastic: spaced digits, MM/YY. */
const typed = () => ({
  bankUrl: world.running.url,
  cardNumber: pan.replace(/(\d{4})(?=\d)/g, '$1 '),
  expiry: `${expiry.slice(5)}/${expiry.slice(2, 4)}`,
  name: 'DEMO CUSTOMER',
});

/** Every byte IndexedDB holds for the wallet, store by store, as text a scan can search. */
async function databaseText(wallet: Wallet, skip: (store: string, value: unknown) => boolean) {
  const seen: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) seen.push(Buffer.from(value).toString('latin1'));
    else if (typeof value === 'string') seen.push(value);
    else if (typeof value === 'number') seen.push(String(value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null && !(value instanceof CryptoKey)) {
      for (const item of Object.values(value)) walk(item);
    }
  };
  for (const store of wallet.db.objectStoreNames) {
    for (const record of await wallet.db.getAll(store)) {
      walk(skip(store, record) ? { ...(record as object), sealedCard: undefined } : record);
    }
  }
  return seen.join('\n');
}

async function balance(name: string) {
  return (await world.running.ctx.store.getAccountByName(name))!.balance;
}

describe('the card in the wallet', () => {
  it('registers the typed card, resumes a lost answer, and pays a cart after a crash', async () => {
    const dbName = freshDbName();
    const net = crashingFetch();
    let wallet = await openTestWallet(dbName, net.platform);
    await addBankAndLogIn(wallet, world);

    // Bad input changes nothing.
    await expect(
      registerCard(wallet, { ...typed(), cardNumber: '4000 0000 0000 0003' }),
    ).rejects.toMatchObject({ code: 'card_invalid' });
    await expect(registerCard(wallet, { ...typed(), expiry: '13/29' })).rejects.toMatchObject({
      code: 'card_invalid',
    });
    expect(await listCards(wallet)).toEqual([]);

    // The registration reaches the CA; its answer never comes back (the worker stops).
    net.crashAt = { at: net.count + 2, when: 'after' };
    await expect(registerCard(wallet, typed())).rejects.toMatchObject({ code: 'bank_unreachable' });
    expect(net.dead).toBe(true);
    wallet.close();
    const net2 = crashingFetch();
    wallet = await openTestWallet(dbName, net2.platform);
    const [pending] = await listCards(wallet);
    expect(pending).toMatchObject({ status: 'pending', lastFour: pan.slice(-4) });
    const card = await resumeCardRegistration(wallet, pending!.id);
    expect(card).toEqual({ ...pending, status: 'registered' });
    expect(net2.log).toContain('POST /v1/set/certificate-queries');
    expect(net2.log).not.toContain('POST /v1/set/cardholder-registrations');
    expect(JSON.stringify(await listCards(wallet))).not.toContain(pan.slice(0, 12));

    // A cart of three; the window's order is the one the shop signed.
    const offer = await checkoutFor(world, cart);
    const checked = await inspectCardOffer(wallet, world.shopUrl, offer);
    const shown = cardOrderDisplay(checked);
    expect(shown.lines.map((line) => [line.description.split(':')[0], line.quantity])).toEqual([
      ['Print', 1],
      ['Download', 1],
      ['Print', 1],
    ]);
    expect(shown.total).toBe(shown.signedTotal);
    expect(shown.payee).toBe('The Farthing Gazette');
    // A page that edits a line is caught: the order no longer has the signed digest.
    const edited = structuredClone(offer) as { order: { lines: { quantity: number }[] } };
    edited.order.lines[0]!.quantity = 2;
    await expect(inspectCardOffer(wallet, world.shopUrl, edited)).rejects.toMatchObject({
      code: 'offer_invalid',
    });
    // Another page cannot use this shop's offer.
    await expect(inspectCardOffer(wallet, 'http://127.0.0.1:1', offer)).rejects.toMatchObject({
      code: expect.stringMatching(/origin_mismatch|merchant_not_certified/),
    });

    // The worker stops after the purchase went out: written, sent, answer lost.
    const holds = await balance(cardSystemAccounts.holds);
    net2.crashAt = { at: net2.count + 1, when: 'after' };
    await expect(payCardOffer(wallet, checked)).rejects.toMatchObject({
      code: 'merchant_unreachable',
    });
    expect(net2.dead).toBe(true);
    wallet.close();
    const net3 = crashingFetch();
    wallet = await openTestWallet(dbName, net3.platform);
    const sent = await wallet.db.get('cardPayments', checked.initiation.body.transactionId);
    expect(sent?.status).toBe('sent');
    const [resumed] = await resumeCardPayments(wallet);
    expect(resumed).toMatchObject({ status: 'authorized', request: sent!.request });
    // Exactly one authorization: the hold grew by the total once.
    const total = checked.initiation.body.amount.minor;
    expect(await balance(cardSystemAccounts.holds)).toBe(holds + total);
    const merchant = (await world.running.ctx.store.getAccountByName('demo-shop'))!;
    const atGateway = await world.running.ctx.store.cards.getTransaction(
      merchant.id,
      checked.initiation.body.transactionId,
    );
    expect(atGateway).toMatchObject({ status: 'authorized', authorized: total });
    // Paying again is the same purchase, not a second one.
    expect(await payCardOffer(wallet, checked)).toEqual(resumed);

    // "Pay with card" always asks, showing the signed order; declined, nothing is written or sent.
    const next = await checkoutFor(world, [cart[0]!]);
    const asked: ConfirmationRequest[] = [];
    const sentBefore = net3.count;
    const declined = await cardCheckout(
      wallet,
      {
        confirm: async (request) => {
          asked.push(request);
          return false;
        },
      },
      { offerText: JSON.stringify(next), pageUrl: `${world.shopUrl}/checkout` },
    );
    expect(declined).toMatchObject({ status: 'refused', error: { code: 'confirmation_declined' } });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      reason: 'card_payment',
      instrument: 'card',
      payee: { name: 'The Farthing Gazette', origin: world.shopUrl },
      card: { lastFour: pan.slice(-4), order: { shipping: 'EUR 1.20' } },
    });
    expect(asked[0]!.card!.order.lines).toHaveLength(1);
    expect(asked[0]!.card!.order.total).toBe(asked[0]!.price.text);
    expect(net3.log.slice(sentBefore).filter((line) => line.includes('/card/purchase'))).toEqual(
      [],
    );
    expect(await wallet.db.count('cardPayments')).toBe(1);
    // Accepted, it pays and sends the page to the shop's page for the order.
    const accepted = await cardCheckout(
      wallet,
      { confirm: async () => true },
      { offerText: JSON.stringify(next), pageUrl: `${world.shopUrl}/checkout` },
    );
    expect(accepted).toMatchObject({
      status: 'paid',
      cardStatus: 'authorized',
      navigateTo: next.paid,
    });

    // The shop captures and refunds a line; the inquiry sees both.
    const transaction = checked.initiation.body.transactionId;
    expect((await operatorAction(world, 'capture', { transaction })).status).toBe(303);
    expect((await operatorAction(world, 'refund', { transaction, item: cart[1]! })).status).toBe(
      303,
    );
    const inquired = await inquireCardPayment(wallet, transaction);
    expect(inquired.status).toBe('captured');
    expect(inquired.credited).toBe(5);
    expect(await world.problems()).toEqual([]);

    // The card number is in IndexedDB only inside the sealed card record.
    const text = await databaseText(wallet, (store) => store === 'cards');
    for (const form of [
      pan,
      pan.replace(/(\d{4})(?=\d)/g, '$1 '),
      Buffer.from(pan).toString('base64'),
    ]) {
      expect(text.includes(form), form).toBe(false);
    }
    expect((await databaseText(wallet, () => false)).includes(pan)).toBe(false);
    wallet.close();
  });

  // Last in this file: it revokes the shop's certificate.
  it('never pays a priced link whose offer takes only a card, not even with a card registered', async () => {
    const asked: unknown[] = [];
    const net = crashingFetch();
    const wallet = await openTestWallet(freshDbName(), net.platform, async (request) => {
      asked.push(request);
      return true;
    });
    await addBankAndLogIn(wallet, world);
    await registerCard(wallet, typed());
    expect((await listCards(wallet)).map((card) => card.status)).toEqual(['registered']);
    // The shop's own offer for an article, as its SDK would sign it listing only `card`.
    const seed = fromBase64url(
      readFileSync(join(world.dataDir, 'demo-shop.offer-key'), 'utf8').trim(),
    );
    const article = pricedArticles[0]!;
    const token = offerToken(
      await signOffer(
        {
          merchantId: demo.merchant,
          merchantOrigin: world.shopUrl,
          resource: article.path,
          amount: { currency: 'EUR', minor: article.price },
          createdAt: Date.now(),
          expiresAt: Date.now() + 600_000,
          instruments: ['card'],
        },
        ed25519Signer(seed),
      ),
    );
    const click = { token, href: `${world.shopUrl}${article.path}`, pageUrl: `${world.shopUrl}/` };
    expect(await describeOffer(wallet, click)).toMatchObject({
      status: 'refused',
      error: { code: 'instrument_unsupported' },
    });
    const books = await world.books();
    const sent = net.log.length;
    expect(await payOffer(wallet, wallet.hooks, { ...click, seen: seenClick })).toMatchObject({
      status: 'refused',
      error: { code: 'instrument_unsupported' },
    });
    // No window, nothing sent to the shop, nothing written, no money moved.
    expect(asked).toEqual([]);
    expect(net.log.slice(sent).filter((line) => line.includes('/.well-known/farthing/'))).toEqual(
      [],
    );
    expect(await wallet.db.getAll('cardPayments')).toEqual([]);
    expect(await world.books()).toEqual(books);
    wallet.close();
  });

  it('refuses a card offer signed under a merchant certificate the bank revoked', async () => {
    const wallet = await openTestWallet(freshDbName(), crashingFetch().platform);
    await addBankAndLogIn(wallet, world);
    const offer = await checkoutFor(world, cart);
    const checked = await inspectCardOffer(wallet, world.shopUrl, offer);
    const serial = (await world.running.ctx.store.listMerchantCertificates(
      (await world.running.ctx.store.getAccountByName(demo.merchant))!.id,
    ))!.at(-1)!.serial;
    expect(checked.merchantName).toBe('The Farthing Gazette');
    await expectStatus(
      await world.bank.request('POST', `/v1/admin/merchant-certificates/${serial}/revocation`, {
        token: adminToken,
      }),
      200,
    );
    // A wallet that has not fetched the bank's revocation list yet fetches it before paying.
    const fresh = await openTestWallet(freshDbName(), crashingFetch().platform);
    await addBankAndLogIn(fresh, world);
    await expect(inspectCardOffer(fresh, world.shopUrl, offer)).rejects.toMatchObject({
      code: 'merchant_not_certified',
      detail: { revoked: true, serialNumber: serial },
    });
    wallet.close();
    fresh.close();
  });
});
