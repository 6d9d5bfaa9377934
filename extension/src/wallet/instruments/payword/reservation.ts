/**
 * Reserving PayWord words for a click (DESIGN.md "PayWord"): the word is revealed inside the
 * reserving transaction, so the reservation and the credential are one strict commit, and the
 * payment is `sent` once it is on disk.
 *
 * The common click (the vendor's chain already restored in this worker, nothing to ask) is
 * made in that one transaction (reserveAtOnce), its writes sent along with its reads when the
 * chain is as this worker last wrote it (reserveExpected); anything else takes the long way
 * (reservePayword), which may make a chain and get a broker certificate first.
 */

import type { PaywordChain } from '@farthing/protocol/payword/chain';
import type { PaywordCommitment } from '@farthing/protocol/payword/commitment';
import type { WalletContext } from '../../context.ts';
import { moneyTx, type PaymentRecord, type PaywordChainRecord } from '../../db/schema.ts';
import { WalletFailure } from '../../errors.ts';
import { checkLimits, type LimitsDecision, type LimitsSnapshot } from '../../pay/limits.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import { type ClickSeen, clickPresented } from '../../pay/presentation.ts';
import {
  abort,
  earlierPayment,
  earlierPaymentIn,
  journalEntry,
  paymentsOfResource,
  type ReserveTx,
  reserveSnapshot,
  reserveStores,
  withoutEntries,
} from '../../pay/reservation.ts';
import {
  certificateOf,
  chainOf,
  createChain,
  openChainFor,
  paywordChainLength,
  restoredChain,
  runCertificateTask,
  startCertificate,
  usableChain,
} from './chains.ts';
import { expectedChainsOf } from './expected-chains.ts';
import {
  givePreparedBackNow,
  type Settled,
  settledCommitted,
  settledIn,
  settledTaken,
  settlingWrites,
} from './give-back.ts';
import { takePrepared } from './prepared.ts';
import { forgetPrepared, knownTaken } from './prepared-memory.ts';
import { wordPayment } from './word-payment.ts';

/**
 * Reserves the next words of the vendor's chain and stores the credential revealing them, in
 * one strict commit: the payment is `sent` once it is on disk, and nothing leaves before.
 * `known` is the open chain the click saw, if it read one; the transaction checks it is still
 * usable (another payment to the vendor may have used it up meanwhile) and looks again once
 * when it is not. When the
 * transaction finds this offer paid or in flight already, it writes nothing and gives that
 * payment back instead.
 */
export async function reservePayword(
  ctx: WalletContext,
  checked: CheckedOffer,
  known?: PaywordChainRecord,
): Promise<PaymentRecord> {
  const price = checked.offer.amount;
  const vendorId = checked.offer.merchantId;
  // Words made ready for a link and not taken are the chain's again before it is chosen.
  if (known === undefined) await givePreparedBackNow(ctx, vendorId);
  let chain = known ?? (await openChainFor(ctx, vendorId, price.minor));
  let lookedAgain = false;
  for (;;) {
    if (chain === undefined) chain = await newChain(ctx, checked);
    if (
      chain.valuePerWord.currency !== price.currency ||
      price.minor % chain.valuePerWord.minor !== 0
    ) {
      throw new WalletFailure('instrument_unsupported', 'PayWord cannot make this price.');
    }
    const words = price.minor / chain.valuePerWord.minor;
    // Restored before the transaction (it may unseal the seed), so the word can be revealed
    // inside it: the reservation and the credential are then one strict commit.
    const live = await chainOf(ctx, chain);
    const now = ctx.platform.now();
    const tx = moneyTx(ctx.db, [...reserveStores]);
    const [earlier, limits, current] = await Promise.all([
      earlierPaymentIn(tx, checked, now),
      reserveSnapshot(tx, checked.origin, now),
      tx.objectStore('paywordChains').get(chain.id),
    ]).catch(async (error: unknown) => {
      await abort(tx);
      throw error;
    });
    if (earlier !== undefined) {
      await abort(tx);
      return earlier;
    }
    let settled: Settled;
    try {
      settled = await settledIn(ctx, tx, current === undefined ? [] : [current]);
      checkLimits(withoutEntries(limits, settled.released), checked.origin, price);
    } catch (error) {
      await abort(tx);
      throw error;
    }
    const usable = settled.chains[0];
    if (
      usable === undefined ||
      usable.status !== 'open' ||
      usable.reservedIndex + words > usable.length
    ) {
      await abort(tx);
      // Another payment to the vendor may have used the chain up since it was read: look once
      // more (a new chain is made when there is none).
      if (!lookedAgain) {
        lookedAgain = true;
        chain = await openChainFor(ctx, vendorId, price.minor);
        continue;
      }
      throw new WalletFailure('payment_in_progress', 'The PayWord chain is busy; try again.');
    }
    return reserveWords(ctx, tx, checked, usable, live, words, now, settled);
  }
}

