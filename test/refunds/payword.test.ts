/**
 * PayWord refunds against the real bank (Hono app over SQLite) and the SDK over a real SQLite
 * merchant store: the broker credits the payer's account from the merchant's. A payment the
 * broker has not paid the merchant for yet is settled first, then refunded. The books balance
 * after each test.
 */
import { amount } from '@farthing/protocol/amount';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  offerOf,
  type PaywordWallet,
  paywordCredential,
  paywordWallet,
} from '../merchant/merchant.fixture.ts';
import {
  carolBalance,
  expectBooksBalance,
  openRefundWorld,
  paidReceipt,
  payOut,
  type RefundWorld,
  shopBalance,
} from './refunds.fixture.ts';

let w: RefundWorld;
beforeAll(async () => {
  w = await openRefundWorld();
});
afterAll(() => w.close());
afterEach(() => expectBooksBalance(w.world));

/** Pays an article (5 one-cent words) by revealing word `index`. */
async function paidArticle(wallet: PaywordWallet, index: number, firstUse = false) {
  const offer = await offerOf(w.merchant, `/articles/payword-${index}`);
  return paidReceipt(w.merchant, paywordCredential(offer, wallet, index, firstUse));
}

async function balances() {
  return { shop: await shopBalance(w.world), carol: await carolBalance(w.world) };
}

describe('refunding a PayWord receipt', () => {
  it('settles the words first, then credits the payer from the merchant', async () => {
    const wallet = await paywordWallet(w.world);
    const receiptId = await paidArticle(wallet, 5, true);
    const before = await balances();
    // Nothing redeemed yet: the SDK redeems (the shop gets 5), then refunds 2 to carol.
    const result = await w.merchant.refund(receiptId, 'EUR 0.02');
    expect(result).toMatchObject({ instrument: 'payword', amount: amount('EUR', 2) });
    expect(await balances()).toEqual({ shop: before.shop + 5 - 2, carol: before.carol + 2 });
    const rest = await w.merchant.refund(receiptId);
    expect(rest.amount).toEqual(amount('EUR', 3));
    expect(rest.refunded).toEqual(amount('EUR', 5));
    expect(await balances()).toEqual({ shop: before.shop, carol: before.carol + 5 });
    await expect(w.merchant.refund(receiptId, 'EUR 0.01')).rejects.toMatchObject({
      code: 'refund_exceeds_payment',
    });
  });

  it('keeps each receipt of one chain to what it paid', async () => {
    const wallet = await paywordWallet(w.world);
    const first = await paidArticle(wallet, 5, true);
    const second = await paidArticle(wallet, 10);
    await w.merchant.settle();
    const before = await balances();
    await expect(w.merchant.refund(first, 'EUR 0.06')).rejects.toMatchObject({
      code: 'refund_exceeds_payment',
    });
    await w.merchant.refund(first);
    await w.merchant.refund(second, 'EUR 0.04');
    await expect(w.merchant.refund(first, 'EUR 0.01')).rejects.toMatchObject({
      code: 'refund_exceeds_payment',
    });
    expect(await balances()).toEqual({ shop: before.shop - 9, carol: before.carol + 9 });
  });

  it('lets concurrent refunds of one receipt together give back at most what it paid', async () => {
    const wallet = await paywordWallet(w.world);
    const receiptId = await paidArticle(wallet, 5, true);
    await w.merchant.settle();
    const before = await balances();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => w.merchant.refund(receiptId, 'EUR 0.02')),
    );
    const outcomes = results.map((r) =>
      r.status === 'fulfilled' ? 'refunded' : (r.reason as { code: string }).code,
    );
    expect(outcomes.sort()).toEqual([
      'refund_exceeds_payment',
      'refund_exceeds_payment',
      'refund_exceeds_payment',
      'refunded',
      'refunded',
    ]);
    expect(await balances()).toEqual({ shop: before.shop - 4, carol: before.carol + 4 });
  });

  it('refuses a refund once the merchant’s money has left its account, moving nothing', async () => {
    const wallet = await paywordWallet(w.world);
    const receiptId = await paidArticle(wallet, 5, true);
    await w.merchant.settle();
    await payOut(w.world, await shopBalance(w.world));
    const before = await balances();
    await expect(w.merchant.refund(receiptId)).rejects.toMatchObject({
      code: 'insufficient_funds',
    });
    expect(await balances()).toEqual(before);
  });
});
