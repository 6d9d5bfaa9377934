/**
 * Issue 20, "never pay for nothing", in the real browser with the real bank and the real demo
 * shop, whose article store goes down after the payment: the paid page answers 503. The user
 * ends with the content or the money, never neither:
 *
 * - the store comes back within the wallet's stated time: the wallet, which fetched the page
 *   again with the grant, reloads the tab and the article shows, paid once;
 * - the store stays down: after `notDeliveredAfterMs` the history shows the payment "not
 *   delivered" with a refund button; one click, and the merchant's money goes back to the coins,
 *   which the wallet turns into fresh spendable coins. The grant then opens nothing.
 */
import { notDeliveredAfterMs } from '@farthing/extension/wallet/delivery/delivery';
import type { Page } from 'puppeteer-core';
import { expect, it } from 'vitest';
import { hoverPriced } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  byTestId,
  call,
  clickPriced,
  coinValue,
  contentShown,
  onboard,
  walletState,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

/** Waits until the tab shows the shop's 503 for `path`. */
async function failedPageShown(page: Page, path: string) {
  await page.waitForFunction(
    (expected: string) =>
      location.pathname === expected &&
      (document.body?.textContent ?? '').includes('The article store is down'),
    { timeout: 20_000, polling: 100 },
    path,
  );
}

it('retries a paid article that failed and shows it once the shop is back', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 500);
  await call(popup, 'settings.update', {
    autoPayThreshold: { currency: 'EUR', minor: 25 },
    confirmFirstPayment: false,
  });
  const article = pricedArticles.find((candidate) => candidate.price === 12)!;
  const before = await e2e.world.books();

  e2e.world.articlesUp = false;
  const page = await w.browser.newPage();
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, article.path);
  await clickPriced(page, article.path);
  await failedPageShown(page, article.path);
  // The wallet took the 503 for what it is: a paid page not delivered yet.
  let deliveries = await call(popup, 'delivery.list', {});
  for (let tries = 0; deliveries.length === 0 && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    deliveries = await call(popup, 'delivery.list', {});
  }
  expect(deliveries).toMatchObject([{ status: 'retrying', what: 'content', lastStatus: 503 }]);

  e2e.world.articlesUp = true;
  // The next fetch with the grant answers; the wallet reloads the tab (within its retry period).
  await contentShown(page, article, 40_000);
  const after = await e2e.world.books();
  expect(after.merchant - before.merchant).toBe(article.price);
  expect(await call(popup, 'delivery.list', {})).toEqual([]);
  await page.close();
  expect(await e2e.world.problems()).toEqual([]);
}, 120_000);

it('shows a payment whose article never arrives as not delivered, and refunds it in one click', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  const article = pricedArticles.find((candidate) => candidate.price === 20)!;
  const coinsBefore = coinValue(await walletState(popup), 'spendable');
  const booksBefore = await e2e.world.books();

  e2e.world.articlesUp = false;
  const page = await w.browser.newPage();
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, article.path);
  await clickPriced(page, article.path);
  await failedPageShown(page, article.path);
  expect((await e2e.world.books()).merchant - booksBefore.merchant).toBe(article.price);

  // The wallet's stated time passes with the shop still failing (the wallet keeps real time).
  const history = await w.openWalletPage('history');
  const notDelivered = `${byTestId('delivery')}[data-status="not_delivered"]`;
  await history.waitForSelector(byTestId('delivery'), { timeout: 20_000 });
  const shown = await history.$eval(byTestId('deliveries'), (list) => list.textContent ?? '');
  expect(shown).toContain(`${notDeliveredAfterMs / 60_000} minutes`);
  const deadline = Date.now() + notDeliveredAfterMs + 45_000;
  for (;;) {
    await history.reload();
    if (
      (await history.waitForSelector(notDelivered, { timeout: 5_000 }).catch(() => null)) !== null
    )
      break;
    if (Date.now() > deadline) throw new Error('the payment never showed as not delivered');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  const item = (await history.$(notDelivered))!;
  expect(await item.$(byTestId('delivery-prove'))).not.toBeNull();
  await (await item.$(byTestId('delivery-refund')))!.click();
  await history.waitForSelector(`${byTestId('delivery')}[data-status="refunded"]`, {
    timeout: 30_000,
  });
  const refunded = await history.$eval(byTestId('delivery-refunded'), (el) => el.textContent ?? '');
  expect(refunded).toContain('EUR 0.20');

  // The money is back: the merchant paid it back and the wallet holds fresh coins worth it.
  const booksAfter = await e2e.world.books();
  expect(booksAfter.merchant).toBe(booksBefore.merchant);
  await popup.reload();
  expect(coinValue(await walletState(popup), 'spendable')).toBe(coinsBefore);
  // The refunded grant opens nothing, even once the store is back.
  e2e.world.articlesUp = true;
  await page.reload();
  await page.waitForFunction(() => (document.body?.textContent ?? '').length > 0, {
    timeout: 10_000,
  });
  expect(await page.evaluate(() => document.body.textContent ?? '')).not.toContain(article.secret);
  expect(await e2e.world.problems()).toEqual([]);
}, 300_000);
