/**
 * The PayWord credit of a lost wallet (issue 20, recovery), against the real bank and demo
 * shop: a wallet pays with PayWord, then is lost; another wallet of the same account asks the
 * broker to end the certificates it does not hold. Its own certificate stays; the lost one's
 * vendor is still paid within the grace, and the rest comes back to the account after it,
 * long before the certificate's expiry. The books balance.
 */
import { payOffer } from '@farthing/extension/wallet/pay/pay';
import { endLostPaywordCredit } from '@farthing/extension/wallet/recovery/payword-release';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

let world: ShopWorld;
let lost: Wallet;
let restored: Wallet;

beforeAll(async () => {
  world = await openShopWorld();
  lost = await openTestWallet(freshDbName(), crashingFetch().platform);
  restored = await openTestWallet(freshDbName(), crashingFetch().platform);
  await addBankAndLogIn(lost, world);
  await addBankAndLogIn(restored, world);
}, 120_000);

afterAll(async () => {
  lost?.close();
  restored?.close();
  await closeShopWorld(world);
});

async function payWith(wallet: Wallet, article: (typeof pricedArticles)[number]) {
  const outcome = await payOffer(wallet, wallet.hooks, {
    token: await offerTokenAt(world, article.path),
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seenClick,
  });
  expect(outcome).toMatchObject({ status: 'paid', instrument: 'payword' });
}

const serialOf = async (wallet: Wallet) =>
  ((await wallet.db.getAll('paywordCertificates'))[0]!.json as { serial: number }).serial;

describe('the PayWord credit of a lost wallet', () => {
  it('ends only the certificates this wallet does not hold, and the credit comes back after the grace', async () => {
    const store = world.running.ctx.store;
    const graceMs = world.running.ctx.config.paywordRedeemGraceMs;
    await payWith(lost, pricedArticles[0]!);
    await payWith(restored, pricedArticles[1]!);
    const lostSerial = await serialOf(lost);
    const ownSerial = await serialOf(restored);
    const lostBefore = (await store.getPaywordCertificate(lostSerial))!;
    const ownBefore = (await store.getPaywordCertificate(ownSerial))!;

    const started = Date.now();
    const result = await endLostPaywordCredit(restored, world.running.url);
    expect(result.ended).toBe(1);
    const lostAfter = (await store.getPaywordCertificate(lostSerial))!;
    expect(lostAfter.expiresAt).toBeGreaterThanOrEqual(started);
    expect(lostAfter.expiresAt).toBeLessThan(lostBefore.expiresAt);
    expect(result.returnsBy).toBe(lostAfter.expiresAt + graceMs);
    expect((await store.getPaywordCertificate(ownSerial))!.expiresAt).toBe(ownBefore.expiresAt);
    // Asked again: nothing left to end.
    expect(await endLostPaywordCredit(restored, world.running.url)).toEqual({
      ended: 0,
      returnsBy: null,
    });

    // The shop redeems what the lost wallet paid it (within the grace), then after the grace the
    // housekeeping gives the rest of the lost certificate back to the account.
    await world.shop.merchant.settle();
    const redeemed = (await store.getPaywordCertificate(lostSerial))!.redeemed;
    expect(redeemed).toBe(pricedArticles[0]!.price);
    const customerBefore = (await world.books()).customer;
    const releasedAt = lostAfter.expiresAt + graceMs + 1;
    expect(
      await store.releasePaywordHolds({ expiredBefore: releasedAt - graceMs, now: releasedAt }),
    ).toBe(1);
    expect((await world.books()).customer - customerBefore).toBe(lostBefore.creditLimit - redeemed);
    expect((await store.getPaywordCertificate(ownSerial))!.releasedAt).toBeUndefined();
    expect(await world.problems()).toEqual([]);
  });
});
