/**
 * Issue 6, part 3 — PayWord, and issue 12: never twice for what the reader owns. Thirty clicks
 * on the Gazette's articles priced within the PayWord range (EUR 0.01–0.10) and under the
 * auto-pay limit. The first payment to the site is confirmed in the wallet's window (the
 * default setting); no other click opens a window. Every click shows its article.
 *
 * Six articles are in the range, so the thirty clicks are five rounds over the six. The first
 * round pays each once. Between rounds the reader's cookies are cleared and the shop's clock
 * moved 8 minutes on, so it signs new offers for the same articles: the wallet knows the reader
 * owns them (the access bought in the first round lasts a day), shows them as paid, opens them
 * without paying, and has the shop set the access cookie again. The operator then settles from
 * the dashboard, and at the bank the customer was debited and the merchant credited, to the
 * cent, the sum of the six receipts.
 */
import type { Target } from 'puppeteer-core';
import { expect, it } from 'vitest';
import { hoverPriced, shadowText } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  accept,
  call,
  clickPriced,
  contentShown,
  nextConfirmation,
  onboard,
  sum,
  walletState,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

it('pays six articles with PayWord on 30 clicks, never twice, and the settled books match the receipts', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 100);
  await call(popup, 'site.update', {
    origin: e2e.world.shopUrl,
    budget: { currency: 'EUR', minor: 500 },
  });
  const settings = await call(popup, 'settings.get', {});
  const inRange = pricedArticles.filter((article) => article.price <= 10);
  expect(inRange).toHaveLength(6);
  expect(inRange.every((article) => article.price <= settings.autoPayThreshold.minor)).toBe(true);
  const start = await e2e.world.books();

  const windows = new Set<Target>();
  const onTarget = (target: Target) => {
    if (target.url().includes('/pages/confirm/')) windows.add(target);
  };
  w.browser.on('targetcreated', onTarget);
  w.browser.on('targetchanged', onTarget);

  const page = await w.browser.newPage();
  let clicks = 0;
  for (let round = 0; round < 5; round++) {
    if (round > 0) {
      await w.browser.deleteCookie(...(await w.browser.cookies()));
      // Past half an offer's lifetime the shop signs new offers for the same articles.
      e2e.world.skew += 8 * 60_000;
    }
    for (const article of inRange) {
      await page.goto(e2e.world.shopUrl);
      await hoverPriced(page, article.path, round === 0 ? 'payable' : 'owned');
      expect(await shadowText(page, '[data-farthing-tooltip]')).toContain(
        round === 0 ? 'PayWord' : 'Nothing is paid again',
      );
      if (clicks === 0) {
        // The first payment to the site: the wallet asks once.
        const confirmation = nextConfirmation(w);
        await clickPriced(page, article.path);
        await accept(await confirmation);
      } else {
        await clickPriced(page, article.path);
      }
      await contentShown(page, article);
      if (round === 0 && clicks > 0) {
        // Paid at once: the page went at the click, its URL naming the navigation the payment
        // carried (paying-navigation), and the wallet then took the id out of the address bar.
        const went = await page.evaluate(
          () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).name,
        );
        expect(new URL(went).searchParams.has('farthing-paying'), went).toBe(true);
        await page.waitForFunction(() => !location.search.includes('farthing-paying'), {
          timeout: 5_000,
        });
      }
      clicks++;
    }
  }
  w.browser.off('targetcreated', onTarget);
  w.browser.off('targetchanged', onTarget);
  expect(clicks).toBe(30);
  expect(windows.size, 'confirmation windows opened').toBe(1);

  const state = await walletState(popup);
  expect(state.receipts).toHaveLength(6);
  expect(state.receipts.every((receipt) => receipt.instrument === 'payword')).toBe(true);
  const receipts = sum(state.receipts.map((receipt) => receipt.minor));
  expect(receipts).toBe(sum(inRange.map((article) => article.price)));
  expect(state.payments.every((payment) => payment.status === 'confirmed')).toBe(true);

  // Before settlement the shop holds the words; nothing has reached its account.
  expect((await e2e.world.books()).merchant).toBe(start.merchant);
  expect(await e2e.world.settle()).toMatch(/settled=[1-9]\d*&refused=0&retrying=0$/);

  // Customer debited (its account plus what the broker holds for it) and merchant credited,
  // both to the cent the sum of the receipts.
  const end = await e2e.world.books();
  expect(end.merchant - start.merchant).toBe(receipts);
  expect(start.customer + start.holds - (end.customer + end.holds)).toBe(receipts);
  expect(end.coins).toBe(start.coins);
  expect(await e2e.world.problems()).toEqual([]);
}, 240_000);
