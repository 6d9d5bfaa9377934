/**
 * The merchant's durable state, behind one interface so a site can keep it where it keeps
 * everything else. `SqliteMerchantStore` (./sqlite.ts) is the default; `MemoryMerchantStore`
 * (./memory.ts) is for tests only.
 *
 * Operations are domain-level and atomic, the way the bank's store is: each write is one
 * transaction, and a promise settles only once its effects are durable. What must hold:
 *
 * - A PayWord chain's last accepted word only moves forward, by compare-and-swap on its index
 *   (`recordPaywordPayment`), in the same transaction as the payment it pays for: two payments
 *   spending the same words cannot both be recorded (Rivest–Shamir §4.3: the vendor stores the
 *   new last word before serving).
 * - The words accepted on all chains of one broker certificate at this vendor stay within the
 *   certificate's credit limit, checked in that same transaction: the broker pays no more
 *   (Rivest–Shamir §4.2), so a payment past it is refused (`over_limit`), never served.
 * - A payment is stored once per credential id; storing it again returns the first.
 * - Settlement batches are written before they are sent and finished in one transaction, so a
 *   crash leaves a batch to send again under the same idempotency key.
 */
import type { Amount } from '@farthing/protocol/amount';

/** The instruments the SDK takes (`card` and `purse` with their own option in createMerchant). */
export type SdkInstrument = 'ecash' | 'payword' | 'purse' | 'card';

/** One accepted payment and what the payer got for it. */
export interface PaymentRecord {
  /** 32 bytes identifying (offer, credential): what makes a retry idempotent. */
  readonly credentialId: Uint8Array;
  readonly instrument: SdkInstrument;
  readonly offerHash: Uint8Array;
  readonly resource: string;
  readonly amount: Amount;
  readonly paidAt: number;
  /**
   * The receipt's wire JSON without its signature (server/payments/receipts.ts): every signed field is
   * fixed before the payment is stored, so the signature is made while the commit runs and a
   * retry signs the same fields again (Ed25519 is deterministic). Rows stored before hold the
   * signed JSON.
   */
  readonly unsignedReceipt: string;
  /** The access-grant token (the cookie value). */
  readonly grantToken: string;
  readonly grantExpiresAt: number;
  /** The PayWord chain paid from. */
  readonly commitmentId?: Uint8Array;
}

/** A PayWord chain the vendor has seen, with its acceptance and settlement state. */
export interface PaywordChainRecord {
  readonly commitmentId: Uint8Array;
  /** The signed commitment's wire JSON text, as sent to the broker on redemption. */
  readonly commitment: string;
  readonly userId: string;
  readonly length: number;
  readonly valuePerWord: Amount;
  readonly expiresAt: number;
  /** Index of the last accepted word; 0 before any payment. */
  readonly lastIndex: number;
  /** w_lastIndex (w_0, the root, before any payment). */
  readonly lastWord: Uint8Array;
  /** Index the broker has paid up to. */
  readonly redeemedIndex: number;
  /** The settlement batch holding this chain, while one is in flight. */
  readonly settlingBatchId: string | undefined;
  /** `rejected` once the broker refused the chain for good: it is not sent again. */
  readonly status: 'open' | 'rejected';
  readonly rejectionCode: string | undefined;
  readonly createdAt: number;
  /** The broker certificate the chain is committed under (none on chains stored before it was kept). */
  readonly certificateId?: Uint8Array;
  /** That certificate's credit limit: the most all its chains at this vendor take together. */
  readonly creditLimit?: Amount;
}

/** A chain seen for the first time: everything but the state that moves. */
export type NewPaywordChain = Omit<
  PaywordChainRecord,
  | 'lastIndex'
  | 'redeemedIndex'
  | 'settlingBatchId'
  | 'status'
  | 'rejectionCode'
  | 'certificateId'
  | 'creditLimit'
> & {
  readonly certificateId: Uint8Array;
  readonly creditLimit: Amount;
};

/** One accepted PayWord payment and the chain state it moves to. */
export interface RecordPaywordPaymentParameters {
  /** Inserted first when the vendor has not seen the chain (first use). */
  readonly newChain?: NewPaywordChain;
  readonly commitmentId: Uint8Array;
  /** The index the payment was verified against: the swap happens only if it is still so. */
  readonly expectedLastIndex: number;
  readonly lastIndex: number;
  readonly lastWord: Uint8Array;
  readonly payment: PaymentRecord;
}

/**
 * `conflict`: the chain moved since it was read (another payment won), or the broker's
 * refusal closed it; read it again.
 * `duplicate`: a payment with this credential id is already stored.
 * `over_limit`: the words accepted on all chains of the chain's certificate would pass its
 * credit limit; nothing was stored (not even a new chain).
 */
export type RecordPaywordPaymentResult = 'recorded' | 'conflict' | 'duplicate' | 'over_limit';

/** Running totals per instrument and currency. */
export interface EarningsRecord {
  readonly instrument: SdkInstrument;
  readonly currency: string;
  /** Minor units accepted (PayWord) or deposited (e-cash). */
  readonly total: number;
  readonly payments: number;
}

