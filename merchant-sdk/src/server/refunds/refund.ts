/**
 * `merchant.refund(receiptId, amount?)` (issue 20): gives back all or part of what one
 * receipt paid, through the bank, signed with the merchant's offer key over the protocol's
 * canonical bytes (protocol/src/refund.ts).
 *
 * - E-cash: the mint credits the value back to the coins deposited for the payment, and the
 *   payer's wallet turns it into fresh coins with the coins' keys; nothing about the payer
 *   reaches the merchant.
 * - PayWord: the broker credits the payer's account from the merchant's. A payment the broker
 *   has not paid the merchant for yet is settled first (one settlement run), then refunded.
 * - Card receipts are `CardMerchant.refund`'s (SET credit): refused here with
 *   `refund_instrument_unsupported` naming it; hardware purse payments have no refund path.
 *
 * Idempotent by refund id: the same id again (the default is a fresh one per call) returns
 * the refund the bank recorded under it when the amount is the same, and is
 * `refund_id_reused` otherwise. Without an id, a second refund is a new refund, refused with
 * `refund_exceeds_payment` once the refunds of the receipt would pass what it paid.
 */
import { randomBytes } from 'node:crypto';
import {
  type Amount,
  amount as amountOf,
  compareAmounts,
  formatAmount,
  parseAmount,
} from '@farthing/protocol/amount';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { receiptIdLength } from '@farthing/protocol/receipt';
import { type RefundWire, refunds, signRefund } from '@farthing/protocol/refund';
import { identifierSchema, parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';
import type { PaymentRecord } from '../../store/store.ts';
import { readBankAnswer } from '../bank/bank-answers.ts';
import type { BankClient } from '../bank/bank-client.ts';
import type { ResolvedConfig } from '../config.ts';

export interface RefundOptions {
  /** The merchant's id for this refund; a retry with the same id is the same refund. */
  readonly refundId?: string;
}

export interface RefundReturnType {
  readonly refundId: string;
  readonly instrument: 'ecash' | 'payword';
  /** What this refund gave back. */
  readonly amount: Amount;
  /** Everything refunded of the receipt so far, this refund included. */
  readonly refunded: Amount;
  /** The signed refund as the bank recorded it: what the wallet is shown. */
  readonly refund: RefundWire;
}

export interface RefundContext {
  readonly config: ResolvedConfig;
  readonly bank: BankClient;
  /** One settlement run (PayWord words not yet redeemed are redeemed). */
  readonly settle: () => Promise<unknown>;
}

const refundAnswer = v.object({
  refundId: v.string(),
  instrument: v.picklist(['ecash', 'payword']),
  amount: v.string(),
  refund: v.record(v.string(), v.unknown()),
});
const refundListAnswer = v.object({ refunds: v.array(refundAnswer) });

/** The deposit id the SDK gives an e-cash payment at the mint (ecash.ts). */
const depositIdOf = (payment: PaymentRecord) => `farthing-${toBase64url(payment.credentialId)}`;

function unsupported(instrument: string): FarthingError {
  return new FarthingError(
    'refund_instrument_unsupported',
    instrument === 'card'
      ? 'card payments are refunded with CardMerchant.refund (a SET credit)'
      : `payments by ${instrument} cannot be refunded here`,
    { details: { instrument, ...(instrument === 'card' ? { use: 'CardMerchant.refund' } : {}) } },
  );
}

async function paymentOf(context: RefundContext, receiptId: string): Promise<PaymentRecord> {
  // Card receipts carry their own id form (card-merchant.ts: `rcpt-…`).
  if (typeof receiptId === 'string' && receiptId.startsWith('rcpt-')) throw unsupported('card');
  const id = fromBase64url(receiptId, 'receiptId', receiptIdLength);
  const payment = await context.config.store.findPaymentByReceipt(id);
  if (payment === undefined) {
    throw new FarthingError('not_found', 'no payment of this shop has this receipt id', {
      details: { field: 'receiptId' },
    });
  }
  if (payment.instrument !== 'ecash' && payment.instrument !== 'payword') {
    throw unsupported(payment.instrument);
  }
  return payment;
}

/** The refunds the bank recorded for this receipt. */
async function recordedRefunds(context: Pick<RefundContext, 'bank'>, receiptId: string) {
  const answer = readBankAnswer(
    refundListAnswer,
    await context.bank.get(`/v1/refunds/receipts/${receiptId}`, { pass: 'all' }),
    'the refund list',
  );
  return answer.refunds;
}

function toReturn(
  answer: v.InferOutput<typeof refundAnswer>,
  refundedBefore: Amount,
): RefundReturnType {
  const given = parseAmount(answer.amount);
  return {
    refundId: answer.refundId,
    instrument: answer.instrument,
    amount: given,
    refunded: amountOf(given.currency, refundedBefore.minor + given.minor),
    refund: answer.refund as unknown as RefundWire,
  };
}

export async function refundReceipt(
  context: RefundContext,
  receiptId: string,
  requested: Amount | string | undefined,
  options: RefundOptions = {},
): Promise<RefundReturnType> {
  const payment = await paymentOf(context, receiptId);
  const refundId =
    options.refundId === undefined
      ? `refund-${randomBytes(16).toString('base64url')}`
      : parseMessage(identifierSchema, options.refundId, 'refund id');
  const recorded = await recordedRefunds(context, receiptId);
  const before = recorded.filter((refund) => refund.refundId !== refundId);
  const refundedBefore = amountOf(
    payment.amount.currency,
    before.reduce((sum, refund) => sum + parseAmount(refund.amount).minor, 0),
  );
  const left = amountOf(payment.amount.currency, payment.amount.minor - refundedBefore.minor);
  const wanted =
    requested === undefined
      ? left
      : typeof requested === 'string'
        ? parseAmount(requested)
        : requested;
  if (wanted.minor === 0 || compareAmounts(wanted, left) > 0) {
    throw new FarthingError(
      'refund_exceeds_payment',
      `at most ${formatAmount(left)} of this receipt is left to refund`,
      { details: { of: 'receipt', left: formatAmount(left), asked: formatAmount(wanted) } },
    );
  }
  const same = recorded.find((refund) => refund.refundId === refundId);
  if (same !== undefined) {
    if (parseAmount(same.amount).minor !== wanted.minor) {
      throw new FarthingError('refund_id_reused', 'this refund id was used for another refund', {
        details: { refundId },
      });
    }
    return toReturn(same, refundedBefore);
  }
  const signed = await signRefund(
    {
      merchantId: context.config.merchantId,
      receiptId: fromBase64url(receiptId, 'receiptId', receiptIdLength),
      offerHash: payment.offerHash,
      instrument: payment.instrument as 'ecash' | 'payword',
      payment:
        payment.instrument === 'ecash'
          ? depositIdOf(payment)
          : toBase64url(payment.commitmentId ?? new Uint8Array()),
      paid: payment.amount,
      amount: wanted,
      refundId,
      refundedAt: context.config.now(),
    },
    context.config.signer,
  );
  // Serialized once, so a retry (also after settling) sends the very same bytes under the key.
  const body = JSON.stringify(refunds.signedToWire(signed));
  const send = async () =>
    readBankAnswer(
      refundAnswer,
      await context.bank.post('/v1/refunds', body, { idempotencyKey: refundId, pass: 'all' }),
      'the refund',
    );
  try {
    return toReturn(await send(), refundedBefore);
  } catch (error) {
    if (!isFarthingError(error) || error.code !== 'refund_not_settled') throw error;
    // The broker has not paid for these words yet: redeem them, then refund.
    await context.settle();
    return toReturn(await send(), refundedBefore);
  }
}

/**
 * The receipt's refund URL (`GET /.well-known/farthing/refunds/<receiptId>`): the wallet asks
 * it on its next visit and reads the refunds the merchant signed, as the bank recorded them.
 * Knowing the receipt id (16 random bytes, held by payer and merchant) is what it takes.
 */
export const refundsPathPrefix = '/.well-known/farthing/refunds/';

export async function receiptRefunds(
  context: Pick<RefundContext, 'bank'>,
  receiptId: string,
): Promise<{ readonly receiptId: string; readonly refunds: readonly RefundWire[] }> {
  fromBase64url(receiptId, 'receiptId', receiptIdLength);
  const refunds = await recordedRefunds(context, receiptId);
  return { receiptId, refunds: refunds.map((refund) => refund.refund as unknown as RefundWire) };
}
