/**
 * Killing the service worker at any request of a withdrawal or a payment, before the request
 * leaves or after the server acted on it, then reopening the wallet on the same database:
 * nothing is lost and nothing is paid twice, and the bank's books agree with the wallet.
 */

import { describeOffer, payOffer } from '@farthing/extension/wallet/pay/pay';
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

beforeAll(async () => {
  world = await openShopWorld();
}, 120_000);

afterAll(async () => {
  await closeShopWorld(world);
});

const modes = ['before', 'after'] as const;

describe('a worker killed mid-withdrawal', () => {
  for (const when of modes) {
    it(`recovers the coins when killed ${when} the withdrawal request`, async () => {
      const dbName = freshDbName();
      const net = crashingFetch();
      const wallet = await openTestWallet(dbName, net.platform);
      await addBankAndLogIn(wallet, world);
      const before = await world.books();
      net.crashAt = { at: net.count + 1, when };
      await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 40 } });
      expect(await wallet.resume()).toBe(1);
      wallet.close();

      const again = await openTestWallet(dbName, crashingFetch().platform);
      expect(await again.resume()).toBe(0);
      expect(await coinTotals(again)).toMatchObject({ spendable: 40, reserved: 0 });
      const after = await world.books();
      expect(before.customer - after.customer).toBe(40);
      expect(after.coins - before.coins).toBe(40);
      again.close();
    });
  }
});

describe('a worker killed mid-payment', () => {
  const article = pricedArticles.find((a) => a.price > 10)!;
  for (const when of modes) {
    it(`pays exactly once when killed ${when} sending an e-cash payment`, async () => {
      const dbName = freshDbName();
      const net = crashingFetch();
      const wallet = await openTestWallet(dbName, net.platform);
      await addBankAndLogIn(wallet, world);
      await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 100 } });
      expect(await wallet.resume()).toBe(0);
      const token = await offerTokenAt(world, article.path);
      const href = `${world.shopUrl}${article.path}`;
      const pageUrl = `${world.shopUrl}/`;
      // The hover fetched the merchant's descriptor, so the payment's one request is the
      // POST of the credential to the merchant, where the worker dies.
      expect(await describeOffer(wallet, { token, href, pageUrl })).toMatchObject({
        status: 'payable',
      });
      const before = await world.books();
      net.crashAt = { at: net.count + 1, when };
      const crashed = await payOffer(wallet, wallet.hooks, {
        token,
        href,
        pageUrl,
        seen: seenClick,
      });
      expect(crashed.status, JSON.stringify([net.log, crashed])).toBe('refused');
      expect(net.log.at(-1)).toBe('POST /.well-known/farthing/pay');
      wallet.close();

      // The restarted worker resumes its tasks, and the user clicks again: one payment.
      const again = await openTestWallet(dbName, crashingFetch().platform);
      await again.resume();
      const outcome = await payOffer(again, again.hooks, { token, href, pageUrl, seen: seenClick });
      expect(outcome).toMatchObject({ status: 'paid' });
      const after = await world.books();
      expect(after.merchant - before.merchant).toBe(article.price);
      const totals = await coinTotals(again);
      expect(totals.reserved).toBe(0);
      // Coins the bank still owes are exactly the ones the wallet can spend.
      // The coins the mint took are exactly the ones the wallet no longer has.
      expect(before.coins - after.coins).toBe(article.price);
      expect(totals.spendable).toBe(100 - article.price);
      const payments = await again.db.getAll('payments');
      expect(payments.filter((p) => p.status === 'confirmed')).toHaveLength(1);
      expect(await world.problems()).toEqual([]);
      again.close();
    });
  }

  it('sends a PayWord payment killed after the merchant took it again and gets the same receipt', async () => {
    const cheap = pricedArticles[0]!;
    const dbName = freshDbName();
    const net = crashingFetch();
    const wallet = await openTestWallet(dbName, net.platform);
    await addBankAndLogIn(wallet, world);
    const token = await offerTokenAt(world, cheap.path);
    const href = `${world.shopUrl}${cheap.path}`;
    const pageUrl = `${world.shopUrl}/`;
    // descriptor, certificate, pay: kill after the pay request
    await payOffer(wallet, wallet.hooks, {
      token: await offerTokenAt(world, pricedArticles[1]!.path),
      href: `${world.shopUrl}${pricedArticles[1]!.path}`,
      pageUrl,
      seen: seenClick,
    });
    net.crashAt = { at: net.count + 1, when: 'after' };
    expect(
      (await payOffer(wallet, wallet.hooks, { token, href, pageUrl, seen: seenClick })).status,
    ).toBe('refused');
    wallet.close();
    const again = await openTestWallet(dbName, crashingFetch().platform);
    expect(await again.resume()).toBe(0);
    const payments = (await again.db.getAll('payments')).filter((p) => p.status === 'confirmed');
    expect(payments).toHaveLength(2);
    const [chain] = await again.db.getAll('paywordChains');
    expect(chain).toMatchObject({
      acceptedIndex: cheap.price + pricedArticles[1]!.price,
      status: 'open',
    });
    again.close();
  });
});
