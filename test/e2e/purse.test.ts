/**
 * Issue 17 in Chromium: the hardware purse through the wallet's WebHID transport. The reader is
 * the emulator (reader/) on a loopback WebSocket; the wallet's pages get an emulated
 * `navigator.hid` carrying the same 64-byte reports to it (test/browser/webhid.fixture.ts);
 * the reader's buttons are pressed through its control API, as a holder presses them.
 *
 * In sequence, on one browser: pair the reader (the bank issues the blank card, the holder
 * chooses its PIN), load EUR 20 with the PIN, pay a priced article confirmed on the reader (the
 * shop clears it at the issuer; the books balance; the popup shows the new balance), cancel one
 * on the reader (nothing paid, the page says so), unplug the reader as the card answers (on
 * reconnect exactly one proof reaches the shop, no value lost), a web page cannot reach the
 * reader, and three wrong PINs block the card (the settings page says what to do).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manufactureCard, PurseApplet } from '@farthing/reader/card/applet';
import { CardStorage } from '@farthing/reader/card/storage';
import {
  pressReaderButton,
  readerCard,
  readerDisplay,
} from '@farthing/reader/device/control-client';
import { type ReaderServer, startReaderServer } from '@farthing/reader/device/server';
import type { Page, Target } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hoverPriced, shadowText } from '../browser/browser.ts';
import { type EmulatedHid, emulatedHid } from '../browser/webhid.fixture.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  artifact,
  byTestId,
  call,
  clickPriced,
  contentShown,
  onboard,
  walletState,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();
let reader: ReaderServer;
let hid: EmulatedHid;
let cardDir: string;
let popup: Page;
const pin = '4711';
/** Three articles the purse pays (the first is confirmed, the second cancelled, the third unplugged). */
const [paid, cancelled, unplugged] = [...pricedArticles].sort((a, b) => b.price - a.price);

beforeAll(async () => {
  cardDir = mkdtempSync(join(tmpdir(), 'farthing-e2e-card-'));
  const storage = new CardStorage(join(cardDir, 'card.bin'));
  await manufactureCard(storage);
  reader = await startReaderServer({ applet: await PurseApplet.powerOn(storage) });
  hid = await emulatedHid(reader.hidUrl);
}, 30_000);
afterAll(async () => {
  await hid?.close();
  await reader?.close();
  rmSync(cardDir, { recursive: true, force: true });
});

