/**
 * Issue 6, part 5 — hostile pages. A page on another origin (127.0.0.2, served here) and a
 * script injected into the shop's own page try to make the wallet pay:
 *
 * - synthetic clicks (`element.click()`, a dispatched MouseEvent) on priced links: the content
 *   script ignores untrusted clicks, so the wallet is never asked; the browser just follows
 *   the link to the shop's 402 paywall;
 * - `postMessage` and CustomEvent messages shaped like wallet requests, and the extension API
 *   from the page: the content script listens to no page message, and the page has no way to
 *   the background (`externally_connectable` is closed);
 * - priced links whose offer is not the site's: the shop's link copied to the other origin,
 *   the shop's offer re-addressed to the other origin (with the shop's descriptor served
 *   there), and on the shop's own page an offer with a lowered price and one naming another
 *   merchant — each clicked by the user, each refused and logged;
 * - the confirmation window framed by the page (it must not load) and a click that lands on the
 *   window the moment it opens (what an overlay or a double-click trick relies on): the
 *   Confirm button is not yet armed, and the payment waits for a real decision.
 *
 * After all of it: no payment, no receipt, the bank's books unchanged, and every attempt the
 * wallet saw is in its refusal log with its reason.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { offerToken, parseOfferToken } from '@farthing/protocol/offer-token';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hoverPriced, launchWalletBrowser, type WalletBrowser } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  byTestId,
  call,
  clickPriced,
  nextConfirmation,
  onboard,
  shopOffer,
  walletState,
} from './wallet.ts';
import { closeE2eWorld, type E2eWorld, openE2eWorld } from './world.ts';

let world: E2eWorld | undefined;
let wallet: WalletBrowser | undefined;
let hostile: Server | undefined;
let hostileUrl = '';
/** What the hostile origin serves, by path. */
const hostileFiles = new Map<string, { type: string; body: string }>();

