/**
 * Issue 6, part 7 — the bank goes down during an e-cash payment and comes back. The shop
 * cannot deposit the coins while the bank is down and answers 503; the wallet keeps the
 * payment as sent (the same credential, stored before the first request) and says it will try
 * again. Once the bank is back on the same port and data folder, the wallet's task runner
 * resends it (here through `task.retry`, what the wallet's one-minute alarm and its start-up
 * do) until it completes: the shop is credited once, the coins are spent once, the receipt is
 * stored, and the article opens without paying again.
 */
import { expect, it } from 'vitest';
import { hoverPriced, shadowText } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import { call, clickPriced, coinValue, contentShown, onboard, walletState } from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

it('resends the payment after the bank restarts, and it is paid exactly once', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 200);
  await call(popup, 'settings.update', { confirmFirstPayment: false });
  const article = pricedArticles.find((candidate) => candidate.price === 12)!;
  const start = await e2e.world.books();
  const coinsBefore = coinValue(await walletState(popup), 'spendable');

  const page = await w.browser.newPage();
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, article.path);

  await e2e.world.stopBank();
  await clickPriced(page, article.path);
  await page.waitForSelector('[data-farthing-tooltip][data-state="refused"]', { timeout: 20_000 });
  expect(await shadowText(page, '[data-farthing-tooltip]')).toContain('cannot be paid twice');
  const pending = (await walletState(popup)).payments;
  expect(pending).toEqual([expect.objectContaining({ status: 'sent', minor: article.price })]);
  const task = (await call(popup, 'task.list', {})).find((t) => t.kind === 'pay')!;
  expect(task.status).toBe('sent');
  // Still down: a retry leaves it sent.
  expect((await call(popup, 'task.retry', { id: task.id })).status).toBe('sent');

  await e2e.world.startBank();
  let status = task.status;
  for (let attempt = 0; attempt < 20 && status !== 'confirmed'; attempt++) {
    status = (await call(popup, 'task.retry', { id: task.id })).status;
    if (status !== 'confirmed') await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(status).toBe('confirmed');
  // Once more, after it completed: nothing happens twice.
  expect((await call(popup, 'task.retry', { id: task.id })).status).toBe('confirmed');

  const end = await e2e.world.books();
  expect(end.merchant - start.merchant).toBe(article.price);
  expect(start.coins - end.coins).toBe(article.price);
  const state = await walletState(popup);
  expect(state.receipts).toEqual([expect.objectContaining({ minor: article.price })]);
  expect(coinValue(state, 'spendable')).toBe(coinsBefore - article.price);
  expect(coinValue(state, 'reserved')).toBe(0);
  expect(await e2e.world.problems()).toEqual([]);

  // The reader clicks again: the wallet knows it is paid, says so, and opens the article.
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, article.path, 'owned');
  await clickPriced(page, article.path);
  await contentShown(page, article);
  expect((await walletState(popup)).receipts).toHaveLength(1);
  expect((await e2e.world.books()).merchant - start.merchant).toBe(article.price);
}, 90_000);
