/**
 * Rows of the refund tables as both backends return them, turned into the store's records,
 * and the refusal both give when a refund is larger than what is left to refund
 * (sqlite/refunds.ts and postgres/refunds.ts keep only their SQL).
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { RefundParameters, RefundRecord, RefundRefreshRecord } from './refund-store.ts';
import { bytes } from './rows.ts';

export interface RefundRow {
  row_id: number;
  merchant_id: number;
  refund_id: string;
  instrument: 'ecash' | 'payword';
  payment: string;
  receipt_id: Uint8Array;
  currency: string;
  amount: number;
  paid: number;
  request_hash: Uint8Array;
  statement: string;
  created_at: number;
}

export function toRefund(row: RefundRow): RefundRecord {
  return {
    merchantId: row.merchant_id,
    refundId: row.refund_id,
    instrument: row.instrument,
    payment: row.payment,
    receiptId: bytes(row.receipt_id),
    currency: row.currency,
    amount: row.amount,
    paid: row.paid,
    statement: row.statement,
    createdAt: row.created_at,
  };
}

export function refundExceeds(what: 'receipt' | 'payment', left: number): FarthingError {
  return new FarthingError(
    'refund_exceeds_payment',
    `this refund is larger than what is left of the ${what} to refund`,
    { details: { of: what, left } },
  );
}

export function refundCurrencyMismatch(): FarthingError {
  return new FarthingError(
    'currency_mismatch',
    'the refund is in another currency than the payment',
    {
      details: { field: 'amount' },
    },
  );
}

export interface RefundRefreshRow {
  id: string;
  coin_pub: Uint8Array;
  currency: string;
  total: number;
  request_hash: Uint8Array;
  created_at: number;
}

export interface RefundRefreshCoinRow {
  denomination_id: Uint8Array;
  value: number;
  blinded_message: Uint8Array;
  blind_signature: Uint8Array;
}

/** A refresh and its coins, in the order they were asked for (`ORDER BY idx`). */
export function toRefundRefresh(
  row: RefundRefreshRow,
  coins: readonly RefundRefreshCoinRow[],
): RefundRefreshRecord {
  return {
    id: row.id,
    coinPub: bytes(row.coin_pub),
    currency: row.currency,
    total: row.total,
    requestHash: bytes(row.request_hash),
    createdAt: row.created_at,
    coins: coins.map((coin) => ({
      denominationId: bytes(coin.denomination_id),
      value: coin.value,
      blindedMessage: bytes(coin.blinded_message),
      blindSignature: bytes(coin.blind_signature),
    })),
  };
}

/** The values of a new `refunds` row, in the order of its INSERT's column list. */
export function refundValues(params: RefundParameters, payer: number | null): unknown[] {
  return [
    params.merchantId,
    params.refundId,
    params.instrument,
    params.payment,
    params.receiptId,
    params.currency,
    params.amount,
    params.paid,
    payer,
    params.requestHash,
    params.statement,
    params.now,
  ];
}
