/**
 * The wallet extension's smoke test in a real browser: the built extension in headless
 * Chromium adds the bank, logs in, withdraws, then pays a priced link of the demo shop with a
 * click (tooltip first) and reads the article; the popup shows the new balance and the receipt.
 * Bank and shop are the real servers on free loopback ports with fresh SQLite files.
 */
import { formatAmount } from '@farthing/protocol/amount';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accept } from '../e2e/wallet.ts';
import { pricedArticles } from '../shop/catalog.ts';
import { closeShopWorld, demo, openShopWorld, type ShopWorld } from '../shop/world.ts';
import { hoverPriced, launchWalletBrowser, shadowText, type WalletBrowser } from './browser.ts';

let world: ShopWorld | undefined;
let wallet: WalletBrowser | undefined;

beforeAll(async () => {
  world = await openShopWorld();
  wallet = await launchWalletBrowser();
}, 120_000);

afterAll(async () => {
  await wallet?.close();
  await closeShopWorld(world);
});

const byTestId = (id: string) => `[data-testid="${id}"]`;

interface WindowsApi {
  create(options: { url: string; type: 'popup'; width: number; height: number }): Promise<unknown>;
}

async function textOf(page: Page, id: string): Promise<string> {
  const handle = await page.waitForSelector(byTestId(id), { timeout: 15_000 });
  return (await handle!.evaluate((element) => element.textContent ?? '')).trim();
}

/** The popup's balances in minor units, read from what it shows (`EUR 4.95`). */
async function balances(popup: Page): Promise<{ ecash: number; payword: number }> {
  const minor = (text: string) => {
    const match = /(\d+)\.(\d{2})/.exec(text);
    return match === null ? 0 : Number(match[1]) * 100 + Number(match[2]);
  };
  const read = async (id: string) =>
    (await popup.$(byTestId(id))) === null ? 0 : minor(await textOf(popup, id));
  return { ecash: await read('balance-ecash'), payword: await read('balance-payword') };
}

describe('the wallet extension in Chromium', () => {
  it('withdraws, pays a priced link on a click, and shows the receipt', async () => {
    const w = wallet!;
    const shop = world!;

    // Onboarding: add the bank (the user sees and pins its keys), log in, withdraw EUR 5.
    const popup = await w.openWalletPage('popup');
    await popup.locator(byTestId('add-bank-url')).fill(shop.running.url);
    await popup.locator(byTestId('add-bank-inspect')).click();
    expect(await textOf(popup, 'bank-fingerprints')).toMatch(/([0-9A-F]{2}:){8}/);
    await popup.locator(byTestId('add-bank-trust')).click();
    await popup.locator(byTestId('login-username')).fill(demo.name);
    await popup.locator(byTestId('login-password')).fill(demo.password);
    await popup.locator(byTestId('login-submit')).click();
    await popup.locator(byTestId('withdraw-amount')).fill('5.00');
    await popup.locator(byTestId('withdraw-submit')).click();
    await popup.waitForFunction(
      (selector) => document.querySelector(selector)?.textContent?.includes('5.00') ?? false,
      { timeout: 30_000 },
      byTestId('balance-ecash'),
    );
    const before = await balances(popup);
    expect(before.ecash).toBe(500);

    // The shop's front page: the priced link is marked, and its tooltip names price and payee.
    const article = pricedArticles[0]!;
    const page = await w.browser.newPage();
    await page.goto(shop.shopUrl);
    const link = `a[href="${article.path}"][data-farthing-offer]`;
    await hoverPriced(page, article.path);
    const tooltip = await shadowText(page, '[data-farthing-tooltip]');
    expect(tooltip).toContain(formatAmount({ currency: 'EUR', minor: article.price }));
    expect(tooltip).toContain('Farthing Gazette');
    expect(tooltip).toContain(new URL(shop.shopUrl).host);

    // A trusted click pays. The first payment to a site is confirmed in the wallet's own
    // window (the default setting).
    const confirmation = w.browser
      .waitForTarget((target) => target.url().includes('/pages/confirm/'), { timeout: 10_000 })
      .catch(() => undefined);
    await page.click(link);
    const confirmTarget = await confirmation;
    expect(confirmTarget, 'the confirmation window for a first payment').toBeDefined();
    {
      const confirmPage = (await confirmTarget!.asPage())!;
      expect(await textOf(confirmPage, 'confirm-payee')).toContain('Farthing Gazette');
      expect(await textOf(confirmPage, 'confirm-amount')).toContain(
        formatAmount({ currency: 'EUR', minor: article.price }),
      );
      await accept(confirmTarget!);
    }
    await page.waitForFunction(
      (path, secret) =>
        location.pathname === path && (document.body.textContent ?? '').includes(secret),
      { timeout: 20_000 },
      article.path,
      article.secret,
    );

    // The popup shows the receipt and a balance lower by exactly the price.
    await popup.reload();
    await popup.waitForSelector(`${byTestId('recent-payments')} ${byTestId('receipt-item')}`, {
      timeout: 15_000,
    });
    // Small prices go by PayWord: the balance shown is the credit the bank holds for the
    // wallet's broker certificate, less what the paywords spent. Otherwise coins pay.
    const after = await balances(popup);
    const { holds } = await shop.books();
    if (after.ecash === before.ecash) {
      expect(holds).toBeGreaterThan(0);
      expect(after.payword).toBe(holds - article.price);
    } else {
      expect(before.ecash - after.ecash).toBe(article.price);
      expect(after.payword).toBe(before.payword);
    }
    expect(await textOf(popup, 'recent-payments')).toContain(
      formatAmount({ currency: 'EUR', minor: article.price }),
    );
  }, 90_000);

  it('pays a 402 paywall from the toolbar popup', async () => {
    const w = wallet!;
    const shop = world!;
    const article = pricedArticles[1]!;
    const page = await w.browser.newPage();
    const response = await page.goto(`${shop.shopUrl}${article.path}`);
    expect(response?.status()).toBe(402);
    await page.bringToFront();

    // The popup as the toolbar opens it: its own window, with the page's tab still active.
    const worker = await w.serviceWorker();
    const popupUrl = `${w.extensionOrigin}/extension/src/pages/popup/index.html`;
    const before = new Set(w.browser.targets());
    await worker.evaluate((url) => {
      // The service worker's own `chrome`; this test's TypeScript does not know the global.
      const { windows } = (globalThis as unknown as { chrome: { windows: WindowsApi } }).chrome;
      return windows.create({ url, type: 'popup', width: 380, height: 600 });
    }, popupUrl);
    const popupTarget = await w.browser.waitForTarget(
      (target) => target.url() === popupUrl && !before.has(target),
    );
    const popup = (await popupTarget.asPage())!;
    expect(await textOf(popup, 'paywall-offer')).toContain(
      formatAmount({ currency: 'EUR', minor: article.price }),
    );
    // The element's own click, not a locator's: under CI load a locator's click in a window
    // that had just opened once waited out its 30 s (see accept() in ../e2e/wallet.ts).
    const pay = await popup.waitForSelector(byTestId('paywall-pay'), { timeout: 15_000 });
    await pay!.click();
    await popup.waitForSelector(byTestId('paywall-paid'), { timeout: 15_000 });
    await page.waitForFunction(
      (secret) => (document.body.textContent ?? '').includes(secret),
      { timeout: 20_000 },
      article.secret,
    );
  }, 90_000);
});