/** Waits for the reader to ask for its button; answers what its display shows then. */
async function readerAsks(): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const shown = await readerDisplay(reader.controlUrl);
    if (shown.waitingForButton) return shown.lines;
    if (Date.now() > deadline)
      throw new Error(`the reader never asked: ${shown.lines.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const press = (button: 'confirm' | 'cancel') => pressReaderButton(reader.controlUrl, button);

/** A wallet page with the emulated `navigator.hid`. */
async function hidPage(name: 'purse' | 'settings'): Promise<Page> {
  const page = await e2e.wallet.browser.newPage();
  await hid.attach(page);
  await page.goto(`${e2e.wallet.extensionOrigin}/extension/src/pages/${name}/index.html`);
  return page;
}

/**
 * The next confirmation window, given the emulated `navigator.hid` and loaded again with it
 * (the browser opened it before a test can reach it; its first load waits for a reader).
 */
const seenWindows = new Set<Target>();
async function confirmationWindow(): Promise<Page> {
  const target: Target = await e2e.wallet.browser.waitForTarget(
    (t) => t.url().includes('/pages/confirm/') && !seenWindows.has(t),
    { timeout: 20_000 },
  );
  seenWindows.add(target);
  const page = (await target.asPage())!;
  await hid.attach(page);
  await page.reload();
  await page.waitForSelector(byTestId('purse-confirm'), { timeout: 15_000 });
  return page;
}

async function clickArticle(shop: Page, path: string): Promise<void> {
  await shop.goto(e2e.world.shopUrl);
  await hoverPriced(shop, path);
  await clickPriced(shop, path);
}

async function cardBalance(): Promise<string> {
  const { balance } = await readerCard(reader.controlUrl);
  if (balance === undefined) throw new Error('the card holds no purse yet');
  return balance;
}

it('pairs the reader: the bank issues the blank card and the holder chooses its PIN', async () => {
  popup = await e2e.wallet.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 10);
  const page = await hidPage('purse');
  await (await page.waitForSelector(byTestId('purse-pair'), { timeout: 15_000 }))!.click();
  await page.waitForSelector(byTestId('purse-new-pin'), { timeout: 15_000 });
  await page.type(byTestId('purse-new-pin'), pin);
  await page.type(byTestId('purse-new-pin-repeat'), pin);
  await page.click(byTestId('purse-personalise'));
  await page.waitForSelector(byTestId('purse-card-id'), { timeout: 15_000 });
  const cardId = (await readerCard(reader.controlUrl)).cardId;
  expect(await page.$eval(byTestId('purse-card-id'), (e) => e.textContent)).toBe(cardId);
  expect((await call(popup, 'purse.status', {}))?.state).toBe('active');
  await page.setViewport({ width: 760, height: 720 });
  await page.screenshot({ path: artifact('purse-pairing'), fullPage: true });
  await page.close();
}, 60_000);

it('loads EUR 20 with the PIN from the settings page: the account pays, the card holds it', async () => {
  const before = await e2e.world.books();
  const settings = await hidPage('settings');
  await settings.waitForSelector(byTestId('purse-load-amount'));
  await settings.$eval(byTestId('purse-load-amount'), (e) => {
    (e as HTMLInputElement).value = '';
  });
  await settings.type(byTestId('purse-load-amount'), '20.00');
  await settings.type(byTestId('purse-load-pin'), pin);
  await settings.click(byTestId('purse-load'));
  await settings.waitForFunction(
    (selector) => document.querySelector(selector)?.textContent === 'EUR 20.00',
    { timeout: 20_000 },
    byTestId('settings-purse-balance'),
  );
  expect(await cardBalance()).toBe('EUR 20.00');
  expect((await e2e.world.books()).customer).toBe(before.customer - 2000);
  expect(await e2e.world.problems()).toEqual([]);
  await settings.close();
}, 60_000);

it('pays a priced article confirmed on the reader; the shop clears it and the books balance', async () => {
  expect(paid).toBeDefined();
  const before = await e2e.world.books();
  const shop = await e2e.wallet.browser.newPage();
  await clickArticle(shop, paid!.path);
  const window = await confirmationWindow();
  expect(await window.$eval(byTestId('purse-confirm'), (e) => e.textContent)).toContain(
    'Confirm on your reader',
  );
  const display = await readerAsks();
  await window.waitForFunction(
    (selector) =>
      /check the amount and payee/.test(document.querySelector(selector)?.textContent ?? ''),
    { timeout: 10_000 },
    byTestId('purse-confirm-status'),
  );
  expect(display.join(' ')).toContain(`Pay EUR ${(paid!.price / 100).toFixed(2)}`);
  expect(display.join(' ')).toContain('The Farthing Gazette');
  await window.screenshot({ path: artifact('purse-confirmation'), fullPage: true });
  await press('confirm');
  await contentShown(shop, paid!);
  const state = await walletState(popup);
  expect(state.payments.find((p) => p.resource === paid!.path)).toMatchObject({
    instrument: 'purse',
    status: 'confirmed',
  });
  await e2e.world.settle();
  const after = await e2e.world.books();
  expect(after.merchant).toBe(before.merchant + paid!.price);
  expect(after.customer).toBe(before.customer);
  expect(await e2e.world.problems()).toEqual([]);
  const left = 2000 - paid!.price;
  expect(await cardBalance()).toBe(`EUR ${(left / 100).toFixed(2)}`);
  const overview = await call(popup, 'wallet.overview', {});
  expect(overview.balances.find((b) => b.instrument === 'purse')?.balance.minor).toBe(left);
  await popup.reload();
  await popup.waitForSelector(byTestId('balance-purse'), { timeout: 10_000 });
  expect(await popup.$eval(byTestId('balance-purse'), (e) => e.textContent)).toBe(
    `EUR ${(left / 100).toFixed(2)}`,
  );
  const history = await call(popup, 'history.list', {});
  expect(history.find((r) => r.resource === paid!.path)).toMatchObject({
    instrument: 'purse',
    sno: 1,
  });
  await shop.close();
}, 90_000);

it('pays nothing when the holder cancels on the reader, and the page says so', async () => {
  const before = await e2e.world.books();
  const balance = await cardBalance();
  const shop = await e2e.wallet.browser.newPage();
  await clickArticle(shop, cancelled!.path);
  await confirmationWindow();
  await readerAsks();
  await press('cancel');
  const deadline = Date.now() + 20_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await shadowText(shop, '[data-farthing-tooltip]').catch(() => '');
    if (/cancelled on the reader/i.test(text)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(text).toMatch(/cancelled on the reader/i);
  const state = await walletState(popup);
  expect(state.payments.find((p) => p.resource === cancelled!.path)?.status).toBe('failed');
  expect(await cardBalance()).toBe(balance);
  await e2e.world.settle();
  expect((await e2e.world.books()).merchant).toBe(before.merchant);
  await shop.close();
}, 90_000);

it('delivers exactly one proof when the reader is unplugged as the card answers', async () => {
  const before = await e2e.world.books();
  const shop = await e2e.wallet.browser.newPage();
  await clickArticle(shop, unplugged!.path);
  const window = await confirmationWindow();
  await readerAsks();
  hid.unplugOnNextAnswer();
  await press('confirm');
  // The card paid; its answer was lost with the reader. The window waits for it to come back.
  await window.waitForFunction(
    (selector) => /not connected/.test(document.querySelector(selector)?.textContent ?? ''),
    { timeout: 15_000 },
    byTestId('purse-confirm-status'),
  );
  const log = await readerCard(reader.controlUrl);
  await hid.replug();
  await contentShown(shop, unplugged!);
  // PROOF AGAIN signed the same proof; the card paid once.
  expect((await readerCard(reader.controlUrl)).sno).toBe(log.sno);
  await e2e.world.settle();
  const after = await e2e.world.books();
  expect(after.merchant).toBe(before.merchant + unplugged!.price);
  expect(await e2e.world.problems()).toEqual([]);
  const left = 2000 - paid!.price - unplugged!.price;
  expect(await cardBalance()).toBe(`EUR ${(left / 100).toFixed(2)}`);
  await shop.close();
}, 90_000);

it('delivers the proof once when the service worker is stopped while the reader waits', async () => {
  const before = await e2e.world.books();
  const shop = await e2e.wallet.browser.newPage();
  await clickArticle(shop, cancelled!.path);
  await confirmationWindow();
  await readerAsks();
  // Chrome stops the worker whenever it likes: here while the holder reads the reader.
  await (await e2e.wallet.serviceWorker()).close();
  await press('confirm');
  // The window hands the proof to a new worker, which journals it and sends it on its own.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const payment = (await walletState(popup)).payments.find(
      (p) => p.resource === cancelled!.path && p.status !== 'failed',
    );
    if (payment?.status === 'confirmed') break;
    if (Date.now() > deadline) throw new Error(`the payment is ${payment?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await e2e.world.settle();
  expect((await e2e.world.books()).merchant).toBe(before.merchant + cancelled!.price);
  expect(await e2e.world.problems()).toEqual([]);
  const left = 2000 - paid!.price - unplugged!.price - cancelled!.price;
  expect(await cardBalance()).toBe(`EUR ${(left / 100).toFixed(2)}`);
  await shop.close();
}, 90_000);

