/**
 * The one-click refund request for a payment shown as not delivered (issue 20): the wallet
 * sends the merchant the credential it paid with, exactly as it was sent
 * (`POST <origin>/.well-known/farthing/refund-request`, merchant-sdk/src/server/refunds/): the
 * credential is what proves this browser made the payment, and the merchant can only send the
 * money back the way it came (to the coins, or the account behind the PayWord certificate).
 *
 * The merchant answers with the refund it signed; the wallet keeps it only if it verifies under
 * the offer key it paid and names this merchant, offer, instrument and receipt, as it does for
 * refunds it learns at the refund URL (wallet/refunds/learn.ts). E-cash refunds then become
 * fresh coins at the mint at once (refunds/refresh.ts). The request is marked sent before it
 * leaves, and the merchant answers a repeated request with the same refund, so asking again
 * after a lost answer refunds once.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import { refunds, type SignedRefund } from '@farthing/protocol/refund';
import * as v from 'valibot';
import type { DeliveryView } from '../../messages/delivery.ts';
import type { WalletContext } from '../context.ts';
import {
  type DeliveryRecord,
  moneyTx,
  type PaymentRecord,
  type RefundRecord,
  writeDurably,
} from '../db/schema.ts';
import { errorJson, WalletFailure } from '../errors.ts';
import { isTransient, merchantParty, requestJson } from '../http.ts';
import { refreshRefundedCoins } from '../refunds/refresh.ts';
import { deliveryView, notDeliveredAfterMs } from './delivery.ts';

export const refundRequestPath = '/.well-known/farthing/refund-request';

const answerSchema = v.object({ receiptId: v.string(), refund: v.unknown(), amount: v.string() });

/** States a refund may be asked from (again, after a refusal or a lost answer). */
const askable: ReadonlySet<DeliveryRecord['status']> = new Set([
  'not_delivered',
  'refund_requested',
  'refund_refused',
  'refunded',
]);

function checkRefund(refund: SignedRefund, payment: PaymentRecord): string {
  try {
    refunds.checkMerchantSignature(refund, { merchantPublicKey: payment.offerPublicKey });
  } catch (cause) {
    throw new WalletFailure(
      'merchant_refused',
      `${payment.origin} sent a refund that does not verify.`,
      {
        cause,
      },
    );
  }
  const receiptId = toBase64url(refund.receiptId);
  if (
    refund.merchantId !== payment.merchantId ||
    toBase64url(refund.offerHash) !== payment.offerHash ||
    refund.instrument !== payment.instrument ||
    refund.amount.currency !== payment.price.currency ||
    refund.amount.minor > payment.price.minor ||
    (payment.receiptId !== undefined && payment.receiptId !== receiptId)
  ) {
    throw new WalletFailure(
      'merchant_refused',
      `${payment.origin} sent a refund for another payment.`,
    );
  }
  return receiptId;
}

async function setRecord(
  ctx: WalletContext,
  record: DeliveryRecord,
  change: Partial<Pick<DeliveryRecord, 'status' | 'refunded' | 'error'>>,
): Promise<DeliveryRecord> {
  const next = { ...record, ...change, updatedAt: ctx.platform.now() };
  await writeDurably(ctx.db, 'deliveries', 'put', next);
  return next;
}

/** Asks the merchant to refund a payment whose content did not arrive. */
export async function requestRefund(ctx: WalletContext, paymentId: string): Promise<DeliveryView> {
  const [stored, payment] = await Promise.all([
    ctx.db.get('deliveries', paymentId),
    ctx.db.get('payments', paymentId),
  ]);
  if (stored === undefined || payment === undefined) {
    throw new WalletFailure('invalid_message', 'There is no payment waiting for its content here.');
  }
  const overdue =
    stored.status === 'retrying' &&
    ctx.platform.now() - stored.firstFailureAt >= notDeliveredAfterMs;
  if (!askable.has(stored.status) && !overdue) {
    throw new WalletFailure(
      'payment_in_progress',
      'The wallet is still trying to get this content; a refund can be asked once it counts as not delivered.',
    );
  }
  if (stored.status === 'refunded') return deliveryView(stored, payment);
  if (payment.credential === undefined || payment.instrument === 'purse') {
    throw new WalletFailure(
      'instrument_unsupported',
      'Only e-cash and PayWord payments can be refunded on request.',
    );
  }
  let record = await setRecord(ctx, stored, { status: 'refund_requested', error: null });
  let receiptId: string;
  let refund: SignedRefund;
  let wire: unknown;
  try {
    const answer = await requestJson(
      ctx.platform,
      merchantParty,
      {
        method: 'POST',
        url: `${payment.origin}${refundRequestPath}`,
        // The credential byte for byte as it was sent.
        text: `{"version":1,"reason":"not_delivered","credential":${payment.credential}}`,
      },
      answerSchema,
    );
    wire = answer.refund;
    try {
      refund = refunds.parse(wire);
    } catch (cause) {
      throw new WalletFailure(
        'merchant_refused',
        `${payment.origin} sent a refund the wallet cannot read.`,
        {
          cause,
        },
      );
    }
    receiptId = checkRefund(refund, payment);
  } catch (error) {
    // No answer: still asked (the same request goes again); a refusal is the user's to see.
    if (!isTransient(error))
      await setRecord(ctx, record, { status: 'refund_refused', error: errorJson(error) });
    throw error;
  }
  const amount = { currency: refund.amount.currency, minor: refund.amount.minor };
  const kept: RefundRecord = {
    id: `${receiptId}:${refund.refundId}`,
    receiptId,
    paymentId: payment.id,
    refundId: refund.refundId,
    instrument: refund.instrument,
    amount,
    refundedAt: refund.refundedAt,
    json: wire,
    status: 'credited',
    learnedAt: ctx.platform.now(),
  };
  const tx = moneyTx(ctx.db, ['refunds', 'deliveries', 'payments']);
  if ((await tx.objectStore('refunds').get(kept.id)) === undefined) {
    await tx.objectStore('refunds').put(kept);
  }
  // The merchant closed the grant with the refund: the resource is no longer the user's, so a
  // new click pays for it again instead of reopening a grant that opens nothing.
  const now = ctx.platform.now();
  const current = await tx.objectStore('payments').get(payment.id);
  if (current?.status === 'confirmed' && (current.grantExpiresAt ?? 0) > now) {
    await tx.objectStore('payments').put({ ...current, grantExpiresAt: now });
  }
  record = {
    ...record,
    status: 'refunded',
    refunded: amount,
    error: null,
    updatedAt: ctx.platform.now(),
  };
  await tx.objectStore('deliveries').put(record);
  await tx.done;
  // E-cash: the credit on the coins becomes fresh coins now (or at the next visit, on failure).
  if (refund.instrument === 'ecash')
    await refreshRefundedCoins(ctx, receiptId).catch(() => undefined);
  return deliveryView(record, payment);
}