beforeAll(async () => {
  world = await openE2eWorld();
  wallet = await launchWalletBrowser();
  hostile = createServer((request, response) => {
    const file = hostileFiles.get(new URL(request.url ?? '/', 'http://x').pathname);
    response.writeHead(file === undefined ? 404 : 200, {
      'content-type': file?.type ?? 'text/plain',
    });
    response.end(file?.body ?? 'not here');
  });
  await new Promise<void>((resolve) => hostile!.listen(0, '127.0.0.2', resolve));
  hostileUrl = `http://127.0.0.2:${(hostile.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await wallet?.close();
  await new Promise((resolve) => hostile?.close(resolve));
  await closeE2eWorld(world);
});

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every frame of every tab: none may be a wallet page loaded inside a web page. */
async function framedWalletPages(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    const loaded = await frame
      .evaluate(() => document.querySelector('[data-testid="confirm-accept"]') !== null)
      .catch(() => false);
    if (loaded || frame.url().startsWith('chrome-extension://')) found.push(frame.url());
  }
  return found;
}

it('pays nothing for what a hostile page does, and logs every attempt the wallet saw', async () => {
  const w = wallet!;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, world!.bankUrl, 200);
  const windows: string[] = [];
  w.browser.on('targetcreated', (target) => {
    if (target.url().includes('/pages/confirm/')) windows.push(target.url());
  });

  const [a, b] = pricedArticles.filter((article) => article.price <= 10);
  const copied = await shopOffer(world!.shopUrl, a!.path);
  const shopOfferB = parseOfferToken(await shopOffer(world!.shopUrl, b!.path));
  const readdressed = offerToken({ ...shopOfferB, merchantOrigin: hostileUrl });
  const descriptor = await (await fetch(`${world!.shopUrl}/.well-known/farthing-merchant`)).text();
  hostileFiles.set('/.well-known/farthing-merchant', {
    type: 'application/json',
    body: descriptor,
  });
  hostileFiles.set('/', {
    type: 'text/html',
    body: `<!doctype html><html><head><title>Free articles!</title>
<link rel="farthing-merchant" href="/.well-known/farthing-merchant"></head><body>
<h1>Totally free articles</h1>
<p><a id="copied" href="${world!.shopUrl}${a!.path}" data-farthing-offer="${escapeAttribute(copied)}">Read (copied)</a></p>
<p><a id="readdressed" href="${b!.path}" data-farthing-offer="${escapeAttribute(readdressed)}">Read (ours)</a></p>
<iframe id="framed" width="400" height="300"
  src="${w.extensionOrigin}/extension/src/pages/confirm/index.html?id=x"></iframe>
</body></html>`,
  });

  const start = await world!.books();
  const page = await w.browser.newPage();
  await page.goto(hostileUrl);

  // 1. The confirmation window inside the page: blocked, nothing of it loads.
  await settle(500);
  expect(await framedWalletPages(page)).toEqual([]);
  expect(page.frames().map((frame) => frame.url())).toContain('chrome-error://chromewebdata/');

  // 2. Messages aimed at the content script, and the extension API from the page.
  const reachable = await page.evaluate(
    async (offer, href, extensionId) => {
      const request = { action: 'offer.pay', input: { offer, href, trigger: 'link' } };
      window.postMessage(request, '*');
      window.postMessage({ type: 'farthing', ...request }, '*');
      for (const name of ['farthing', 'farthing:pay', 'farthing-pay', 'offer.pay']) {
        document.dispatchEvent(new CustomEvent(name, { detail: request, bubbles: true }));
        window.dispatchEvent(new CustomEvent(name, { detail: request }));
      }
      const api = (globalThis as { chrome?: { runtime?: { sendMessage?: unknown } } }).chrome;
      if (typeof api?.runtime?.sendMessage !== 'function') return 'no extension API';
      try {
        await (api.runtime.sendMessage as (id: string, m: unknown) => Promise<unknown>)(
          extensionId,
          request,
        );
        return 'sent';
      } catch {
        return 'refused by the browser';
      }
    },
    copied,
    `${world!.shopUrl}${a!.path}`,
    w.extensionId,
  );
  expect(reachable).not.toBe('sent');

  // 3. The user clicks the copied link and the re-addressed one: both refused on this origin.
  await hoverPriced(page, `${world!.shopUrl}${a!.path}`, 'refused');
  await clickPriced(page, `${world!.shopUrl}${a!.path}`);
  await page.waitForSelector('[data-farthing-tooltip][data-state="refused"]', { timeout: 10_000 });
  await hoverPriced(page, b!.path, 'refused');
  await clickPriced(page, b!.path);
  await settle(300);
  expect(new URL(page.url()).origin).toBe(hostileUrl);

  // 4. Synthetic clicks: the page's own navigation happens (to the shop's paywall); the
  //    wallet is never asked.
  await page.evaluate(() => {
    document
      .getElementById('copied')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 }));
  });
  await page.waitForNavigation({ timeout: 10_000 }).catch(() => undefined);
  expect(page.url()).toBe(`${world!.shopUrl}${a!.path}`);
  expect(await page.evaluate(() => document.body.textContent ?? '')).not.toContain(a!.secret);
  await page.goto(hostileUrl);
  await page.evaluate(() => document.getElementById('copied')!.click());
  await page.waitForNavigation({ timeout: 10_000 }).catch(() => undefined);
  expect(page.url()).toBe(`${world!.shopUrl}${a!.path}`);
  // And on the shop's own front page, a script clicking its priced link.
  await page.goto(world!.shopUrl);
  await page.waitForSelector(`a[href="${a!.path}"][data-farthing-offer]`);
  await settle(300);
  await page.evaluate((path) => {
    document.querySelector<HTMLAnchorElement>(`a[href="${path}"]`)!.click();
  }, a!.path);
  await page.waitForNavigation({ timeout: 10_000 }).catch(() => undefined);
  expect(new URL(page.url()).pathname).toBe(a!.path);
  expect(await page.evaluate(() => document.body.textContent ?? '')).not.toContain(a!.secret);
  await settle(500);
  expect(windows, 'no confirmation window for untrusted input').toEqual([]);
  expect(await call(popup, 'refusal.list', { limit: 100 })).toHaveLength(2);

  // 5. A script on the shop's page rewrites offers: a lower price, another merchant. The user's
  //    click on each is refused: the signature no longer verifies, the merchant is not the
  //    certificate's.
  const cheaper = offerToken({ ...shopOfferB, amount: { ...shopOfferB.amount, minor: 1 } });
  const otherMerchant = offerToken({ ...shopOfferB, merchantId: 'another-shop' });
  for (const forged of [cheaper, otherMerchant]) {
    await page.goto(world!.shopUrl);
    await page.waitForSelector(`a[href="${b!.path}"][data-farthing-offer]`);
    await page.evaluate(
      (path, token) => {
        const link = document.querySelector(`a[href="${path}"]`)!;
        link.setAttribute('data-farthing-offer', token);
        link.setAttribute('data-farthing-price', 'EUR 0.01');
      },
      b!.path,
      forged,
    );
    await hoverPriced(page, b!.path, 'refused');
    await clickPriced(page, b!.path);
    await settle(300);
    expect(new URL(page.url()).pathname).toBe('/');
  }

  // 6. A click that lands on the confirmation window the instant it opens does not confirm.
  await page.goto(world!.shopUrl);
  await hoverPriced(page, a!.path);
  const confirmation = nextConfirmation(w);
  await clickPriced(page, a!.path);
  const confirmWindow = (await (await confirmation).asPage())!;
  const button = await confirmWindow.waitForSelector(byTestId('confirm-accept'), {
    timeout: 10_000,
  });
  const box = await button!.boundingBox();
  const openFor = await confirmWindow.evaluate(() => performance.now());
  await confirmWindow.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2);
  await settle(700);
  if (openFor < 450) {
    // The click came before the button was armed: it did nothing, and now (armed) the payment
    // still waits for the user's decision.
    expect(await button!.evaluate((element) => (element as HTMLButtonElement).disabled)).toBe(
      false,
    );
    expect((await walletState(popup)).payments).toEqual([]);
    expect((await world!.books()).merchant).toBe(start.merchant);
  } else {
    console.warn(`the click reached the confirmation window only after ${openFor} ms`);
  }
  // The user closes the window: declined.
  await confirmWindow.close();
  await page.waitForSelector('[data-farthing-tooltip][data-state="refused"]', { timeout: 15_000 });

  // Nothing was paid, and the log holds what the wallet saw, each with its reason.
  const state = await walletState(popup);
  expect(state.payments.filter((payment) => payment.status !== 'failed')).toEqual([]);
  expect(state.receipts).toEqual([]);
  expect(await world!.books()).toEqual(start);
  const refusals = await call(popup, 'refusal.list', { limit: 100 });
  expect(refusals.map((refusal) => [refusal.origin, refusal.error.code]).reverse()).toEqual([
    [hostileUrl, 'origin_mismatch'],
    [hostileUrl, 'origin_mismatch'],
    [world!.shopUrl, 'offer_invalid'],
    [world!.shopUrl, 'offer_invalid'],
    [world!.shopUrl, 'confirmation_declined'],
  ]);
  expect(windows).toHaveLength(1);
}, 120_000);

// --- Issue 16: the card. A hostile page cannot start a card payment, read the card's last
// digits, or open the confirmation window for one.
it('starts no card payment for a hostile page and shows it nothing of the card', async () => {
  const w = wallet!;
  const popup = await w.openWalletPage('popup');
  const store = world!.bank()!.ctx.store;
  const customer = (await store.getAccountByName('demo'))!;
  const [card] = await store.cards.listCards(customer.id);
  const registered = await call(popup, 'card.register', {
    bankUrl: world!.bankUrl,
    cardNumber: card!.pan,
    expiry: card!.expiry,
    name: 'DEMO CUSTOMER',
  });
  expect(registered.status).toBe('registered');
  const windows: string[] = [];
  w.browser.on('targetcreated', (target) => {
    if (target.url().includes('/pages/confirm/')) windows.push(target.url());
  });

  // The shop's own card offer, copied onto the hostile origin.
  const added = await fetch(`${world!.shopUrl}/cart/add`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: world!.shopUrl, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'item=print%3Aharbour-dawn',
  });
  const checkout = await fetch(`${world!.shopUrl}/checkout`, {
    headers: { cookie: added.headers.get('set-cookie')!.split(';')[0]! },
  });
  const offer = /data-farthing-card-checkout="([^"]+)"/.exec(await checkout.text())![1]!;
  hostileFiles.set('/card', {
    type: 'text/html',
    body: `<!doctype html><html><head><title>Checkout</title></head><body>
<a id="pay" href="/card-done" data-farthing-card-checkout="${offer}">Pay with card</a>
</body></html>`,
  });
  const start = await world!.books();
  const page = await w.browser.newPage();
  await page.goto(`${hostileUrl}/card`);
  await settle(300);

  // The page's own clicks: the wallet is never asked.
  await page.evaluate(() => {
    const pay = document.getElementById('pay')!;
    pay.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 }));
  });
  await settle(700);
  // The user's click on the copied offer: refused on this origin, before any window.
  await page.goto(`${hostileUrl}/card`);
  await page.click('#pay');
  await settle(1_000);
  const text = await page.evaluate(() => document.documentElement.outerHTML);
  expect(text).not.toContain(registered.lastFour);
  expect(new URL(page.url()).origin).toBe(hostileUrl);

  // A script on the shop's own checkout clicking "Pay with card": the link's own navigation
  // (to the "a wallet is needed" page), no window.
  const shopPage = await w.browser.newPage();
  await shopPage.setCookie({
    name: 'gazette-cart',
    value: 'print:harbour-dawn*1',
    url: world!.shopUrl,
  });
  await shopPage.goto(`${world!.shopUrl}/checkout`);
  await shopPage.waitForSelector('#pay-with-card');
  await shopPage.evaluate(() =>
    document.querySelector<HTMLAnchorElement>('#pay-with-card')!.click(),
  );
  await shopPage.waitForNavigation({ timeout: 10_000 }).catch(() => undefined);
  expect(new URL(shopPage.url()).pathname).toBe('/checkout/wallet-needed');

  await settle(500);
  expect(windows, 'no confirmation window for a hostile card payment').toEqual([]);
  expect(await call(popup, 'card.payments', {})).toEqual([]);
  expect(await world!.books()).toEqual(start);
}, 60_000);
