/**
 * Issue 20 — the recovery phrase through the wallet's recovery page, in a real browser: the
 * page shows 24 words once and asks three of them back; the wallet withdraws EUR 5. A second
 * browser with a fresh profile (the first one's disk is gone) logs in to the bank, takes the
 * typed phrase on the same page, and gets back the EUR 5 of coins; returning them to the bank
 * credits the account once, however often the button is pressed.
 */
import type { Page } from 'puppeteer-core';
import { expect, it } from 'vitest';
import { launchWalletBrowser, type WalletBrowser } from '../browser/browser.ts';
import { byTestId, call, coinValue, onboard, walletState } from './wallet.ts';
import { demo, e2eSuite } from './world.ts';

const e2e = e2eSuite();

function recoveryPage(wallet: WalletBrowser): Promise<Page> {
  return wallet.browser.newPage().then(async (page) => {
    await page.goto(`${wallet.extensionOrigin}/extension/src/pages/recovery/index.html`);
    return page;
  });
}

async function textOf(page: Page, id: string): Promise<string> {
  const handle = await page.waitForSelector(byTestId(id), { timeout: 30_000 });
  return (await handle!.evaluate((element) => element.textContent ?? '')).trim();
}

it('shows the phrase once, checks it, and restores the coins in a fresh browser', async () => {
  const first = await recoveryPage(e2e.wallet);
  await first.locator(byTestId('recovery-create')).click();
  await first.waitForSelector(byTestId('recovery-word-23'));
  const words = await first.$$eval(`${byTestId('recovery-words')} li`, (items) =>
    items.map((item) => (item.textContent ?? '').trim()),
  );
  expect(words).toHaveLength(24);
  await first.locator(byTestId('recovery-written')).click();
  await first.waitForSelector(byTestId('recovery-answer-2'));
  const asked = await first.$$eval('label[for^="recovery-answer-"]', (labels) =>
    labels.map((label) => Number((label.textContent ?? '').replace(/\D/g, '')) - 1),
  );
  expect(asked).toHaveLength(3);
  // A wrong word first: refused, nothing confirmed.
  await first.locator(byTestId('recovery-answer-0')).fill('zzz');
  await first.locator(byTestId('recovery-answer-1')).fill(words[asked[1]!]!);
  await first.locator(byTestId('recovery-answer-2')).fill(words[asked[2]!]!);
  await first.locator(byTestId('recovery-confirm')).click();
  await first.waitForSelector('[data-code="phrase_mismatch"]', { timeout: 15_000 });
  expect(await call(first, 'recovery.status', {})).toMatchObject({ status: 'unconfirmed' });
  await first.locator(byTestId('recovery-answer-0')).fill(words[asked[0]!]!);
  await first.locator(byTestId('recovery-confirm')).click();
  expect(await textOf(first, 'recovery-status')).toContain('written down');
  // Shown once: the wallet does not give the words out again.
  await expect(call(first, 'recovery.create', {})).rejects.toMatchObject({ code: 'phrase_exists' });

  await onboard(first, e2e.world.bankUrl, 500);
  expect(coinValue(await walletState(first), 'spendable')).toBe(500);

  // The first browser's profile is gone; a new one knows only the phrase and the login.
  const fresh = await launchWalletBrowser();
  try {
    const page = await recoveryPage(fresh);
    const bank = await call(page, 'bank.inspect', { url: e2e.world.bankUrl });
    await call(page, 'bank.trust', {
      url: e2e.world.bankUrl,
      caFingerprint: bank.caFingerprint,
      mintKeyFingerprint: bank.mintKeyFingerprint,
      ...(bank.brokerKeyFingerprint === undefined
        ? {}
        : { brokerKeyFingerprint: bank.brokerKeyFingerprint }),
    });
    await call(page, 'bank.login', {
      url: e2e.world.bankUrl,
      username: demo.name,
      password: demo.password,
    });
    await page.reload();
    await page.locator(byTestId('recovery-start-restore')).click();
    await page.locator(byTestId('recovery-phrase')).fill(words.join(' '));
    await page.locator(byTestId('recovery-restore')).click();
    expect(await textOf(page, 'recovery-status')).toContain('restored');
    await page.locator(byTestId('recovery-lost-coins')).click();
    expect(await textOf(page, 'recovery-lost-result')).toMatch(/Found 1 withdrawals.*worth 5\.00/);
    expect(coinValue(await walletState(page), 'spendable')).toBe(500);

    const before = await e2e.world.books();
    await page.locator(byTestId('recovery-return')).click();
    expect(await textOf(page, 'recovery-return-result')).toContain('worth 5.00');
    expect(await call(page, 'recovery.returnCoins', { bankUrl: e2e.world.bankUrl })).toEqual({
      coins: 0,
      value: 0,
    });
    const after = await e2e.world.books();
    expect(after.customer - before.customer).toBe(500);
    expect(before.coins - after.coins).toBe(500);
    expect(await e2e.world.problems()).toEqual([]);
  } finally {
    await fresh.close();
  }
}, 180_000);
