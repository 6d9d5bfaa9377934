/**
 * Issue 6, part 2 — an e-cash payment: a priced article above the PayWord range (the wallet
 * pays up to EUR 0.10 with PayWord, the wallet's instrument registry, `instruments/registry.ts`; the EUR 0.12 article goes
 * by coins). The auto-pay limit is set to EUR 0.10 in the wallet's settings, so everything
 * above the PayWord range asks first: the click opens the confirmation window, the user
 * confirms, the article shows; the mint credited the merchant at the deposit, and the wallet's
 * coins are worth exactly the price less.
 */
import { expect, it } from 'vitest';
import { hoverPriced } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  accept,
  byTestId,
  call,
  clickPriced,
  coinValue,
  contentShown,
  nextConfirmation,
  onboard,
  walletState,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

it('pays an article above the PayWord range with coins, after the confirmation window', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 500);
  await call(popup, 'settings.update', {
    autoPayThreshold: { currency: 'EUR', minor: 10 },
    confirmFirstPayment: false,
  });
  const article = pricedArticles.find((candidate) => candidate.price === 12)!;
  const before = await e2e.world.books();
  const coinsBefore = coinValue(await walletState(popup), 'spendable');
  expect(coinsBefore).toBe(500);

  const page = await w.browser.newPage();
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, article.path);

  const confirmation = nextConfirmation(w);
  await clickPriced(page, article.path);
  const confirmWindow = (await (await confirmation).asPage())!;
  // The window renders after it asked the background for the request: wait for it.
  const amount = await confirmWindow.waitForSelector(byTestId('confirm-amount'), {
    timeout: 15_000,
  });
  expect(await amount!.evaluate((element) => element.textContent)).toContain('EUR 0.12');
  const text = await confirmWindow.evaluate(() => document.body.textContent ?? '');
  expect(text).toContain('The Farthing Gazette');
  expect(text).toMatch(/e-cash/i);
  expect(text).toMatch(/auto-pay limit/i);
  // Nothing is paid while the window waits for the user.
  expect((await e2e.world.books()).merchant).toBe(before.merchant);
  await accept(await confirmation);

  await contentShown(page, article);

  // The mint credited the merchant at the deposit, before the article was served; the
  // customer's account is untouched (the coins were already withdrawn).
  const after = await e2e.world.books();
  expect(after.merchant - before.merchant).toBe(article.price);
  expect(after.customer).toBe(before.customer);
  expect(before.coins - after.coins).toBe(article.price);

  // The wallet's coins are worth exactly the price less, and one e-cash receipt says so.
  const state = await walletState(popup);
  expect(coinValue(state, 'spendable')).toBe(coinsBefore - article.price);
  expect(coinValue(state, 'reserved')).toBe(0);
  expect(state.receipts).toEqual([
    expect.objectContaining({ minor: article.price, instrument: 'ecash' }),
  ]);
  await popup.reload();
  await popup.waitForFunction(
    (selector) => document.querySelector(selector)?.textContent?.includes('EUR 4.88') ?? false,
    { timeout: 15_000, polling: 100 },
    byTestId('balance-ecash'),
  );
  expect(await e2e.world.problems()).toEqual([]);
}, 90_000);
