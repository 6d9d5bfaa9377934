/**
 * What this worker knows of the words it made ready (prepared.ts), kept in memory: the payment
 * waiting for each vendor's click, and the payments clicks took from prepared words whose chain
 * still names them. Lost with the worker; the database then decides (give-back.ts).
 */
import { perDatabase, type WalletContext } from '../../context.ts';
import type { PaywordChainRecord, PaywordPaymentRecord, TaskRecord } from '../../db/schema.ts';
import type { LimitsSnapshot } from '../../pay/limits.ts';
import type { CheckedOffer } from '../../pay/offer.ts';

export interface Prepared {
  /** The offer they are for, as the click names it (`${origin} ${offer hash}`). */
  readonly key: string;
  readonly payment: PaywordPaymentRecord;
  readonly task: TaskRecord;
  /** The journal entry that counts the words until the click takes them. */
  readonly journalId: string;
  /** The limits as the preparing transaction read them, before these words. */
  readonly limits: LimitsSnapshot;
  readonly limitsVersion: number;
  readonly at: number;
}

/** Per database and vendor: the words prepared and not yet taken or given back. */
export const preparedOf = perDatabase<string, Prepared>();
/**
 * Per database: the payments a click stored from prepared words. Their chain still names them
 * (`prepared`) until its next write; this says, without reading, that they are taken.
 */
export const takenOf = perDatabase<string, true>();

export const keyOf = (checked: CheckedOffer) => `${checked.origin} ${checked.hash}`;

/**
 * The journal entry of the vendor's words made ready and not taken, which a view of what a click
 * would do leaves out: that click takes them, or gives them back and reserves its own.
 */
export function readyJournalEntry(ctx: WalletContext, vendorId: string): string | undefined {
  return preparedOf(ctx.db).get(vendorId)?.journalId;
}

/** Whether this worker knows the chain's prepared words were taken by a click. */
export function knownTaken(ctx: WalletContext, chain: PaywordChainRecord): boolean {
  return chain.prepared !== undefined && takenOf(ctx.db).has(chain.prepared.paymentId);
}

/** The chain was written without its prepared words: nothing here names them any more. */
export function preparedSettled(ctx: WalletContext, before: PaywordChainRecord): void {
  const prepared = before.prepared;
  if (prepared === undefined) return;
  takenOf(ctx.db).delete(prepared.paymentId);
  const slot = preparedOf(ctx.db).get(before.vendorId);
  if (slot?.payment.id === prepared.paymentId) preparedOf(ctx.db).delete(before.vendorId);
}

/**
 * Another payment to the vendor is being made: the words prepared for it are not taken by a
 * click any more (that payment may be for the same resource), only given back.
 */
export function forgetPrepared(ctx: WalletContext, vendorId: string): void {
  preparedOf(ctx.db).delete(vendorId);
}

/** Whether the chain's prepared words are this worker's, waiting for their click. */
export function awaitingClick(ctx: WalletContext, chain: PaywordChainRecord): boolean {
  const slot = preparedOf(ctx.db).get(chain.vendorId);
  return slot !== undefined && slot.payment.id === chain.prepared?.paymentId;
}
