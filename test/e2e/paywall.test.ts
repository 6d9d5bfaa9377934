/**
 * Issue 6, part 8 — a priced address reached directly (typed, or a link from elsewhere): the
 * shop answers 402 with its paywall page, the wallet shows its bar there (a closed shadow
 * root), the user clicks the bar's button (a trusted click at its place on the screen), confirms
 * the first payment to the site in the wallet's window, and the page reloads with the content.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchWalletBrowser, shadowText, type WalletBrowser } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  accept,
  contentShown,
  nextConfirmation,
  onboard,
  shadowButtonCenter,
  walletState,
} from './wallet.ts';
import { closeE2eWorld, type E2eWorld, openE2eWorld } from './world.ts';

let world: E2eWorld | undefined;
let wallet: WalletBrowser | undefined;

beforeAll(async () => {
  world = await openE2eWorld();
  wallet = await launchWalletBrowser();
}, 120_000);

afterAll(async () => {
  await wallet?.close();
  await closeE2eWorld(world);
});

it('pays from the 402 paywall page and shows the content', async () => {
  const w = wallet!;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, world!.bankUrl, 100);
  const article = pricedArticles.find((candidate) => candidate.price === 5)!;

  const page = await w.browser.newPage();
  const response = await page.goto(`${world!.shopUrl}${article.path}`);
  expect(response?.status()).toBe(402);
  expect(await page.evaluate(() => document.body.textContent ?? '')).not.toContain(article.secret);

  await page.waitForSelector('[data-farthing-paywall][data-state="payable"]', {
    timeout: 15_000,
  });
  const bar = await shadowText(page, '[data-farthing-paywall]');
  expect(bar).toContain('Pay EUR 0.05 to The Farthing Gazette with Farthing');
  expect(bar).toContain(world!.shopUrl);
  // The button arms itself a moment after it appears (paywall-bar.ts).
  await new Promise((resolve) => setTimeout(resolve, 700));

  const confirmation = nextConfirmation(w);
  const { x, y } = await shadowButtonCenter(page, 'data-farthing-paywall');
  await page.mouse.click(x, y);
  await accept(await confirmation);
  await contentShown(page, article);

  const state = await walletState(popup);
  expect(state.receipts).toEqual([expect.objectContaining({ minor: article.price })]);
  const before = await world!.books();
  await world!.settle();
  expect((await world!.books()).merchant - before.merchant).toBe(article.price);
});
