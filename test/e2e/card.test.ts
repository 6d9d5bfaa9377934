/**
 * Issue 16 — the card in Chromium, with the real bank and the real demo shop, one browser,
 * scenarios in sequence:
 *
 * - the demo card registered from the settings page (typed as printed); the wallet shows its
 *   last four digits only;
 * - a cart of three items bought by card: "Pay with card" always opens the trusted window, which
 *   shows each line, VAT, shipping and a total equal to the total the signed OI carries; the
 *   shop's page then shows the order authorized;
 * - the operator captures; the bank's books balance; the operator refunds one line and the
 *   history, after a purchase inquiry, shows the credit;
 * - the service worker stopped right after Confirm, again and again: each purchase ends
 *   authorized, with exactly one authorization at the gateway;
 * - afterwards the card number is nowhere in chrome.storage, nowhere in IndexedDB outside the
 *   sealed card record, and nowhere in the shop's files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cardSystemAccounts } from '@farthing/bank/store/card-store';
import type { Page } from 'puppeteer-core';
import { expect, it } from 'vitest';
import type { WalletBrowser } from '../browser/browser.ts';
import { accept, byTestId, call, nextConfirmation } from './wallet.ts';
import { demo, e2eSuite, operatorPassword } from './world.ts';

const e2e = e2eSuite();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cart = ['/gallery/harbour-dawn', '/downloads', '/gallery/wend-valley'] as const;

async function trustAndLogIn(page: Page, bankUrl: string): Promise<void> {
  const bank = await call(page, 'bank.inspect', { url: bankUrl });
  await call(page, 'bank.trust', {
    url: bankUrl,
    caFingerprint: bank.caFingerprint,
    mintKeyFingerprint: bank.mintKeyFingerprint,
    ...(bank.brokerKeyFingerprint === undefined
      ? {}
      : { brokerKeyFingerprint: bank.brokerKeyFingerprint }),
  });
  await call(page, 'bank.login', { url: bankUrl, username: demo.name, password: demo.password });
}

/** Puts the items in the cart with the reader's own clicks, then opens the checkout. */
async function fillCart(page: Page, shopUrl: string): Promise<void> {
  // The reader looks at the shop's tab (a wallet page may have been in front).
  await page.bringToFront();
  for (const path of cart) {
    await page.goto(`${shopUrl}${path}`);
    await Promise.all([page.waitForNavigation(), page.click('form.add-to-cart button')]);
  }
  await page.goto(`${shopUrl}/checkout`);
  await page.waitForSelector('#pay-with-card');
}

