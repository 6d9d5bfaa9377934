/**
 * Issue 6, part 1 — onboarding through the popup, as a new user does it: add the bank (the
 * popup shows its key fingerprints, the user pins them), log in, withdraw EUR 5. The bank
 * debits the customer exactly once, the coins it signed are the wallet's spendable coins, and
 * the popup shows the balance.
 */
import type { Page } from 'puppeteer-core';
import { expect, it } from 'vitest';

import { byTestId, coinValue, walletState } from './wallet.ts';
import { demo, e2eSuite } from './world.ts';

const e2e = e2eSuite();

async function textOf(page: Page, id: string): Promise<string> {
  const handle = await page.waitForSelector(byTestId(id), { timeout: 15_000 });
  return (await handle!.evaluate((element) => element.textContent ?? '')).trim();
}

it('adds the bank, logs in and withdraws EUR 5 from the popup', async () => {
  const w = e2e.wallet;
  const before = await e2e.world.books();
  const popup = await w.openWalletPage('popup');

  await popup.locator(byTestId('add-bank-url')).fill(e2e.world.bankUrl);
  await popup.locator(byTestId('add-bank-inspect')).click();
  // The user is shown the keys to pin: SHA-256 fingerprints in hex pairs.
  expect(await textOf(popup, 'bank-fingerprints')).toMatch(/([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  await popup.locator(byTestId('add-bank-trust')).click();

  await popup.locator(byTestId('login-username')).fill(demo.name);
  await popup.locator(byTestId('login-password')).fill(demo.password);
  await popup.locator(byTestId('login-submit')).click();

  await popup.locator(byTestId('withdraw-amount')).fill('5.00');
  await popup.locator(byTestId('withdraw-submit')).click();
  await popup.waitForFunction(
    (selector) => document.querySelector(selector)?.textContent?.includes('EUR 5.00') ?? false,
    { timeout: 30_000, polling: 100 },
    byTestId('balance-ecash'),
  );

  // The bank debited the account once, by EUR 5, and signed EUR 5 of coins; the wallet holds
  // exactly those, all spendable, and its withdrawal is finished.
  const after = await e2e.world.books();
  expect(before.customer - after.customer).toBe(500);
  expect(after.coins - before.coins).toBe(500);
  const state = await walletState(popup);
  expect(coinValue(state, 'spendable')).toBe(500);
  expect(coinValue(state, 'reserved', 'spent')).toBe(0);
  expect(state.withdrawals.map((w) => w.status)).toEqual(['done']);
  expect(state.tasks.every((task) => task.status === 'confirmed')).toBe(true);
  expect(await e2e.world.problems()).toEqual([]);

  // The popup keeps showing it after reopening (state is in IndexedDB, not in the page).
  await popup.reload();
  expect(await textOf(popup, 'balance-ecash')).toContain('EUR 5.00');
}, 90_000);