/**
 * The PayWord fast path, for a vendor whose open chain this worker has restored: one strict
 * transaction reads what the click decides on (earlier payments of the offer, the limits, the
 * chain) and, when nothing needs asking or making, reserves the words and stores the
 * credential. Undefined (nothing written) sends the click the long way: a payment of this
 * offer already made or in flight, a confirmation to ask, no usable chain in memory.
 */
export async function reserveAtOnce(
  ctx: WalletContext,
  checked: CheckedOffer,
  seen: ClickSeen,
): Promise<PaymentRecord | undefined> {
  // The words made ready while the tooltip showed (prepared.ts): only stored, then sent.
  const taken = await takePrepared(ctx, checked, seen);
  if (taken !== 'none') return taken;
  // Any other payment to the vendor: words prepared for another of its offers are not taken.
  forgetPrepared(ctx, checked.offer.merchantId);
  const expected = expectedChainsOf(ctx.db).get(checked.offer.merchantId);
  if (expected !== undefined) {
    const reserved = await reserveExpected(ctx, checked, expected, seen);
    if (reserved !== 'unexpected') return reserved;
  }
  const now = ctx.platform.now();
  const price = checked.offer.amount;
  const tx = moneyTx(ctx.db, [...reserveStores]);
  const [previous, limits, open] = await Promise.all([
    paymentsOfResource(tx.objectStore('payments'), checked),
    reserveSnapshot(tx, checked.origin, now),
    tx.objectStore('paywordChains').index('vendor').getAll([checked.offer.merchantId, 'open']),
  ]).catch(async (error: unknown) => {
    await abort(tx);
    throw error;
  });
  const settled = await settledIn(ctx, tx, open).catch(async (error: unknown) => {
    await abort(tx);
    throw error;
  });
  const decided = await decideInTransaction(
    tx,
    checked,
    previous,
    withoutEntries(limits, settled.released),
    now,
    seen,
  );
  if (decided === undefined) return undefined;
  const chain = usableChain(settled.chains, price.minor, now);
  const live = chain === undefined ? undefined : restoredChain(chain);
  if (
    chain === undefined ||
    live === undefined ||
    chain.valuePerWord.currency !== price.currency ||
    price.minor % chain.valuePerWord.minor !== 0
  ) {
    await abort(tx);
    return undefined;
  }
  return reserveWords(
    ctx,
    tx,
    checked,
    chain,
    live,
    price.minor / chain.valuePerWord.minor,
    now,
    settled,
  );
}

/**
 * reserveAtOnce without waiting for the reads: the writes for the chain as this worker last
 * wrote it go out right behind the reads in the same strict transaction, so they run after
 * them and the reads see the stores as they were. When the reads show anything else (the chain
 * changed, a payment of the offer made or in flight, a confirmation to ask, a budget that does
 * not fit) the transaction is aborted before it can commit, its writes undone, nothing sent:
 * the reads' answers arrive before any write's, and a transaction with requests pending does
 * not commit. `'unexpected'`: the chain was not as expected; read it first.
 */