it('gives a web page no way to the reader', async () => {
  const shop = await e2e.wallet.browser.newPage();
  await shop.goto(e2e.world.shopUrl);
  const seen = await shop.evaluate(async () => {
    const hid = (
      navigator as Navigator & {
        hid?: { getDevices(): Promise<unknown[]>; requestDevice(o: unknown): Promise<unknown[]> };
      }
    ).hid;
    if (hid === undefined) return { devices: 0, request: 'no WebHID' };
    const devices = (await hid.getDevices()).length;
    // Without a gesture Chromium refuses; with none it may also never answer (no chooser).
    const request = await Promise.race([
      hid
        .requestDevice({ filters: [{ usagePage: 0xff46 }] })
        .then((found) => `granted ${found.length}`)
        .catch((error: Error) => error.name),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer'), 2_000)),
    ]);
    const runtime = (globalThis as { chrome?: { runtime?: { sendMessage?: unknown } } }).chrome
      ?.runtime?.sendMessage;
    return { devices, request, runtime: typeof runtime };
  });
  expect(seen.devices).toBe(0);
  expect(seen.request).not.toMatch(/^granted [1-9]/);
  expect(seen).not.toMatchObject({ runtime: 'function' });
  const sentBefore = hid.sent;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(hid.sent).toBe(sentBefore);
  await shop.close();
}, 30_000);

it('blocks the card after three wrong PINs, and the settings page says what to do', async () => {
  const settings = await hidPage('settings');
  await settings.waitForSelector(byTestId('purse-load-amount'));
  for (let attempt = 0; attempt < 3; attempt++) {
    await settings.type(byTestId('purse-load-pin'), '0000');
    await settings.click(byTestId('purse-load'));
    await settings.waitForFunction(
      (selector) =>
        !document.querySelector(selector)?.hasAttribute('aria-busy') ||
        document.querySelector(selector)?.getAttribute('aria-busy') === 'false',
      { timeout: 15_000 },
      byTestId('purse-load'),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await settings.waitForSelector(byTestId('purse-blocked'), { timeout: 15_000 });
  const advice = await settings.$eval(byTestId('purse-blocked'), (e) => e.textContent ?? '');
  expect(advice).toMatch(/three wrong PINs/);
  expect(advice).toMatch(/shadow account/);
  expect((await readerCard(reader.controlUrl)).state).toBe('pin-blocked');
  await settings.close();
}, 60_000);
