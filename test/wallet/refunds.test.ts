/**
 * The wallet learns of refunds (issue 20), against the real bank and the real demo shop on
 * loopback, on fake-indexeddb: the shop refunds a receipt with the SDK, the wallet reads the
 * receipt's refund URL, keeps the refunds the merchant signed, and turns an e-cash refund into
 * spendable coins at its next contact with the mint. A PayWord refund lands in the account.
 */
import { listReceipts } from '@farthing/extension/wallet/history';
import { payOffer } from '@farthing/extension/wallet/pay/pay';
import { learnRefunds, listRefunds } from '@farthing/extension/wallet/refunds/learn';
import { refreshRefundedCoins } from '@farthing/extension/wallet/refunds/refresh';
import { checkRefundsOnVisit } from '@farthing/extension/wallet/refunds/visit';
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
  await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 300 } });
  expect(await wallet.resume()).toBe(0);
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

async function pay(article: (typeof pricedArticles)[number]) {
  const outcome = await payOffer(wallet, wallet.hooks, {
    token: await offerTokenAt(world, article.path),
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seenClick,
  });
  if (outcome.status !== 'paid') throw new Error(`not paid: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('refunds in the wallet', () => {
  it('learns an e-cash refund from the merchant and turns it into spendable coins once', async () => {
    const article = pricedArticles.at(-1)!;
    const paid = await pay(article);
    expect(paid.instrument).toBe('ecash');
    expect(await learnRefunds(wallet, paid.receiptId)).toEqual([]);
    const before = await coinTotals(wallet);
    await world.shop.merchant.refund(paid.receiptId, { currency: 'EUR', minor: 3 });
    const learned = await learnRefunds(wallet, paid.receiptId);
    expect(learned).toMatchObject([
      { instrument: 'ecash', amount: { currency: 'EUR', minor: 3 }, status: 'credited' },
    ]);
    // Asking again keeps one record per refund.
    expect(await learnRefunds(wallet, paid.receiptId)).toHaveLength(1);
    const tasks = await refreshRefundedCoins(wallet, paid.receiptId);
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((task) => task.status === 'confirmed' && task.kind === 'refund')).toBe(true);
    expect((await coinTotals(wallet)).spendable).toBe((before.spendable ?? 0) + 3);
    expect(await refreshRefundedCoins(wallet, paid.receiptId)).toEqual([]);
    expect((await coinTotals(wallet)).spendable).toBe((before.spendable ?? 0) + 3);
    expect(await listRefunds(wallet)).toMatchObject([
      { receiptId: paid.receiptId, status: 'refreshed' },
    ]);
    const [shown] = await listReceipts(wallet, { limit: 1 });
    expect(shown).toMatchObject({ receiptId: paid.receiptId, refunded: { minor: 3 } });
    expect(await world.problems()).toEqual([]);
  });

  it('learns a PayWord refund, credited to the account by the broker', async () => {
    const paid = await pay(pricedArticles[0]!);
    expect(paid.instrument).toBe('payword');
    const before = await world.books();
    const refund = await world.shop.merchant.refund(paid.receiptId);
    const after = await world.books();
    expect(after.customer - before.customer).toBe(refund.amount.minor);
    expect(await learnRefunds(wallet, paid.receiptId)).toMatchObject([
      { instrument: 'payword', amount: refund.amount, status: 'credited' },
    ]);
    expect(await refreshRefundedCoins(wallet, paid.receiptId)).toEqual([]);
    expect(await world.problems()).toEqual([]);
  });

  it('learns refunds on its next visit to the shop and turns e-cash ones into coins there', async () => {
    const paid = await pay(pricedArticles.at(-2)!);
    expect(paid.instrument).toBe('ecash');
    const before = await coinTotals(wallet);
    await world.shop.merchant.refund(paid.receiptId, { currency: 'EUR', minor: 2 });
    const origin = new URL(world.shopUrl).origin;
    expect(await checkRefundsOnVisit(wallet, origin)).toBe(1);
    expect((await coinTotals(wallet)).spendable).toBe((before.spendable ?? 0) + 2);
    // A second visit soon after asks nobody again.
    expect(await checkRefundsOnVisit(wallet, origin)).toBe(0);
    expect(await world.problems()).toEqual([]);
  });
});
