/**
 * What a refund does, decided from the rows both backends read for it (sqlite/refunds.ts and
 * postgres/refunds.ts keep only their SQL, their locks and the order they read in): a
 * repeated request, where the money came from and goes back to, how much of the receipt and
 * of the payment is left to refund, and which coins the value goes back to.
 */

import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { type RefundRow, refundCurrencyMismatch, refundExceeds, toRefund } from './refund-rows.ts';
import type {
  RefundParameters,
  RefundRecord,
  RefundRefreshRecord,
  RefundStore,
} from './refund-store.ts';
import { sameBytes } from './rows.ts';
import { type TransferParams, transferBetween } from './transfer.ts';

/** The refund stored under this (merchant, refund id), if the same request made it. */
export function repeatedRefund(
  existing: RefundRow | undefined,
  params: RefundParameters,
): RefundRecord | undefined {
  if (existing === undefined) return undefined;
  if (sameBytes(existing.request_hash, params.requestHash)) return toRefund(existing);
  throw new FarthingError('refund_id_reused', 'this refund id was used for another refund', {
    details: { refundId: params.refundId },
  });
}

export interface DepositedCoinRow {
  readonly coin_pub: Uint8Array;
  readonly value: number;
  readonly proof: string;
}

/**
 * An e-cash payment: the merchant's deposit in the refund's currency, every coin of it paid
 * for the offer named; the value goes back to those coins, not to an account.
 */
export function ecashRefundSource(
  deposit: { merchant_id: number; currency: string; total: number } | undefined,
  deposited: readonly DepositedCoinRow[],
  params: Extract<RefundParameters, { instrument: 'ecash' }>,
): { received: number; coins: readonly DepositedCoinRow[] } {
  if (deposit === undefined || deposit.merchant_id !== params.merchantId) {
    throw new FarthingError('not_found', 'you made no deposit with this id', {
      details: { field: 'payment' },
    });
  }
  if (deposit.currency !== params.currency) throw refundCurrencyMismatch();
  const wanted = toBase64url(params.offerHash);
  for (const coin of deposited) {
    const permission = JSON.parse(coin.proof) as { offerHash?: unknown };
    if (permission.offerHash !== wanted) {
      throw new FarthingError('offer_mismatch', 'the deposit paid for another offer', {
        details: { field: 'offerHash' },
      });
    }
  }
  return { received: deposit.total, coins: deposited };
}

export interface RedemptionRow {
  readonly vendor_id: number;
  readonly redeemed: number;
  readonly serial: number;
}

/** A PayWord payment is refundable once the broker paid this vendor on the commitment. */
export function assertRedemptionSettled(
  redemption: RedemptionRow | undefined,
  params: RefundParameters,
): asserts redemption is RedemptionRow {
  if (redemption === undefined || redemption.vendor_id !== params.merchantId) {
    throw new FarthingError(
      'refund_not_settled',
      'the broker has paid you nothing on this commitment yet: redeem it first',
      { details: { field: 'payment' } },
    );
  }
}

/** A PayWord payment: what the broker paid the vendor, back to the certificate's holder. */
export function paywordRefundSource(
  redemption: RedemptionRow,
  certificate: { account_id: number; currency: string },
  params: RefundParameters,
): { received: number; payer: number } {
  if (certificate.currency !== params.currency) throw refundCurrencyMismatch();
  return { received: redemption.redeemed, payer: certificate.account_id };
}

/**
 * The refund fits what is left of the receipt (whose earlier refunds must name the same
 * payment) and of the payment (`refundedOfPayment` counts refunds of every receipt of it).
 */
export function checkRefundRoom(
  params: RefundParameters,
  ofReceipt: readonly RefundRow[],
  received: number,
  refundedOfPayment: number,
): void {
  if (ofReceipt.some((row) => row.paid !== params.paid || row.payment !== params.payment)) {
    throw new FarthingError('conflict', 'earlier refunds of this receipt name another payment', {
      details: { field: 'paid' },
    });
  }
  const receiptLeft = params.paid - ofReceipt.reduce((sum, row) => sum + row.amount, 0);
  if (params.amount > receiptLeft) throw refundExceeds('receipt', receiptLeft);
  const paymentLeft = received - refundedOfPayment;
  if (params.amount > paymentLeft) {
    // A PayWord payment the vendor has not redeemed in full yet counts as not settled.
    if (params.instrument === 'payword' && params.amount <= receiptLeft) {
      throw new FarthingError(
        'refund_not_settled',
        'the broker has not paid you enough on this commitment for this refund: redeem it first',
        { details: { field: 'payment', left: paymentLeft } },
      );
    }
    throw refundExceeds('payment', paymentLeft);
  }
}

/**
 * E-cash: the value goes back to the coins, each up to what it is worth less what earlier
 * refunds gave it, in coin order. A PayWord refund goes to an account, not to coins.
 */
export function coinRefundShares(
  params: RefundParameters,
  coins: readonly { coin_pub: Uint8Array; value: number; refunded: number }[],
): { coinPub: Uint8Array; amount: number }[] {
  let left = params.instrument === 'ecash' ? params.amount : 0;
  const shares: { coinPub: Uint8Array; amount: number }[] = [];
  for (const coin of coins) {
    if (left === 0) break;
    const take = Math.min(coin.value - coin.refunded, left);
    if (take <= 0) continue;
    shares.push({ coinPub: coin.coin_pub, amount: take });
    left -= take;
  }
  if (left !== 0) throw new Error(`refund ${params.refundId}: ${left} left over the coins' value`);
  return shares;
}

export type RefreshParameters = Parameters<RefundStore['refreshRefundedCoin']>[0];

/** The refresh stored under this issuance id, if the same request made it. */
export function repeatedRefresh(
  existing: RefundRefreshRecord | undefined,
  params: RefreshParameters,
): RefundRefreshRecord | undefined {
  if (existing === undefined) return undefined;
  if (sameBytes(existing.requestHash, params.requestHash)) return existing;
  throw new FarthingError('issuance_conflict', 'this issuance id was used for another request', {
    details: { issuanceId: params.issuanceId },
  });
}

/**
 * What the new coins are worth, and the transfer paying for them out of the coin's refunds, if
 * what was refunded to the coin and not yet refreshed covers it.
 */
export function refreshPayment(
  params: RefreshParameters,
  refunded: number,
  refreshed: number,
  system: { readonly coinRefunds: number; readonly coins: number },
): { total: number; transfer: TransferParams } {
  const total = params.coins.reduce((sum, coin) => sum + coin.value, 0);
  const left = refunded - refreshed;
  if (total > left) {
    throw new FarthingError(
      'refund_nothing_to_refresh',
      'the new coins are worth more than the refunded value left on this coin',
      { details: { left, asked: total } },
    );
  }
  const transfer = transferBetween(
    'refund-refresh',
    params.issuanceId,
    system.coinRefunds,
    system.coins,
    total,
    params.now,
  );
  return { total, transfer };
}

/** The ledger transfer of a refund: from the merchant to the payer, or to the coins' pool. */
export function refundTransfer(
  params: RefundParameters,
  payer: number | null,
  coinRefunds: number,
): TransferParams {
  return transferBetween(
    'refund',
    `${params.merchantId}:${params.refundId}`,
    params.merchantId,
    payer ?? coinRefunds,
    params.amount,
    params.now,
  );
}
