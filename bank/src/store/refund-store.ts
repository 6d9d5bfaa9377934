/**
 * Storage for refunds (bank/src/refunds/). Like the rest of `BankStore`, each write is one
 * transaction that changes the state and posts the ledger entries paying for it, or changes
 * nothing; a write with an `IdempotencyClaim` stores its rendered result under it.
 *
 * E-cash refunds (GNU Taler's model) go through one system account:
 *
 *   system:coin-refunds  value the mint credited back to deposited coins that their owners
 *                        have not yet turned into fresh coins. A refund moves the amount from
 *                        the merchant to here; a refund refresh from here to system:coins
 *                        (the fresh coins are outstanding coins like any other).
 *
 * A PayWord refund moves the amount from the merchant straight to the account behind the
 * user certificate of the commitment.
 *
 * What every store keeps, checked in the write's transaction (so concurrent refunds of one
 * payment cannot together pass it): the refunds of one receipt never pass what the receipt
 * was for, the refunds of one payment never pass what the bank received for it (the deposit's
 * total, the commitment's redemptions), a refund id is one refund per merchant, and a coin is
 * credited back at most its value.
 */
import type { IdempotentWrite } from './idempotency-claim.ts';

/** One fresh coin signed against a refunded credit (the shape of store.ts's `IssuedCoin`). */
export interface RefreshedCoin {
  readonly denominationId: Uint8Array;
  readonly value: number;
  readonly blindedMessage: Uint8Array;
  readonly blindSignature: Uint8Array;
}

/** Fresh coins signed against a coin's refunded credit. */
export interface RefundRefreshRecord {
  readonly id: string;
  readonly coinPub: Uint8Array;
  readonly currency: string;
  readonly total: number;
  readonly requestHash: Uint8Array;
  readonly coins: readonly RefreshedCoin[];
  readonly createdAt: number;
}

export const coinRefundsAccount = 'system:coin-refunds';

export interface RefundRecord {
  readonly merchantId: number;
  readonly refundId: string;
  readonly instrument: 'ecash' | 'payword';
  /** Deposit id as stored (`<merchant account id>:<merchant's id>`) or commitment id (b64u). */
  readonly payment: string;
  readonly receiptId: Uint8Array;
  readonly currency: string;
  readonly amount: number;
  /** What the receipt was for, as the merchant signed it. */
  readonly paid: number;
  /** The merchant-signed refund, wire JSON. */
  readonly statement: string;
  readonly createdAt: number;
}

/** One refund to record: the signature was checked; the write checks the amounts. */
export type RefundParameters = Omit<RefundRecord, 'instrument' | 'payment'> & {
  readonly requestHash: Uint8Array;
  readonly now: number;
} & (
    | {
        readonly instrument: 'ecash';
        /** The stored deposit id. */
        readonly payment: string;
        /** The coins' deposit permissions must name this offer. */
        readonly offerHash: Uint8Array;
      }
    | {
        readonly instrument: 'payword';
        readonly payment: string;
        readonly commitmentId: Uint8Array;
      }
  );

/** What the mint holds for one coin: credited back by refunds, and refreshed since. */
export interface CoinRefundState {
  readonly coinPub: Uint8Array;
  readonly currency: string;
  readonly refunded: number;
  readonly refreshed: number;
}

export interface RefundStore {
  /**
   * Records the refund and moves the money, once per (merchant, refund id): the same id with
   * the same request returns the stored refund, with another request it is `refund_id_reused`.
   * Refuses, changing nothing: `not_found` (no such deposit of this merchant),
   * `refund_not_settled` (no redemption of this commitment by this merchant yet),
   * `offer_mismatch`, `currency_mismatch`, `refund_exceeds_payment`, `insufficient_funds`
   * (the merchant's money has left its account).
   */
  refund: IdempotentWrite<RefundParameters, RefundRecord>;
  /** The merchant's refunds of one receipt, oldest first. */
  listRefunds(merchantId: number, receiptId: Uint8Array): Promise<RefundRecord[]>;
  /** Undefined when no refund credited this coin. */
  coinRefund(coinPub: Uint8Array): Promise<CoinRefundState | undefined>;
  /**
   * Signs fresh coins against a coin's refunded credit: `refund_nothing_to_refresh` when they
   * are worth more than what is left of it. The same issuance id and request returns the
   * stored signatures; another request under it is `issuance_conflict`.
   */
  refreshRefundedCoin: IdempotentWrite<
    {
      issuanceId: string;
      coinPub: Uint8Array;
      currency: string;
      requestHash: Uint8Array;
      coins: readonly RefreshedCoin[];
      now: number;
    },
    RefundRefreshRecord
  >;
  getRefundRefresh(issuanceId: string): Promise<RefundRefreshRecord | undefined>;
}
