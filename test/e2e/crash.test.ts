/**
 * Issue 6, part 6 — Chrome stops the wallet's service worker whenever it likes. Here it is
 * stopped (DevTools protocol: the worker's target closed) at several moments of withdrawals and
 * of payments, again and again; the next message wakes it, and it resumes its journaled tasks
 * on start. Afterwards every coin is spent or spendable (none left reserved), every payment is
 * confirmed or failed, nothing was charged twice, and the receipts match the bank: the shop's
 * credit is the sum of the receipts, the customer's debit is the sum of the withdrawals and the
 * PayWord hold, and the coins the bank counts as outstanding are exactly the wallet's.
 */
import type { Page } from 'puppeteer-core';
import { expect, it } from 'vitest';
import { hoverPriced, type WalletBrowser } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import { call, clickPriced, coinValue, contentShown, onboard, sum, walletState } from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops the running service worker, as Chrome does when it decides to. */
async function stopServiceWorker(w: WalletBrowser): Promise<void> {
  const worker = await w.serviceWorker();
  await worker.close();
}

/** Waits until no task is open (reserved or sent); the messages themselves wake the worker. */
async function settled(page: Page): Promise<void> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const open = (await call(page, 'task.list', { limit: 500 })).filter(
      (task) => task.status === 'reserved' || task.status === 'sent',
    );
    if (open.length === 0) return;
    if (Date.now() > deadline) throw new Error(`tasks still open: ${JSON.stringify(open)}`);
    await sleep(250);
  }
}

it('loses nothing and pays nothing twice when the worker is stopped mid-flight', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 100);
  await call(popup, 'settings.update', { confirmFirstPayment: false });
  await call(popup, 'site.update', {
    origin: e2e.world.shopUrl,
    budget: { currency: 'EUR', minor: 5_000 },
  });
  const start = await e2e.world.books();

  // Withdrawals cut short at several points.
  for (const delay of [0, 15, 40, 100, 250]) {
    const task = await call(popup, 'withdraw.start', {
      url: e2e.world.bankUrl,
      amount: { currency: 'EUR', minor: 100 },
    });
    await sleep(delay);
    await stopServiceWorker(w);
    await settled(popup);
    const done = (await call(popup, 'task.list', { limit: 500 })).find((t) => t.id === task.id);
    expect(done?.status, `withdrawal stopped after ${delay} ms`).toBe('confirmed');
  }

  // Payments cut short at several points: PayWord (small prices) and coins (EUR 0.12, 0.20).
  const page = await w.browser.newPage();
  const delays = [0, 3, 8, 15, 30, 60, 120, 250];
  for (const [i, article] of pricedArticles.entries()) {
    await page.goto(e2e.world.shopUrl);
    await hoverPriced(page, article.path);
    await clickPriced(page, article.path);
    await sleep(delays[i % delays.length]!);
    await stopServiceWorker(w);
    await settled(popup);
    // The reader clicks again: either the resumed payment is found (the wallet shows the
    // article as paid and opens it), or it is paid now; never twice.
    await page.goto(e2e.world.shopUrl);
    await hoverPriced(page, article.path, ['owned', 'payable']);
    await clickPriced(page, article.path);
    await contentShown(page, article);
  }
  await settled(popup);

  const state = await walletState(popup);
  expect(state.coins.filter((coin) => coin.status === 'reserved')).toEqual([]);
  expect(
    state.payments.filter((payment) => !['confirmed', 'failed'].includes(payment.status)),
  ).toEqual([]);
  const confirmed = state.payments.filter((payment) => payment.status === 'confirmed');
  // One paid payment per article, one receipt per paid payment.
  expect(confirmed.map((payment) => payment.resource).sort()).toEqual(
    pricedArticles.map((article) => article.path).sort(),
  );
  expect(state.receipts.map((receipt) => receipt.receiptId).sort()).toEqual(
    confirmed.map((payment) => payment.receiptId).sort(),
  );
  expect(state.withdrawals.filter((withdrawal) => withdrawal.status !== 'done')).toEqual([]);

  // The bank: the coins it counts as outstanding are the wallet's spendable coins; the shop
  // has the e-cash receipts now and the PayWord ones once it settles; the customer paid the
  // withdrawals and the PayWord hold, nothing more.
  await e2e.world.settle();
  const end = await e2e.world.books();
  expect(end.coins).toBe(coinValue(state, 'spendable'));
  expect(end.merchant - start.merchant).toBe(sum(state.receipts.map((receipt) => receipt.minor)));
  expect(start.customer - end.customer).toBe(
    5 * 100 +
      (end.holds - start.holds) +
      sum(state.receipts.filter((r) => r.instrument === 'payword').map((r) => r.minor)),
  );
  expect(await e2e.world.problems()).toEqual([]);
}, 180_000);
