/**
 * A merchant that withdraws a paid resource refunds automatically (issue 20): every payment of
 * that resource whose grant still runs is refunded in full, e-cash and PayWord, once however
 * often the resource is withdrawn; other resources' payments are left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ecashCredential,
  offerOf,
  paywordCredential,
  paywordWallet,
  withdraw,
} from '../merchant/merchant.fixture.ts';
import {
  carolBalance,
  expectBooksBalance,
  openRefundWorld,
  paidReceipt,
  type RefundWorld,
  shopBalance,
} from './refunds.fixture.ts';

let w: RefundWorld;
beforeAll(async () => {
  w = await openRefundWorld();
});
afterAll(() => w.close());

describe('withdrawing a paid resource', () => {
  it('refunds every payer whose grant still runs, once, and nobody else', async () => {
    const gone = await offerOf(w.merchant, '/articles/withdrawn');
    const kept = await offerOf(w.merchant, '/articles/kept');
    const ecash = await paidReceipt(
      w.merchant,
      ecashCredential(gone, await withdraw(w.world, [5])),
    );
    const wallet = await paywordWallet(w.world);
    await paidReceipt(w.merchant, paywordCredential(gone, wallet, 5, true));
    await paidReceipt(w.merchant, ecashCredential(kept, await withdraw(w.world, [5])));
    // Part of the e-cash payment was refunded before: only the rest goes back now.
    await w.merchant.refund(ecash, 'EUR 0.01');
    const before = { shop: await shopBalance(w.world), carol: await carolBalance(w.world) };

    const result = await w.merchant.withdrawResource('/articles/withdrawn');
    expect(result.refunded.map((r) => [r.instrument, r.amount.minor])).toEqual([
      ['ecash', 4],
      ['payword', 5],
    ]);
    expect(result.total).toEqual(['EUR 0.09']);
    // The PayWord words were settled first (+5 to the shop), then both refunds left it.
    expect(await shopBalance(w.world)).toBe(before.shop + 5 - 9);
    expect(await carolBalance(w.world)).toBe(before.carol + 5);

    const again = await w.merchant.withdrawResource('/articles/withdrawn');
    expect(again.refunded.map((r) => r.refundId)).toEqual(result.refunded.map((r) => r.refundId));
    expect(again.total).toEqual(['EUR 0.09']);
    expect(await shopBalance(w.world)).toBe(before.shop + 5 - 9);
    await expectBooksBalance(w.world);
  });
});
