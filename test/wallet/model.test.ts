/**
 * Model-based: random sequences of withdrawals, payments (e-cash and PayWord), kills of the
 * worker at the next request (before it leaves or after the server acted) and restarts, run
 * against the real bank and shop. After the last restart and resume: every coin is spendable
 * or spent, no coin paid two payments, the bank's books match the wallet's coins and
 * confirmed payments, and no offer was paid twice.
 */

import { payOffer } from '@farthing/extension/wallet/pay/pay';
import { updateSettings } from '@farthing/extension/wallet/settings';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

beforeAll(async () => {
  world = await openShopWorld();
}, 120_000);

afterAll(async () => {
  await closeShopWorld(world);
});

type Command =
  | { readonly type: 'withdraw'; readonly minor: number }
  | { readonly type: 'pay'; readonly article: number }
  | { readonly type: 'kill'; readonly when: 'before' | 'after' }
  | { readonly type: 'restart' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('withdraw' as const), minor: fc.integer({ min: 5, max: 60 }) }),
  fc.record({ type: fc.constant('pay' as const), article: fc.nat(pricedArticles.length - 1) }),
  fc.record({
    type: fc.constant('kill' as const),
    when: fc.constantFrom('before' as const, 'after' as const),
  }),
  fc.record({ type: fc.constant('restart' as const) }),
);

it('conserves money and spends no coin twice across random kills and restarts', async () => {
  // Conservation alone would also hold for a wallet that never pays: count what was done.
  let paidAcrossRuns = 0;
  let withdrawnAcrossRuns = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 2, maxLength: 7 }), async (commands) => {
      const dbName = freshDbName();
      let net = crashingFetch();
      let wallet: Wallet = await openTestWallet(dbName, net.platform);
      await addBankAndLogIn(wallet, world);
      await updateSettings(wallet, { confirmFirstPayment: false });
      const before = await world.books();
      const pageUrl = `${world.shopUrl}/`;
      for (const step of commands) {
        switch (step.type) {
          case 'withdraw':
            await wallet
              .withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: step.minor } })
              .catch(() => undefined);
            await wallet.resume();
            break;
          case 'pay': {
            const article = pricedArticles[step.article]!;
            const token = await offerTokenAt(world, article.path);
            await payOffer(wallet, wallet.hooks, {
              token,
              href: `${world.shopUrl}${article.path}`,
              pageUrl,
              seen: seenClick,
            });
            break;
          }
          case 'kill':
            net.crashAt = { at: net.count + 1, when: step.when };
            break;
          case 'restart':
            wallet.close();
            net = crashingFetch();
            wallet = await openTestWallet(dbName, net.platform);
            break;
        }
      }
      wallet.close();
      wallet = await openTestWallet(dbName, crashingFetch().platform);
      expect(await wallet.resume()).toBe(0);

      const after = await world.books();
      const totals = await coinTotals(wallet);
      expect(totals.reserved).toBe(0);
      const withdrawals = (await wallet.db.getAll('withdrawals')).filter(
        (w) => w.kind === 'withdraw' && w.status === 'done',
      );
      const withdrawn = withdrawals.reduce((sum, w) => sum + w.total, 0);
      withdrawnAcrossRuns += withdrawn;
      expect(before.customer - after.customer).toBe(withdrawn + (after.holds - before.holds));
      // The mint owes exactly the coins the wallet still holds.
      expect(after.coins - before.coins).toBe(totals.spendable);
      const payments = await wallet.db.getAll('payments');
      const confirmedEcash = payments.filter(
        (p) => p.status === 'confirmed' && p.instrument === 'ecash',
      );
      expect(after.merchant - before.merchant).toBe(
        confirmedEcash.reduce((sum, p) => sum + p.price.minor, 0),
      );
      const spentCoins = confirmedEcash.flatMap((p) => (p.instrument === 'ecash' ? p.coins : []));
      expect(new Set(spentCoins).size).toBe(spentCoins.length);
      const offers = payments.filter((p) => p.status === 'confirmed').map((p) => p.offerHash);
      paidAcrossRuns += offers.length;
      expect(new Set(offers).size).toBe(offers.length);
      for (const chain of await wallet.db.getAll('paywordChains')) {
        const accepted = payments
          .filter(
            (p) => p.instrument === 'payword' && p.chainId === chain.id && p.status === 'confirmed',
          )
          .reduce((sum, p) => sum + p.price.minor, 0);
        expect(chain.acceptedIndex).toBe(accepted);
      }
      expect(await world.problems()).toEqual([]);
      wallet.close();
    }),
    {
      numRuns: 12,
      // One sequence that surely withdraws and pays, before the random ones.
      examples: [
        [
          [
            { type: 'withdraw', minor: 60 },
            { type: 'pay', article: 0 },
            { type: 'kill', when: 'after' },
            { type: 'pay', article: pricedArticles.length - 1 },
            { type: 'restart' },
            { type: 'pay', article: 1 },
          ],
        ],
      ],
    },
  );
  expect(withdrawnAcrossRuns).toBeGreaterThan(0);
  expect(paidAcrossRuns).toBeGreaterThan(0);
}, 300_000);
