/**
 * `merchant.withdrawResource(resource)` (issue 20, "a merchant that withdraws a paid resource
 * refunds automatically"): a site taking a paid resource down refunds every payment whose
 * access grant still runs, in full (what is left of it), e-cash and PayWord alike. Each refund's
 * id is derived from its receipt (`withdrawn-<receiptId>`), so withdrawing again (after a
 * crash, or twice) refunds nobody twice. Card and purse payments are listed, not refunded.
 */
import { type Amount, formatAmount } from '@farthing/protocol/amount';
import { isFarthingError } from '@farthing/protocol/errors';
import type { PaymentRecord } from '../../store/store.ts';
import { type RefundContext, type RefundReturnType, refundReceipt } from './refund.ts';

export interface WithdrawResourceReturnType {
  readonly refunded: readonly RefundReturnType[];
  /** Receipts left as they were: fully refunded before, or refused (`code`). */
  readonly skipped: readonly { readonly receiptId: string; readonly code: string }[];
  /** The refunds' total per currency (`EUR 0.10`); a repeat call answers the same refunds. */
  readonly total: readonly string[];
}

function receiptIdOf(payment: PaymentRecord): string {
  return (JSON.parse(payment.unsignedReceipt) as { receiptId: string }).receiptId;
}

export async function withdrawResource(
  context: RefundContext,
  resource: string,
): Promise<WithdrawResourceReturnType> {
  const payments = await context.config.store.paymentsWithGrant(resource, context.config.now());
  const refunded: RefundReturnType[] = [];
  const skipped: { receiptId: string; code: string }[] = [];
  const totals = new Map<string, Amount>();
  for (const payment of payments) {
    const receiptId = receiptIdOf(payment);
    try {
      const refund = await refundReceipt(context, receiptId, undefined, {
        refundId: `withdrawn-${receiptId}`,
      });
      refunded.push(refund);
      const sum = totals.get(refund.amount.currency);
      totals.set(refund.amount.currency, {
        currency: refund.amount.currency,
        minor: (sum?.minor ?? 0) + refund.amount.minor,
      });
    } catch (error) {
      // bank_unavailable and the like are thrown: the caller withdraws again later.
      if (
        !isFarthingError(error) ||
        (error.status >= 500 && error.code !== 'refund_instrument_unsupported')
      ) {
        throw error;
      }
      skipped.push({ receiptId, code: error.code });
    }
  }
  return { refunded, skipped, total: [...totals.values()].map(formatAmount) };
}