async function reserveExpected(
  ctx: WalletContext,
  checked: CheckedOffer,
  expected: PaywordChainRecord,
  seen: ClickSeen,
): Promise<PaymentRecord | undefined | 'unexpected'> {
  const now = ctx.platform.now();
  const price = checked.offer.amount;
  const live = restoredChain(expected);
  // Words prepared on the chain and not known here to be taken: read first (settledIn).
  if (expected.prepared !== undefined && !knownTaken(ctx, expected)) return 'unexpected';
  const settled = settledTaken(expected);
  const base = settled.chains[0]!;
  if (
    live === undefined ||
    usableChain([base], price.minor, now) === undefined ||
    expected.valuePerWord.currency !== price.currency ||
    price.minor % expected.valuePerWord.minor !== 0
  ) {
    return 'unexpected';
  }
  const tx = moneyTx(ctx.db, [...reserveStores]);
  const reads = Promise.all([
    paymentsOfResource(tx.objectStore('payments'), checked),
    reserveSnapshot(tx, checked.origin, now),
    tx.objectStore('paywordChains').get(expected.id),
  ]);
  const words = price.minor / expected.valuePerWord.minor;
  const written = reserveWords(ctx, tx, checked, base, live, words, now, settled);
  // Rejects when aborted below; awaited only when it is not.
  written.catch(() => undefined);
  let previous: PaymentRecord[];
  let limits: LimitsSnapshot;
  let current: PaywordChainRecord | undefined;
  try {
    [previous, limits, current] = await reads;
  } catch (error) {
    await abort(tx);
    throw error;
  }
  // From here to the abort, nothing but synchronous checks: the writes are still pending.
  if (!sameRecord(current, expected)) {
    expectedChainsOf(ctx.db).delete(expected.vendorId);
    await abort(tx);
    return 'unexpected';
  }
  if ((await decideInTransaction(tx, checked, previous, limits, now, seen)) === undefined) {
    return undefined;
  }
  return written;
}

/**
 * What both fast paths decide on what their transaction read: the limits' decision, or
 * undefined with the transaction aborted when this resource is paid or in flight already or the
 * click needs a confirmation (above the threshold, a first payment, or a click that did not show
 * the user saw the link: presentation.ts); a refusal aborts and throws. The abort is made before this
 * function first yields, so writes queued behind the reads never commit.
 */
async function decideInTransaction(
  tx: { abort(): void; done: Promise<void> },
  checked: CheckedOffer,
  previous: readonly PaymentRecord[],
  limits: LimitsSnapshot,
  now: number,
  seen: ClickSeen,
): Promise<LimitsDecision | undefined> {
  if (earlierPayment(previous, checked, now) !== undefined) {
    await abort(tx);
    return undefined;
  }
  let decision: LimitsDecision;
  try {
    const presented = clickPresented(seen, limits.settings);
    decision = checkLimits(limits, checked.origin, checked.offer.amount, presented);
  } catch (error) {
    await abort(tx);
    throw error;
  }
  if (decision.confirmation !== null) {
    await abort(tx);
    return undefined;
  }
  return decision;
}

/** Structural equality of records as IndexedDB stores them: plain data and byte arrays. */
function sameRecord(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (ArrayBuffer.isView(a) !== ArrayBuffer.isView(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every(
      (key) =>
        Object.hasOwn(b, key) &&
        sameRecord((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

/** Reveals the next `words` of `current` and writes the payment `sent`; commits `tx`. */
async function reserveWords(
  ctx: WalletContext,
  tx: ReserveTx,
  checked: CheckedOffer,
  current: PaywordChainRecord,
  live: { chain: PaywordChain; commitment: PaywordCommitment },
  words: number,
  now: number,
  settled?: Settled,
): Promise<PaymentRecord> {
  const { payment, task } = wordPayment(checked, current, live, words, now);
  const index = payment.index;
  const chain: PaywordChainRecord = { ...current, reservedIndex: index };
  // All at once, as the reads: one round trip, then the commit.
  await Promise.all([
    // The vendor's other chains whose prepared words this transaction settles.
    ...(settled === undefined ? [] : settlingWrites(tx, settled, chain.id)),
    tx.objectStore('paywordChains').put(chain),
    tx.objectStore('payments').add(payment),
    tx.objectStore('journal').add(journalEntry(payment, now)),
    tx.objectStore('tasks').add(task),
    tx.done,
  ]);
  expectedChainsOf(ctx.db).set(chain.vendorId, chain);
  if (settled !== undefined) settledCommitted(ctx, settled);
  return payment;
}

/** A new chain for the offer's vendor, under a certificate the broker issues when needed. */
async function newChain(ctx: WalletContext, checked: CheckedOffer): Promise<PaywordChainRecord> {
  const price = checked.offer.amount;
  let certificate = await certificateOf(
    ctx,
    checked.bank.url,
    Math.min(paywordChainLength, price.minor),
  );
  if (certificate === undefined) {
    const task = await startCertificate(ctx, checked.bank, price.currency);
    await runCertificateTask(ctx, task);
    certificate = await ctx.db.get('paywordCertificates', task.id);
    if (certificate === undefined) throw new WalletFailure('bank_error', 'No PayWord certificate.');
  }
  return createChain(ctx, certificate, checked.offer.merchantId);
}
