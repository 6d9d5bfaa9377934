/**
 * The wallet learns of refunds (issue 20) from the merchant: the receipt's refund URL
 * (`<origin>/.well-known/farthing/refunds/<receiptId>`, merchant-sdk/src/server/refunds/)
 * lists the refunds the merchant signed, which the wallet checks against the offer key it paid
 * (the merchant certificate's key, kept with the payment) and keeps in `refunds`. A refund
 * that does not verify, names another receipt, merchant or offer, or would take the receipt's
 * refunds past its price is not kept: a merchant cannot make the history say what it did not
 * sign, nor anyone else say it for the merchant.
 */
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { refunds, type SignedRefund } from '@farthing/protocol/refund';
import * as v from 'valibot';
import type { WalletContext } from '../context.ts';
import { moneyTx, type PaymentRecord, type RefundRecord } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { merchantParty, requestJson } from '../http.ts';

const refundsAnswer = v.object({ receiptId: v.string(), refunds: v.array(v.unknown()) });

export const refundsPath = '/.well-known/farthing/refunds/';

/** The receipt's refund URL on the origin it was paid on. */
export function refundUrlOf(payment: Pick<PaymentRecord, 'origin'>, receiptId: string): string {
  return `${payment.origin}${refundsPath}${receiptId}`;
}

function matches(refund: SignedRefund, payment: PaymentRecord, receiptId: string): boolean {
  try {
    refunds.checkMerchantSignature(refund, { merchantPublicKey: payment.offerPublicKey });
  } catch {
    return false;
  }
  return (
    toBase64url(refund.receiptId) === receiptId &&
    refund.merchantId === payment.merchantId &&
    toBase64url(refund.offerHash) === payment.offerHash &&
    refund.instrument === payment.instrument &&
    refund.amount.currency === payment.price.currency
  );
}

/**
 * Asks the merchant for the refunds of one receipt and keeps the new ones that verify;
 * returns every refund kept for it, oldest first.
 */
export async function learnRefunds(ctx: WalletContext, receiptId: string): Promise<RefundRecord[]> {
  const receipt = await ctx.db.get('receipts', receiptId);
  const payment = receipt && (await ctx.db.get('payments', receipt.paymentId));
  if (receipt === undefined || payment === undefined) {
    throw new WalletFailure('invalid_message', 'There is no payment with this receipt here.');
  }
  fromBase64url(receiptId, 'receiptId', 16);
  const answer = await requestJson(
    ctx.platform,
    merchantParty,
    { method: 'GET', url: refundUrlOf(payment, receiptId) },
    refundsAnswer,
  );
  const now = ctx.platform.now();
  const tx = moneyTx(ctx.db, ['refunds']);
  const store = tx.objectStore('refunds');
  const kept = await store.index('receiptId').getAll(receiptId);
  let total = kept.reduce((sum, refund) => sum + refund.amount.minor, 0);
  for (const wire of answer.refunds) {
    let refund: SignedRefund;
    try {
      refund = refunds.parse(wire);
    } catch {
      continue;
    }
    const id = `${receiptId}:${refund.refundId}`;
    if (kept.some((k) => k.id === id) || !matches(refund, payment, receiptId)) continue;
    if (total + refund.amount.minor > payment.price.minor) continue;
    total += refund.amount.minor;
    const record: RefundRecord = {
      id,
      receiptId,
      paymentId: payment.id,
      refundId: refund.refundId,
      instrument: refund.instrument,
      amount: { currency: refund.amount.currency, minor: refund.amount.minor },
      refundedAt: refund.refundedAt,
      json: wire,
      status: 'credited',
      learnedAt: now,
    };
    await store.put(record);
    kept.push(record);
  }
  await tx.done;
  return kept.sort((a, b) => a.refundedAt - b.refundedAt);
}

/** Every refund the wallet knows of, newest first (the history page). */
export async function listRefunds(ctx: WalletContext): Promise<RefundRecord[]> {
  const all = await ctx.db.getAll('refunds');
  return all.sort((a, b) => b.refundedAt - a.refundedAt);
}