function operator(shopUrl: string, action: string, fields: Record<string, string>) {
  return fetch(`${shopUrl}/dashboard/card/${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      authorization: `Basic ${Buffer.from(`operator:${operatorPassword}`).toString('base64')}`,
      origin: shopUrl,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The wallet's card purchases, as the history reads them. */
function purchases(page: Page) {
  return call(page, 'card.payments', {});
}

/** The purchase request the wallet stored (and sent): its signed OI amount. */
async function signedTotal(page: Page, transactionId: string): Promise<string> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('farthing-wallet');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const record = await new Promise<{ request: string }>((resolve, reject) => {
      const request = db.transaction('cardPayments').objectStore('cardPayments').get(id);
      request.onsuccess = () => resolve(request.result as { request: string });
      request.onerror = () => reject(request.error);
    });
    db.close();
    return (JSON.parse(record.request) as { body: { amount: string } }).body.amount;
  }, transactionId);
}

async function stopServiceWorker(w: WalletBrowser): Promise<void> {
  await (await w.serviceWorker()).close();
}

it('registers the demo card, pays a cart through the window, survives a stopped worker, and keeps the card number sealed', async () => {
  const w = e2e.wallet;
  const world = e2e.world;
  const store = world.bank()!.ctx.store;
  const popup = await w.openWalletPage('popup');
  await trustAndLogIn(popup, world.bankUrl);
  const { pan, expiry } = (
    await store.cards.listCards((await store.getAccountByName(demo.name))!.id)
  )[0]!;

  // Registration, typed into the settings page as printed on the card.
  const settings = await w.openWalletPage('settings');
  await settings.waitForSelector(byTestId('card-number'));
  await settings.type(byTestId('card-number'), pan.replace(/(\d{4})(?=\d)/g, '$1 '));
  await settings.type(byTestId('card-expiry'), `${expiry.slice(5)}/${expiry.slice(2, 4)}`);
  await settings.type(byTestId('card-name'), 'DEMO CUSTOMER');
  await settings.click(byTestId('card-register'));
  await settings.waitForSelector(`${byTestId('card-row')}[data-status="registered"]`);
  const shown = await settings.$eval(byTestId('card-list'), (list) => list.textContent ?? '');
  expect(shown).toContain(pan.slice(-4));
  expect(shown).not.toContain(pan.slice(0, 6));
  expect(
    await settings.$eval(byTestId('card-number'), (input) => (input as HTMLInputElement).value),
  ).toBe('');

  // A cart of three, paid by card through the trusted window.
  const shop = await w.browser.newPage();
  await fillCart(shop, world.shopUrl);
  const before = await world.books();
  const windowOpened = nextConfirmation(w);
  await shop.click('#pay-with-card');
  const target = await windowOpened;
  const confirm = (await target.asPage())!;
  await confirm.waitForSelector(byTestId('confirm-order'));
  const lines = await confirm.$$eval(byTestId('confirm-line'), (rows) =>
    rows.map((row) => Array.from(row.children).map((cell) => cell.textContent)),
  );
  expect(lines.map((cells) => cells[0])).toEqual([
    'Print: Harbour at Dawn',
    expect.stringMatching(/^Download: /),
    'Print: The Wend Valley in February',
  ]);
  const displayedTotal = await confirm.$eval(byTestId('confirm-total'), (cell) => cell.textContent);
  expect(await confirm.$eval(byTestId('confirm-shipping'), (cell) => cell.textContent)).toBe(
    'EUR 1.20',
  );
  expect(await confirm.$eval(byTestId('confirm-card'), (p) => p.textContent)).toContain(
    pan.slice(-4),
  );
  await accept(target);
  await shop.waitForSelector('#order-status[data-status="authorized"]', { timeout: 20_000 });
  const [paid] = await purchases(popup);
  expect(paid).toMatchObject({ status: 'authorized', lines: 3 });
  // The window showed the total the signed OI carries.
  expect(await signedTotal(popup, paid!.transactionId)).toBe(displayedTotal);
  expect(paid!.total.text).toBe(displayedTotal);

  // The shop captures; the books balance; a refund of one line shows as a credit.
  expect(
    (await operator(world.shopUrl, 'capture', { transaction: paid!.transactionId })).status,
  ).toBe(303);
  const after = await world.books();
  expect(after.merchant - before.merchant).toBe(paid!.total.minor);
  expect(await world.problems()).toEqual([]);
  expect(
    (
      await operator(world.shopUrl, 'refund', {
        transaction: paid!.transactionId,
        item: 'print:wend-valley',
      })
    ).status,
  ).toBe(303);
  const history = await w.openWalletPage('history');
  const row = `${byTestId('card-purchase')}[data-transaction="${paid!.transactionId}"]`;
  await history.waitForSelector(row);
  await history.click(`${row} ${byTestId('card-purchase-inquire')}`);
  await history.waitForSelector(`${row} ${byTestId('card-purchase-credit')}`);
  expect(
    await history.$eval(`${row} ${byTestId('card-purchase-credit')}`, (s) => s.textContent),
  ).toBe('credit EUR 0.02');
  expect(await world.problems()).toEqual([]);

  // The worker stopped after the purchase is written and sent, before the shop's answer
  // reaches it: the answer is held at the worker's network layer (DevTools Fetch domain),
  // dropped, and the worker stopped. Woken, it resends the stored request; the shop answers
  // as the first time, and the gateway has authorized once.
  await fillCart(shop, world.shopUrl);
  const workerTarget = await w.browser.waitForTarget(
    (candidate) =>
      candidate.type() === 'service_worker' && candidate.url().startsWith(w.extensionOrigin),
  );
  const network = await workerTarget.createCDPSession();
  const answerHeld = new Promise<string>((resolve) =>
    network.once('Fetch.requestPaused', (event) => resolve(event.requestId)),
  );
  await network.send('Fetch.enable', {
    patterns: [{ urlPattern: '*/.well-known/farthing/card/purchase', requestStage: 'Response' }],
  });
  const opened = nextConfirmation(w);
  await shop.click('#pay-with-card');
  await accept(await opened);
  const held = await answerHeld;
  const [inFlight] = await purchases(popup);
  expect(inFlight).toMatchObject({ status: 'sent' });
  const merchant = (await store.getAccountByName('demo-shop'))!;
  expect(await store.cards.getTransaction(merchant.id, inFlight!.transactionId)).toMatchObject({
    status: 'authorized',
  });
  // The answer is lost on the way (a worker with a paused fetch cannot be stopped cleanly by
  // the protocol), then the worker stops before it could do anything more.
  await network.send('Fetch.failRequest', { requestId: held, errorReason: 'ConnectionClosed' });
  await network.detach();
  await stopServiceWorker(w);
  const deadline = Date.now() + 30_000;
  let resumed = await purchases(popup);
  while (resumed[0]?.status === 'sent' && Date.now() < deadline) {
    await sleep(250);
    resumed = await purchases(popup);
  }
  expect(resumed[0]).toMatchObject({
    transactionId: inFlight!.transactionId,
    status: 'authorized',
  });
  expect(await store.cards.getTransaction(merchant.id, inFlight!.transactionId)).toMatchObject({
    status: 'authorized',
    authorized: inFlight!.total.minor,
  });
  const holds = (await store.getAccountByName(cardSystemAccounts.holds))!.balance;
  const authorized = (await purchases(popup)).filter((p) => p.status === 'authorized');
  expect(holds).toBe(authorized.reduce((sum, p) => sum + p.total.minor, 0));
  expect(await world.problems()).toEqual([]);

  // The card number: not in chrome.storage, not in IndexedDB outside the sealed record.
  const spaced = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
  const b64 = Buffer.from(pan).toString('base64');
  const stored = await popup.evaluate(async () => {
    // The manifest asks for no "storage" permission: then there is no chrome.storage at all.
    const storage = (
      globalThis as unknown as {
        chrome: { storage?: { local: { get(keys: null): Promise<unknown> } } };
      }
    ).chrome.storage;
    const chromeStorage =
      storage === undefined ? '' : JSON.stringify(await storage.local.get(null));
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('farthing-wallet');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const texts: string[] = [];
    const walk = (value: unknown): void => {
      if (value instanceof Uint8Array) texts.push(String.fromCharCode(...value));
      else if (typeof value === 'string' || typeof value === 'number') texts.push(String(value));
      else if (Array.isArray(value)) for (const item of value) walk(item);
      else if (value !== null && typeof value === 'object' && !(value instanceof CryptoKey)) {
        for (const [key, item] of Object.entries(value)) if (key !== 'sealedCard') walk(item);
      }
    };
    for (const name of Array.from(db.objectStoreNames)) {
      const all = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      walk(all);
    }
    db.close();
    return { chromeStorage, indexedDb: texts.join('\n') };
  });
  for (const form of [pan, spaced, b64]) {
    expect(stored.chromeStorage.includes(form), `${form} in chrome.storage`).toBe(false);
    expect(stored.indexedDb.includes(form), `${form} in IndexedDB`).toBe(false);
    for (const file of readdirSync(world.dataDir).filter((name) => name.startsWith('demo-shop'))) {
      const bytes = readFileSync(join(world.dataDir, file)).toString('latin1');
      expect(bytes.includes(form), `${form} in the shop's ${file}`).toBe(false);
    }
  }
}, 240_000);
