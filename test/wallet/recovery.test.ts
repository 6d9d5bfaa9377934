/**
 * Recovery from the phrase (issue 20; README "Recovery"): a wallet withdraws and pays at the
 * real shop, its IndexedDB is deleted, and a fresh wallet given the phrase and the bank login
 * gets back exactly the coins that were still unspent — none already spent counts — and they
 * pay at the shop.
 */

import { payOffer } from '@farthing/extension/wallet/pay/pay';
import { recoverLostCoins } from '@farthing/extension/wallet/recovery/lost-coins';
import {
  confirmRecoveryPhrase,
  createRecoveryPhrase,
  restoreFromPhrase,
} from '@farthing/extension/wallet/recovery/master';
import { returnCoinsToBank } from '@farthing/extension/wallet/recovery/return-to-bank';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  coinTotals,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

/** Priced high enough that the wallet pays them with e-cash (cheaper ones go by PayWord). */
const ecashArticles = pricedArticles.filter((article) => article.price > 10);

let world: ShopWorld;
let phrase: string;
/** What the first wallet could still spend when its database went. */
let unspentBefore: number;
let changesMade: number;
const restored: Wallet[] = [];

async function pay(wallet: Wallet, article: (typeof pricedArticles)[number]) {
  const token = await offerTokenAt(world, article.path);
  return payOffer(wallet, wallet.hooks, {
    token,
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seenClick,
  });
}

beforeAll(async () => {
  world = await openShopWorld();
  const name = freshDbName();
  const original = await openTestWallet(name, crashingFetch().platform);
  const shown = await createRecoveryPhrase(original);
  await confirmRecoveryPhrase(
    original,
    shown.check.map((position) => ({ position, word: shown.words[position]! })),
  );
  phrase = shown.words.join(' ');
  await addBankAndLogIn(original, world);
  // EUR 0.25 makes 0.20 + 0.02 + 3 × 0.01 (ecash/denominations.ts): paying 0.12 from it
  // needs change of the 0.20 coin. Then a second withdrawal, and a payment from both.
  const [cheaper, dearer] = ecashArticles;
  await original.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 25 } });
  expect(await original.resume()).toBe(0);
  expect(await pay(original, cheaper!)).toMatchObject({ status: 'paid', instrument: 'ecash' });
  await original.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 40 } });
  expect(await original.resume()).toBe(0);
  expect(await pay(original, dearer!)).toMatchObject({ status: 'paid', instrument: 'ecash' });
  unspentBefore = (await coinTotals(original)).spendable ?? 0;
  expect(unspentBefore).toBe(65 - cheaper!.price - dearer!.price);
  // Some payment needed change: its coins come from the change seeds, not the withdrawals'.
  const changes = (await original.db.getAll('withdrawals')).filter((w) => w.kind === 'change');
  expect(changes.length).toBeGreaterThan(0);
  changesMade = changes.length;
  // The disk dies: the whole database goes.
  original.close();
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}, 180_000);

afterAll(async () => {
  for (const wallet of restored) wallet.close();
  await closeShopWorld(world);
});

describe('recovery from the phrase on a fresh profile', () => {
  it('brings back exactly the unspent coins of the last withdrawals, and they pay', async () => {
    const wallet = await openTestWallet(freshDbName(), crashingFetch().platform);
    restored.push(wallet);
    await restoreFromPhrase(wallet, phrase);
    await addBankAndLogIn(wallet, world);
    const result = await recoverLostCoins(wallet, world.running.url);
    expect(result.withdrawals).toBe(2);
    expect(result.changes).toBe(changesMade);
    // The coins the payment spent came back too, but as spent: they do not count.
    expect(result.spent).toBeGreaterThan(0);
    expect(result.value).toBe(unspentBefore);
    expect((await coinTotals(wallet)).spendable).toBe(unspentBefore);

    // Asking again finds the same withdrawals and adds nothing.
    expect(await recoverLostCoins(wallet, world.running.url)).toMatchObject({
      withdrawals: 2,
      changes: changesMade,
      recovered: 0,
      value: 0,
    });
    expect((await coinTotals(wallet)).spendable).toBe(unspentBefore);

    const before = await world.books();
    // Another reader's wallet buys the same article again.
    const next = ecashArticles[0]!;
    expect(await pay(wallet, next)).toMatchObject({ status: 'paid', instrument: 'ecash' });
    expect((await world.books()).merchant - before.merchant).toBe(next.price);
    expect(await world.problems()).toEqual([]);
  });

  it('withdraws afresh after the restore without reusing a recovered seed', async () => {
    const wallet = restored[0]!;
    const spendable = (await coinTotals(wallet)).spendable ?? 0;
    await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 100 } });
    expect(await wallet.resume()).toBe(0);
    expect((await coinTotals(wallet)).spendable).toBe(spendable + 100);
  });

  it('returns the recovered e-cash to the account, credited once though the answer was lost', async () => {
    // The same profile again, through a network that loses the bank's answer to the return.
    const net = crashingFetch();
    const name = freshDbName();
    const first = await openTestWallet(name, net.platform);
    await restoreFromPhrase(first, phrase);
    await addBankAndLogIn(first, world);
    await recoverLostCoins(first, world.running.url);
    const value = (await coinTotals(first)).spendable ?? 0;
    expect(value).toBeGreaterThan(0);
    const before = await world.books();
    net.crashAt = { at: net.count + 1, when: 'after' };
    await expect(returnCoinsToBank(first, world.running.url)).rejects.toThrow();
    first.close();

    const again = await openTestWallet(name, crashingFetch().platform);
    restored.push(again);
    expect(await coinTotals(again)).toMatchObject({ spendable: 0, reserved: value });
    expect(await returnCoinsToBank(again, world.running.url)).toMatchObject({ value });
    expect(await returnCoinsToBank(again, world.running.url)).toEqual({ coins: 0, value: 0 });
    const after = await world.books();
    expect(after.customer - before.customer).toBe(value);
    expect(before.coins - after.coins).toBe(value);
    expect(await coinTotals(again)).toMatchObject({
      spendable: 0,
      reserved: 0,
      spent: expect.any(Number),
    });
    expect(await world.problems()).toEqual([]);
  });

  it('refuses recovery without a phrase, and a phrase that is not one', async () => {
    const wallet = await openTestWallet(freshDbName(), crashingFetch().platform);
    restored.push(wallet);
    await addBankAndLogIn(wallet, world);
    await expect(recoverLostCoins(wallet, world.running.url)).rejects.toMatchObject({
      code: 'phrase_missing',
    });
    await expect(restoreFromPhrase(wallet, `${phrase} extra`)).rejects.toMatchObject({
      code: 'phrase_invalid',
    });
    expect(await coinTotals(wallet)).toEqual({ spendable: 0, reserved: 0, spent: 0 });
  });
});
