/**
 * E-cash refunds against the real bank (Hono app over SQLite) and the SDK over a real SQLite
 * merchant store: the merchant refunds a receipt, the mint credits the value back to the
 * deposited coins, and the coins' owner refreshes that credit into fresh coins with the coins'
 * keys. Every refusal changes nothing; the books balance after each test.
 */
import { amount } from '@farthing/protocol/amount';
import { fromBase64url } from '@farthing/protocol/encoding';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { refunds } from '@farthing/protocol/refund';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ecashCredential,
  offerOf,
  offerSeed,
  shopOrigin,
  withdraw,
} from '../merchant/merchant.fixture.ts';
import {
  coinRefund,
  expectBooksBalance,
  openRefundWorld,
  paidReceipt,
  payOut,
  type RefundWorld,
  refreshCoin,
  shopBalance,
} from './refunds.fixture.ts';

let w: RefundWorld;
beforeAll(async () => {
  w = await openRefundWorld();
});
afterAll(() => w.close());
afterEach(() => expectBooksBalance(w.world));

async function paid(values: readonly number[] = [2, 2, 1]) {
  const coins = await withdraw(w.world, values);
  const offer = await offerOf(w.merchant, '/articles/refunds');
  const receiptId = await paidReceipt(w.merchant, ecashCredential(offer, coins));
  return { coins, receiptId };
}

/** Expects `promise` to fail with `code` and the shop's balance not to move. */
async function refused(promise: () => Promise<unknown>, code: string): Promise<void> {
  const before = await shopBalance(w.world);
  await expect(promise()).rejects.toMatchObject({ code });
  expect(await shopBalance(w.world)).toBe(before);
}

describe('refunding an e-cash receipt', () => {
  it('gives the whole payment back to the coins, signed by the merchant, and the wallet refreshes it into fresh coins', async () => {
    const { coins, receiptId } = await paid();
    const before = await shopBalance(w.world);
    const result = await w.merchant.refund(receiptId);
    expect(result).toMatchObject({ instrument: 'ecash', amount: amount('EUR', 5) });
    expect(result.refunded).toEqual(amount('EUR', 5));
    expect(await shopBalance(w.world)).toBe(before - 5);
    const refund = refunds.parse(result.refund);
    refunds.checkMerchantSignature(refund, {
      merchantPublicKey: nodeEd25519Signer(offerSeed).publicKey,
    });
    expect(refund.receiptId).toEqual(fromBase64url(receiptId));
    // Credited back coin by coin (in coin key order), each at most its value.
    const states = await Promise.all(coins.map((coin) => coinRefund(w.world, coin)));
    expect(states.map((s) => s.status)).toEqual(['refreshable', 'refreshable', 'refreshable']);
    for (const [index, coin] of coins.entries()) {
      expect(states[index]!.refunded).toBe(`EUR 0.0${coin.denomination.value.minor}`);
    }
    // The 2-cent coin becomes one fresh 2-cent coin; asking for more than its credit is refused.
    const two = coins.find((coin) => coin.denomination.value.minor === 2)!;
    const tooMuch = await refreshCoin(w.world, two, [2, 1]);
    expect(tooMuch.response.status).toBe(409);
    expect(await tooMuch.response.json()).toMatchObject({ code: 'refund_nothing_to_refresh' });
    const fresh = await refreshCoin(w.world, two, [2]);
    expect(fresh.response.status).toBe(200);
    expect(fresh.coins).toHaveLength(1);
    expect(await coinRefund(w.world, two)).toMatchObject({ status: 'refreshed', left: 'EUR 0.00' });
    // The fresh coin is money: it pays for another article.
    const offer = await offerOf(w.merchant, '/gallery/9/full');
    await paidReceipt(w.merchant, ecashCredential(offer, fresh.coins));
  });

  it('refunds part of a receipt, then what is left, and refuses anything beyond', async () => {
    const { receiptId } = await paid();
    const first = await w.merchant.refund(receiptId, 'EUR 0.02');
    expect(first.refunded).toEqual(amount('EUR', 2));
    // A second refund of the same amount, with its own id, is a new refund.
    const second = await w.merchant.refund(receiptId, 'EUR 0.02');
    expect(second.refundId).not.toBe(first.refundId);
    expect(second.refunded).toEqual(amount('EUR', 4));
    await refused(() => w.merchant.refund(receiptId, 'EUR 0.02'), 'refund_exceeds_payment');
    const rest = await w.merchant.refund(receiptId);
    expect(rest.amount).toEqual(amount('EUR', 1));
    await refused(() => w.merchant.refund(receiptId), 'refund_exceeds_payment');
  });

  it('answers the same refund id with the same refund, once', async () => {
    const { receiptId } = await paid();
    const before = await shopBalance(w.world);
    const first = await w.merchant.refund(receiptId, 'EUR 0.03', { refundId: 'order-17-return' });
    const again = await w.merchant.refund(receiptId, 'EUR 0.03', { refundId: 'order-17-return' });
    expect(again).toEqual(first);
    expect(await shopBalance(w.world)).toBe(before - 3);
    await refused(
      () => w.merchant.refund(receiptId, 'EUR 0.01', { refundId: 'order-17-return' }),
      'refund_id_reused',
    );
  });

  it('refuses a refund above what was paid', async () => {
    const { receiptId } = await paid();
    await refused(() => w.merchant.refund(receiptId, 'EUR 0.06'), 'refund_exceeds_payment');
  });

  it('lets concurrent refunds of one receipt together give back at most what it paid', async () => {
    const { receiptId } = await paid();
    const before = await shopBalance(w.world);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => w.merchant.refund(receiptId, 'EUR 0.02')),
    );
    const outcomes = results.map((r) =>
      r.status === 'fulfilled' ? 'refunded' : (r.reason as { code: string }).code,
    );
    expect(outcomes.sort()).toEqual([
      ...Array(4).fill('refund_exceeds_payment'),
      'refunded',
      'refunded',
    ]);
    expect(await shopBalance(w.world)).toBe(before - 4);
  });

  it('refuses a refund once the merchant’s money has left its account', async () => {
    const { receiptId } = await paid();
    await payOut(w.world, await shopBalance(w.world));
    await refused(() => w.merchant.refund(receiptId), 'insufficient_funds');
  });

  it('refuses an unknown receipt and points card receipts to CardMerchant.refund', async () => {
    await refused(() => w.merchant.refund('AAAAAAAAAAAAAAAAAAAAAA'), 'not_found');
    await expect(w.merchant.refund('rcpt-abc')).rejects.toMatchObject({
      code: 'refund_instrument_unsupported',
      details: { instrument: 'card', use: 'CardMerchant.refund' },
    });
  });
});

describe('the receipt’s refund URL', () => {
  it('lists the merchant-signed refunds of a receipt, and none for a receipt without', async () => {
    const { receiptId } = await paid();
    const ask = async (id: string) => {
      const result = await w.merchant.handle(
        new Request(`${shopOrigin}/.well-known/farthing/refunds/${id}`),
      );
      if (result.action !== 'respond') throw new Error('not answered');
      return result.response;
    };
    expect(await (await ask(receiptId)).json()).toEqual({ receiptId, refunds: [] });
    const refund = await w.merchant.refund(receiptId, 'EUR 0.01');
    const listed = await ask(receiptId);
    expect(listed.headers.get('cache-control')).toBe('no-store');
    expect(await listed.json()).toEqual({ receiptId, refunds: [refund.refund] });
    expect((await ask('not-a-receipt')).status).toBe(400);
  });
});