/** One chain in a settlement batch. */
export interface SettlementItemRecord {
  readonly commitmentId: Uint8Array;
  /** The chain's commitment JSON text (for the request body). */
  readonly commitment: string;
  readonly index: number;
  readonly word: Uint8Array;
  readonly valuePerWord: Amount;
  /** Redeemed index before this batch: what the broker owes is the difference. */
  readonly previousIndex: number;
  readonly outcome: 'pending' | 'redeemed' | 'rejected';
  /** Minor units the broker paid for this item. */
  readonly paid: number;
  readonly problemCode: string | undefined;
}

/** `in_flight` until the broker's answer is recorded; then `settled`, or `failed` when refused whole. */
export type SettlementBatchStatus = 'in_flight' | 'settled' | 'failed';

/** One redemption request to the broker and its fate. */
export interface SettlementBatchRecord {
  readonly batchId: string;
  readonly idempotencyKey: string;
  readonly status: SettlementBatchStatus;
  readonly createdAt: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | undefined;
  readonly finishedAt: number | undefined;
  /** In request order. */
  readonly items: readonly SettlementItemRecord[];
}

/** A new batch: its id, its idempotency key, when, how large. */
export interface OpenSettlementBatchParameters {
  readonly batchId: string;
  readonly idempotencyKey: string;
  readonly now: number;
  /** The most chains in one batch (the broker takes 256). */
  readonly limit: number;
}

/** A failed attempt to settle a batch: how many so far, when to try again and why it failed. */
export interface SettlementAttempt {
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly error: string;
}

/** The broker's answer for one item. */
export type SettlementItemOutcome =
  | { readonly outcome: 'redeemed'; readonly index: number; readonly paid: number }
  | {
      readonly outcome: 'rejected';
      readonly problemCode: string;
      /** The chain is not sent again (the broker's refusal will not change). */
      readonly final: boolean;
    };

/**
 * A payment's access grant id and receipt id, as the SDK issues them: the first 16 bytes of its
 * credential id (a SHA-256 output, `credentialIdOf`), so a store finds a payment by grant or by
 * receipt through its primary key instead of an index on random keys (rows.ts
 * `idsFromCredential`).
 */
export const paymentIdLength = 16;

/** The merchant's durable state (module comment for the rules every store keeps). */
export interface MerchantStore {
  findPayment(credentialId: Uint8Array): Promise<PaymentRecord | undefined>;
  /** The payment that issued this access grant (the cookie's token), if this store holds it. */
  findPaymentByGrant(grantToken: string): Promise<PaymentRecord | undefined>;
  /** The payment whose receipt has this id (16 bytes), for refunds (server/refunds/). */
  findPaymentByReceipt(receiptId: Uint8Array): Promise<PaymentRecord | undefined>;
  /** Payments for `resource` whose access grant is still valid at `now`, oldest first. */
  paymentsWithGrant(resource: string, now: number): Promise<readonly PaymentRecord[]>;
  findPaywordChain(commitmentId: Uint8Array): Promise<PaywordChainRecord | undefined>;
  /**
   * Compare-and-swap of the chain's last word plus the payment, in one transaction; swaps only
   * while the chain is `open` and its certificate's chains stay within its credit limit.
   */
  recordPaywordPayment(
    parameters: RecordPaywordPaymentParameters,
  ): Promise<RecordPaywordPaymentResult>;
  /** Stores an e-cash payment; if one with its credential id exists, returns that one. */
  recordEcashPayment(payment: PaymentRecord): Promise<PaymentRecord>;
  earnings(): Promise<readonly EarningsRecord[]>;

  /**
   * Picks up to `limit` open chains with words not yet redeemed and not in another batch
   * (oldest first, those the broker refused last time after the others), records them as one
   * in-flight batch and returns it; undefined when nothing is owed.
   */
  openSettlementBatch(
    parameters: OpenSettlementBatchParameters,
  ): Promise<SettlementBatchRecord | undefined>;
  /** One batch with its items. */
  getSettlementBatch(batchId: string): Promise<SettlementBatchRecord | undefined>;
  /** Batches still in flight (sent or about to be, answer not recorded), oldest first. */
  inFlightSettlementBatches(): Promise<readonly SettlementBatchRecord[]>;
  /** A failed attempt: when to try again and why it failed. */
  noteSettlementAttempt(batchId: string, attempt: SettlementAttempt): Promise<void>;
  /** The broker's answer, item by item in request order; releases the chains. */
  settleSettlementBatch(
    batchId: string,
    finishedAt: number,
    outcomes: readonly SettlementItemOutcome[],
  ): Promise<void>;
  /** The broker refused the whole batch for good; releases the chains for a new batch. */
  failSettlementBatch(batchId: string, finishedAt: number, error: string): Promise<void>;
  /** Every chain, newest first (the dashboard's "owed, in flight, redeemed"). */
  listPaywordChains(): Promise<readonly PaywordChainRecord[]>;
  /** Finished and in-flight batches, newest first. */
  listSettlementBatches(limit: number): Promise<readonly SettlementBatchRecord[]>;

  /** Waits for pending writes, then releases the store. */
  close(): Promise<void>;
}
