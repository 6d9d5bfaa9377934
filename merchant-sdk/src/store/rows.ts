/**
 * The merchant store's rows and the records they stand for, the same on both backends
 * (SQLite: ./sqlite-schema.ts, PostgreSQL: ./postgres-schema.ts). Amounts are integer minor
 * units beside their currency; bytes are BLOB/BYTEA (a Buffer when read); timestamps are
 * milliseconds since the Unix epoch.
 */
import { parseAccessGrantToken } from '@farthing/protocol/access-grant';
import { amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import type {
  NewPaywordChain,
  PaymentRecord,
  PaywordChainRecord,
  RecordPaywordPaymentParameters,
  SdkInstrument,
  SettlementBatchRecord,
  SettlementBatchStatus,
  SettlementItemRecord,
} from './store.ts';
import { paymentIdLength } from './store.ts';

const bytes = (value: unknown) => new Uint8Array(value as Buffer);
const optional = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

/** A `payments` row. */
export interface PaymentRow {
  credential_id: Buffer;
  instrument: string;
  offer_hash: Buffer;
  resource: string;
  currency: string;
  amount: number;
  paid_at: number;
  commitment_id: Buffer | null;
  receipt: string;
  grant_token: string;
  grant_expires_at: number;
  /** 1 when the grant id and receipt id are the credential id's first bytes (`idsFromCredential`). */
  ids_from_credential?: number;
}

/** A `payments` row as a record. */
export function paymentFromRow(row: PaymentRow): PaymentRecord {
  return {
    credentialId: bytes(row.credential_id),
    instrument: row.instrument as SdkInstrument,
    offerHash: bytes(row.offer_hash),
    resource: row.resource,
    amount: amount(row.currency, row.amount),
    paidAt: row.paid_at,
    unsignedReceipt: row.receipt,
    grantToken: row.grant_token,
    grantExpiresAt: row.grant_expires_at,
    ...(row.commitment_id === null ? {} : { commitmentId: bytes(row.commitment_id) }),
  };
}

/**
 * Whether a payment's grant id and receipt id are both the first `paymentIdLength` bytes of its
 * credential id, as the SDK issues them (server/payments/payments.ts): then the stores find it
 * by grant or receipt through the primary key, and its row skips the two indexes on random
 * keys that hold only older payments (SQLite migration 7, PostgreSQL migration 3). Checked
 * here, not taken on trust, so a record made any other way is still found through them.
 */
export function idsFromCredential(payment: PaymentRecord): boolean {
  const id = payment.credentialId.subarray(0, paymentIdLength);
  if (!payment.unsignedReceipt.includes(`"receiptId":"${toBase64url(id)}"`)) return false;
  const grantId = grantIdOf(payment.grantToken);
  return grantId?.every((byte, i) => byte === id[i]) === true;
}

/** The grant id an access grant token carries (unchecked: lookups compare the whole token). */
export function grantIdOf(grantToken: string): Uint8Array | undefined {
  try {
    return parseAccessGrantToken(grantToken).grant.grantId;
  } catch {
    return undefined;
  }
}

/** The credential ids whose first `paymentIdLength` bytes are `id`: [lowest, highest]. */
export function credentialIdRange(id: Uint8Array): [Uint8Array, Uint8Array] {
  const low = new Uint8Array(32);
  const high = new Uint8Array(32).fill(0xff);
  low.set(id.subarray(0, paymentIdLength));
  high.set(id.subarray(0, paymentIdLength));
  return [low, high];
}

/** A record as named parameters of the `payments` insert. */
export function paymentToRow(payment: PaymentRecord) {
  return {
    credential_id: payment.credentialId,
    instrument: payment.instrument,
    offer_hash: payment.offerHash,
    resource: payment.resource,
    currency: payment.amount.currency,
    amount: payment.amount.minor,
    paid_at: payment.paidAt,
    commitment_id: payment.commitmentId ?? null,
    receipt: payment.unsignedReceipt,
    grant_token: payment.grantToken,
    grant_expires_at: payment.grantExpiresAt,
    ids_from_credential: idsFromCredential(payment) ? 1 : 0,
  };
}

/** A `payword_chains` row. */
export interface ChainRow {
  commitment_id: Buffer;
  commitment: string;
  user_id: string;
  chain_length: number;
  currency: string;
  value_per_word: number;
  expires_at: number;
  last_index: number;
  last_word: Buffer;
  redeemed_index: number;
  settling_batch: string | null;
  status: string;
  rejection_code: string | null;
  created_at: number;
  certificate_id: Buffer | null;
  credit_limit: number | null;
}

/** A `payword_chains` row as a record. */
export function chainFromRow(row: ChainRow): PaywordChainRecord {
  return {
    commitmentId: bytes(row.commitment_id),
    commitment: row.commitment,
    userId: row.user_id,
    length: row.chain_length,
    valuePerWord: amount(row.currency, row.value_per_word),
    expiresAt: row.expires_at,
    lastIndex: row.last_index,
    lastWord: bytes(row.last_word),
    redeemedIndex: row.redeemed_index,
    settlingBatchId: optional(row.settling_batch),
    status: row.status as PaywordChainRecord['status'],
    rejectionCode: optional(row.rejection_code),
    createdAt: row.created_at,
    ...(row.certificate_id === null ? {} : { certificateId: bytes(row.certificate_id) }),
    ...(row.credit_limit === null ? {} : { creditLimit: amount(row.currency, row.credit_limit) }),
  };
}

/**
 * A chain the vendor has not seen, as the values of the `payword_chains` insert both stores
 * run, in its column order: commitment_id, commitment, user_id, chain_length, currency,
 * value_per_word, expires_at, last_word, created_at, certificate_id, credit_limit (last_index
 * starts at 0 in the statement itself).
 */
export function newChainValues(chain: NewPaywordChain) {
  return [
    chain.commitmentId,
    chain.commitment,
    chain.userId,
    chain.length,
    chain.valuePerWord.currency,
    chain.valuePerWord.minor,
    chain.expiresAt,
    chain.lastWord,
    chain.createdAt,
    chain.certificateId,
    chain.creditLimit.minor,
  ] as const;
}

/** A `settlement_batches` row. */
export interface BatchRow {
  batch_id: string;
  idempotency_key: string;
  status: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  finished_at: number | null;
}

/** A `settlement_items` row joined with its chain. */
export interface ItemRow {
  commitment_id: Buffer;
  commitment: string;
  word_index: number;
  word: Buffer;
  currency: string;
  value_per_word: number;
  previous_index: number;
  outcome: string;
  paid: number;
  problem_code: string | null;
}

/** A batch and its items as a record. */
export function batchFromRows(row: BatchRow, items: readonly ItemRow[]): SettlementBatchRecord {
  return {
    batchId: row.batch_id,
    idempotencyKey: row.idempotency_key,
    status: row.status as SettlementBatchStatus,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: optional(row.last_error),
    finishedAt: optional(row.finished_at),
    items: items.map(
      (item): SettlementItemRecord => ({
        commitmentId: bytes(item.commitment_id),
        commitment: item.commitment,
        index: item.word_index,
        word: bytes(item.word),
        valuePerWord: amount(item.currency, item.value_per_word),
        previousIndex: item.previous_index,
        outcome: item.outcome as SettlementItemRecord['outcome'],
        paid: item.paid,
        problemCode: optional(item.problem_code),
      }),
    ),
  };
}

/** A chain's certificate as a payment on it checks its credit limit, on either backend. */
export interface CreditLimit {
  /** In minor units, as `valuePerWord`. */
  readonly creditLimit: number;
  readonly valuePerWord: number;
  /** What the certificate's other chains at this shop have taken (its total less this chain's). */
  readonly others: number;
}

/** Whether the payment would take its certificate's chains here past the credit limit. */
export function overCreditLimit(
  limit: CreditLimit | undefined,
  p: RecordPaywordPaymentParameters,
): boolean {
  return limit !== undefined && limit.others + p.lastIndex * limit.valuePerWord > limit.creditLimit;
}
