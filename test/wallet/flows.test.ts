/**
 * The wallet core end to end against the real bank and demo shop: add the bank, log in,
 * withdraw, pay with e-cash and with PayWord, read the receipts, and check the bank's books.
 */

import { listReceipts } from '@farthing/extension/wallet/history';
import { expectChain } from '@farthing/extension/wallet/instruments/payword/expected-chains';
import { describeOffer, duplicateWindowMs, payOffer } from '@farthing/extension/wallet/pay/pay';
import { updateSettings } from '@farthing/extension/wallet/settings';
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

let world: ShopWorld;
let wallet: Wallet;

beforeAll(async () => {
  world = await openShopWorld();
  wallet = await openTestWallet(freshDbName(), crashingFetch().platform);
  await addBankAndLogIn(wallet, world);
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

/** Articles PayWord pays without asking. */
const cheap = pricedArticles.filter((a) => a.price <= 10);

/** A click on `article`'s link on the shop's front page. */
const pay = async (article: (typeof pricedArticles)[number]) =>
  payOffer(wallet, wallet.hooks, {
    token: await offerTokenAt(world, article.path),
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seenClick,
  });

describe('the wallet core against the real bank and shop', () => {
  it('withdraws an amount as a spread of coins and the bank debits it once', async () => {
    const before = await world.books();
    const task = await wallet.withdraw({
      url: world.running.url,
      amount: { currency: 'EUR', minor: 300 },
    });
    expect(task.status).toBe('reserved');
    expect(await wallet.resume()).toBe(0);
    const totals = await coinTotals(wallet);
    expect(totals.spendable).toBe(300);
    const after = await world.books();
    expect(before.customer - after.customer).toBe(300);
    expect(after.coins - before.coins).toBe(300);
    const tasks = await wallet.db.getAll('tasks');
    expect(tasks.map((t) => [t.kind, t.status])).toEqual([['withdraw', 'confirmed']]);
  });

  it('pays an article with e-cash and stores the verified receipt', async () => {
    const article = pricedArticles.at(-1)!;
    const token = await offerTokenAt(world, article.path);
    const href = `${world.shopUrl}${article.path}`;
    const view = await describeOffer(wallet, { token, href, pageUrl: `${world.shopUrl}/` });
    expect(view.status).toBe('payable');
    const before = await world.books();
    const outcome = await payOffer(wallet, wallet.hooks, {
      token,
      href,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    });
    expect(outcome).toMatchObject({ status: 'paid', instrument: 'ecash', navigateTo: href });
    const after = await world.books();
    expect(after.merchant - before.merchant).toBe(article.price);
    expect(before.coins - after.coins).toBeGreaterThanOrEqual(article.price);
    const receipts = await listReceipts(wallet);
    expect(receipts[0]).toMatchObject({ price: { minor: article.price }, instrument: 'ecash' });
    expect(await world.problems()).toEqual([]);
  });

  it('pays a cheap article with PayWord under a broker certificate, one chain per vendor', async () => {
    const article = pricedArticles[0]!;
    expect(article.price).toBeLessThanOrEqual(10);
    const token = await offerTokenAt(world, article.path);
    const href = `${world.shopUrl}${article.path}`;
    const first = await payOffer(wallet, wallet.hooks, {
      token,
      href,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    });
    expect(first).toMatchObject({ status: 'paid', instrument: 'payword' });
    const second = pricedArticles[1]!;
    const token2 = await offerTokenAt(world, second.path);
    const paid = await payOffer(wallet, wallet.hooks, {
      token: token2,
      href: `${world.shopUrl}${second.path}`,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    });
    expect(paid).toMatchObject({ status: 'paid', instrument: 'payword' });
    const chains = await wallet.db.getAll('paywordChains');
    expect(chains).toHaveLength(1);
    expect(chains[0]).toMatchObject({
      acceptedIndex: article.price + second.price,
      status: 'open',
    });
  });

  it('refuses above the daily budget in the background and logs the refusal', async () => {
    await updateSettings(wallet, { dailyBudget: { currency: 'EUR', minor: 1 } });
    const article = pricedArticles.at(-2)!;
    const token = await offerTokenAt(world, article.path);
    const outcome = await payOffer(wallet, wallet.hooks, {
      token,
      href: `${world.shopUrl}${article.path}`,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    });
    expect(outcome).toMatchObject({ status: 'refused', error: { code: 'over_daily_budget' } });
    const refusals = await wallet.db.getAll('refusals');
    expect(refusals.at(-1)?.error.code).toBe('over_daily_budget');
    await updateSettings(wallet, { dailyBudget: { currency: 'EUR', minor: 500 } });
  });

  it('asks before a PayWord click above the auto-pay threshold though the chain is open', async () => {
    await updateSettings(wallet, { autoPayThreshold: { currency: 'EUR', minor: 0 } });
    const article = pricedArticles.filter((a) => a.price <= 10)[2]!;
    const params = {
      token: await offerTokenAt(world, article.path),
      href: `${world.shopUrl}${article.path}`,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    };
    const [chain] = await wallet.db.getAll('paywordChains');
    const asked: unknown[] = [];
    const declined = await payOffer(
      wallet,
      {
        ...wallet.hooks,
        confirm: async (request) => {
          asked.push(request);
          return false;
        },
      },
      params,
    );
    expect(declined).toMatchObject({ status: 'refused', error: { code: 'confirmation_declined' } });
    expect(asked).toMatchObject([{ reason: 'above_threshold', instrument: 'payword' }]);
    expect(await wallet.db.get('paywordChains', chain!.id)).toEqual(chain);
    const accepted = await payOffer(wallet, wallet.hooks, params);
    expect(accepted).toMatchObject({ status: 'paid', instrument: 'payword' });
    expect(await wallet.db.get('paywordChains', chain!.id)).toMatchObject({
      reservedIndex: chain!.reservedIndex + article.price,
      acceptedIndex: chain!.acceptedIndex + article.price,
    });
    await updateSettings(wallet, { autoPayThreshold: { currency: 'EUR', minor: 20 } });
  });

  it('reserves from the chain as stored when it changed behind the worker’s back', async () => {
    expect(await pay(cheap[3]!)).toMatchObject({ status: 'paid', instrument: 'payword' });
    const [chain] = await wallet.db.getAll('paywordChains');
    // Written elsewhere (another version of the wallet, a restored backup): the worker's own
    // idea of the chain is now out of date, and the click must not write it back.
    const changed = { ...chain!, createdAt: chain!.createdAt - 1 };
    await wallet.db.put('paywordChains', changed);
    expect(await pay(cheap[4]!)).toMatchObject({ status: 'paid', instrument: 'payword' });
    expect(await wallet.db.get('paywordChains', chain!.id)).toEqual({
      ...changed,
      reservedIndex: chain!.reservedIndex + cheap[4]!.price,
      acceptedIndex: chain!.acceptedIndex + cheap[4]!.price,
    });
  });

  it('never spends from a closed chain, even one a late confirmation left remembered', async () => {
    const open = await wallet.db.getAll('paywordChains');
    const chain = open.find((c) => c.status === 'open')!;
    // A refused payment closed the chain; a confirmation of an earlier payment on it came
    // back afterwards and handed the closed record to the click path's memory.
    const closed = { ...chain, status: 'closed' as const };
    await wallet.db.put('paywordChains', closed);
    expectChain(wallet.db, closed);
    expect(await pay(cheap[5]!)).toMatchObject({ status: 'paid', instrument: 'payword' });
    expect(await wallet.db.get('paywordChains', chain.id)).toEqual(closed);
    const payments = await wallet.db.getAll('payments');
    const last = payments.sort((a, b) => a.createdAt - b.createdAt).at(-1)!;
    expect(last).toMatchObject({ instrument: 'payword' });
    expect(last.instrument === 'payword' && last.chainId).not.toBe(chain.id);
  });

  it.each([
    ['e-cash', 'ecash', pricedArticles.find((a) => a.price > 10)!],
    ['PayWord', 'payword', cheap[0]!],
  ])(
    'pays an offer once with %s when a later click was confirmed while the first still asked',
    async (_, instrument, article) => {
      // Its own wallet, with a clock the test moves: the second click comes after the window in
      // which a click repeats the one before, so only the reservation can see the first payment.
      let skew = 0;
      const platform = { ...crashingFetch().platform, now: () => Date.now() + skew };
      const other = await openTestWallet(freshDbName(), platform);
      try {
        await addBankAndLogIn(other, world);
        await other.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 100 } });
        expect(await other.resume()).toBe(0);
        // Every payment asks first.
        await updateSettings(other, { autoPayThreshold: { currency: 'EUR', minor: 0 } });
        const params = {
          token: await offerTokenAt(world, article.path),
          href: `${world.shopUrl}${article.path}`,
          pageUrl: `${world.shopUrl}/`,
          seen: seenClick,
        };
        let answerFirst: ((accepted: boolean) => void) | undefined;
        let asked = () => {};
        const firstAsked = new Promise<void>((resolve) => {
          asked = resolve;
        });
        const first = payOffer(
          other,
          {
            ...other.hooks,
            confirm: () => {
              asked();
              return new Promise<boolean>((answer) => {
                answerFirst = answer;
              });
            },
          },
          params,
        );
        await firstAsked;
        skew += duplicateWindowMs;
        const before = await world.books();
        const second = await payOffer(other, { ...other.hooks, confirm: async () => true }, params);
        expect(second).toMatchObject({ status: 'paid', instrument });
        // The user now confirms the first window too: the offer is paid already.
        answerFirst!(true);
        // The first click finds the offer paid: the same payment, nothing paid again.
        expect(await first).toEqual({ ...second, owned: true });
        const payments = await other.db.getAll('payments');
        expect(payments.map((p) => [p.offerHash, p.status])).toEqual([
          [payments[0]!.offerHash, 'confirmed'],
        ]);
        if (instrument === 'ecash') {
          expect((await world.books()).merchant - before.merchant).toBe(article.price);
          expect((await coinTotals(other)).spendable).toBe(100 - article.price);
        } else {
          const [chain] = await other.db.getAll('paywordChains');
          expect(chain).toMatchObject({
            reservedIndex: article.price,
            acceptedIndex: article.price,
          });
        }
      } finally {
        other.close();
      }
    },
  );

  it('trusts a certificate check only in the wallet and under the CA that made it', async () => {
    const article = pricedArticles.at(-1)!;
    const params = {
      token: await offerTokenAt(world, article.path),
      href: `${world.shopUrl}${article.path}`,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    };
    // The offer checks out here: payable, or owned when an earlier test in this file bought it.
    expect((await describeOffer(wallet, params)).status).toMatch(/^(payable|owned)$/);
    // Another wallet database in the same worker pins the same bank URL to another CA.
    const other = await openTestWallet(freshDbName(), crashingFetch().platform);
    try {
      const [bank] = await wallet.db.getAll('banks');
      const otherCa = Uint8Array.from(bank!.caCertificate);
      otherCa[otherCa.length - 1]! ^= 1; // the signature no longer verifies
      await other.db.put('banks', { ...bank!, caCertificate: otherCa, caFingerprint: 'other' });
      expect(await describeOffer(other, params)).toMatchObject({
        status: 'refused',
        error: { code: 'merchant_not_certified' },
      });
    } finally {
      other.close();
    }
  });
});
