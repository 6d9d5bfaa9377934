/**
 * Issue 6, part 8 — a priced address reached directly (typed, or a link from elsewhere): the
 * shop answers 402 with its paywall page, the wallet shows its bar there (a closed shadow
 * root), the user clicks the bar's button (a trusted click at its place on the screen), confirms
 * the first payment to the site in the wallet's window, and the page reloads with the content.
 */
import { expect, it } from 'vitest';
import { shadowText } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  accept,
  contentShown,
  nextConfirmation,
  onboard,
  shadowButtonCenter,
  walletState,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

it('pays from the 402 paywall page and shows the content', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 100);
  const article = pricedArticles.find((candidate) => candidate.price === 5)!;

  const page = await w.browser.newPage();
  const response = await page.goto(`${e2e.world.shopUrl}${article.path}`);
  expect(response?.status()).toBe(402);
  expect(await page.evaluate(() => document.body.textContent ?? '')).not.toContain(article.secret);

  await page.waitForSelector('[data-farthing-paywall][data-state="payable"]', {
    timeout: 15_000,
  });
  const bar = await shadowText(page, '[data-farthing-paywall]');
  expect(bar).toContain('Pay EUR 0.05 to The Farthing Gazette with Farthing');
  expect(bar).toContain(e2e.world.shopUrl);
  // The button arms itself a moment after it appears (paywall-bar.ts).
  await new Promise((resolve) => setTimeout(resolve, 700));

  const confirmation = nextConfirmation(w);
  const { x, y } = await shadowButtonCenter(page, 'data-farthing-paywall');
  await page.mouse.click(x, y);
  await accept(await confirmation);
  await contentShown(page, article);

  const state = await walletState(popup);
  expect(state.receipts).toEqual([expect.objectContaining({ minor: article.price })]);
  const before = await e2e.world.books();
  await e2e.world.settle();
  expect((await e2e.world.books()).merchant - before.merchant).toBe(article.price);
}, 90_000);
