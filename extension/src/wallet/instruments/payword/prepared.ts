/**
 * A hovered link's words made ready before its click (issue: the priced click within 10 ms of
 * a free one). The click's own strict transaction reads what it decides on and then commits;
 * both are round trips to the browser's storage process, and on two cores they took ~7 ms of
 * the click. While the tooltip says the link would pay at once, the reading, the deciding and
 * the reserving are done here instead:
 *
 * - **Prepare** (the tooltip shows, `offer.describe` with `prepare`): one strict transaction
 *   checks what a click would (an earlier payment of the resource, the budgets, a usable chain)
 *   and reserves the words: the chain's reserved index moves and names them (`prepared`), and a
 *   journal entry counts them in the budgets. The payment record is made and kept in memory,
 *   its credential built, but not stored.
 * - **Take** (the click): the limits read at preparing are checked again with the click's own
 *   evidence that the user saw the link (a confirmation to ask sends the click the long way),
 *   and a strict transaction stores the payment `sent` and its task, its writes right behind
 *   two reads that abort it when the resource was bought another way meanwhile or the chain
 *   changed. Only then does the credential leave, as before: nothing leaves that is not on disk
 *   first.
 * - **Give back** (give-back.ts): words no click took go back to the chain in any transaction
 *   that reserves on it (reservation.ts), before the long way reads the limits, after `idleMs`,
 *   and when the wallet starts. They are given back only when their payment is not stored: a
 *   stored payment is one a click made, and its words are that payment's.
 *
 * What makes a prepared payment stale: a minute, a new day, the settings, a site's budget or
 * block or a backup import changed the limits (`limitsVersion`), or any other payment to the
 * vendor (it may have bought the same resource another way). A stale one is not taken; the
 * click takes the long way, which gives the words back and reserves them again. What the
 * worker keeps of them in memory is in prepared-memory.ts.
 */
import { perDatabase, type WalletContext } from '../../context.ts';
import { moneyTx, type PaymentRecord, type PaywordChainRecord } from '../../db/schema.ts';
import { dayOf } from '../../money.ts';
import { checkLimits, type LimitsSnapshot } from '../../pay/limits.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import { type ClickSeen, clickPresented } from '../../pay/presentation.ts';
import {
  abort,
  earlierPayment,
  journalEntry,
  paymentsOfResource,
  reserveSnapshot,
  reserveStores,
  withoutEntries,
} from '../../pay/reservation.ts';
import { oneAtATime } from '../../pay/vendor-queue.ts';
import { limitsVersion } from '../../settings.ts';
import { chainOf, restoredChain, usableChain } from './chains.ts';
import { expectChain } from './expected-chains.ts';
import {
  givePreparedBack,
  type Settled,
  settledCommitted,
  settledIn,
  settlingWrites,
} from './give-back.ts';
import { keyOf, type Prepared, preparedOf, takenOf } from './prepared-memory.ts';
import { wordPayment } from './word-payment.ts';

/** How long prepared words wait for their click before they are given back. */
export const idleMs = 60_000;

/**
 * Makes the offer's words ready for its click (module comment); does nothing when the click
 * would not pay at once (a payment of the resource made or in flight, a confirmation to ask, no
 * usable chain). Runs in the vendor's queue; never throws.
 */
export function preparePayword(ctx: WalletContext, checked: CheckedOffer): Promise<void> {
  const vendorId = checked.offer.merchantId;
  const waiting = waitingOf(ctx.db);
  const queued = waiting.get(vendorId);
  // One waits per vendor, for the offer last hovered, and one starts per `minGapMs`: a page
  // that moves links under the pointer or the focus from link to link (trusted events) costs the
  // wallet at most that.
  if (queued !== undefined) {
    queued.checked = checked;
    return queued.done;
  }
  const started = lastStartOf(ctx.db);
  const gap = (started.get(vendorId) ?? Number.NEGATIVE_INFINITY) + minGapMs - performance.now();
  const entry: { checked: CheckedOffer; done: Promise<void> } = {
    checked,
    done: Promise.resolve(),
  };
  entry.done = new Promise((resolve) => setTimeout(resolve, Math.max(0, gap)))
    .then(() =>
      oneAtATime(vendorId, () => {
        waiting.delete(vendorId);
        started.set(vendorId, performance.now());
        return prepare(ctx, entry.checked);
      }),
    )
    .catch(() => undefined);
  waiting.set(vendorId, entry);
  return entry.done;
}

/** The least time between two preparings for one vendor (preparePayword). */
export const minGapMs = 200;

/** Per database and vendor: the preparing that waits, and when the last one started. */
const waitingOf = perDatabase<string, { checked: CheckedOffer; done: Promise<void> }>();
const lastStartOf = perDatabase<string, number>();

async function prepare(ctx: WalletContext, checked: CheckedOffer): Promise<void> {
  const vendorId = checked.offer.merchantId;
  const now = ctx.platform.now();
  const known = preparedOf(ctx.db).get(vendorId);
  if (known !== undefined && known.key === keyOf(checked) && fresh(known, now)) return;
  const version = limitsVersion();
  const price = checked.offer.amount;
  for (let attempt = 0; attempt < 2; attempt++) {
    const tx = moneyTx(ctx.db, [...reserveStores]);
    let previous: PaymentRecord[];
    let limits: LimitsSnapshot;
    let open: PaywordChainRecord[];
    let settled: Settled;
    try {
      [previous, limits, open] = await Promise.all([
        paymentsOfResource(tx.objectStore('payments'), checked),
        reserveSnapshot(tx, checked.origin, now),
        tx.objectStore('paywordChains').index('vendor').getAll([vendorId, 'open']),
      ]);
      settled = await settledIn(ctx, tx, open);
    } catch {
      await abort(tx);
      return;
    }
    if (earlierPayment(previous, checked, now) !== undefined) return abort(tx);
    // Counted without the words this transaction gives back, which were counted for an offer
    // no click took.
    const snapshot = withoutEntries(limits, settled.released);
    try {
      if (checkLimits(snapshot, checked.origin, price).confirmation !== null) return abort(tx);
    } catch {
      return abort(tx);
    }
    const found = usableChain(settled.chains, price.minor, now);
    if (
      found === undefined ||
      found.valuePerWord.currency !== price.currency ||
      price.minor % found.valuePerWord.minor !== 0
    ) {
      return abort(tx);
    }
    const live = restoredChain(found);
    if (live === undefined) {
      // Restored outside the transaction (it may unseal the seed), then once more.
      await abort(tx);
      if (attempt === 1) return;
      await chainOf(ctx, found).catch(() => undefined);
      continue;
    }
    const words = price.minor / found.valuePerWord.minor;
    const { payment, task } = wordPayment(checked, found, live, words, now);
    const index = payment.index;
    const entry = journalEntry(payment, now);
    const chain: PaywordChainRecord = {
      ...found,
      reservedIndex: index,
      prepared: { paymentId: payment.id, journalId: entry.id, index, words },
    };
    try {
      await Promise.all([
        ...settlingWrites(tx, settled, chain.id),
        tx.objectStore('paywordChains').put(chain),
        tx.objectStore('journal').add(entry),
        tx.done,
      ]);
    } catch {
      await abort(tx);
      return;
    }
    settledCommitted(ctx, settled);
    const slot: Prepared = {
      key: keyOf(checked),
      payment,
      task,
      journalId: entry.id,
      limits: snapshot,
      limitsVersion: version,
      at: now,
    };
    preparedOf(ctx.db).set(vendorId, slot);
    expectChain(ctx.db, chain);
    setTimeout(() => void giveBackIfIdle(ctx, payment.id), idleMs);
    return;
  }
}

function fresh(slot: Prepared, now: number): boolean {
  return (
    now - slot.at < idleMs &&
    dayOf(now) === dayOf(slot.at) &&
    slot.limitsVersion === limitsVersion()
  );
}

/**
 * The click on a prepared offer (module comment): its payment stored `sent`, ready to leave;
 * `undefined` when the click must be asked about (the long way gives the words back); `'none'`
 * when nothing usable was prepared for this offer.
 */
export async function takePrepared(
  ctx: WalletContext,
  checked: CheckedOffer,
  seen: ClickSeen,
): Promise<PaymentRecord | undefined | 'none'> {
  const vendorId = checked.offer.merchantId;
  const slot = preparedOf(ctx.db).get(vendorId);
  const now = ctx.platform.now();
  if (slot === undefined || slot.key !== keyOf(checked) || !fresh(slot, now)) return 'none';
  const presented = clickPresented(seen, slot.limits.settings);
  // A refusal (the site blocked meanwhile is caught by the version) throws, as at once would.
  const decision = checkLimits(slot.limits, checked.origin, checked.offer.amount, presented);
  if (decision.confirmation !== null) {
    preparedOf(ctx.db).delete(vendorId);
    return undefined;
  }
  preparedOf(ctx.db).delete(vendorId);
  // The writes go out right behind two reads, which say whether the words are still these and
  // the resource still unpaid (bought another way meanwhile, or its chain closed): if not, the
  // transaction is aborted before it can commit (the reads answer first, and a transaction with
  // requests pending does not commit), and the click takes the long way. As in reservation.ts's
  // reserveExpected, nothing may be awaited between the reads' answer and the abort, and each
  // read must be one request (no cursor), or the writes could commit first.
  const tx = moneyTx(ctx.db, ['payments', 'tasks', 'paywordChains']);
  const reads = Promise.all([
    paymentsOfResource(tx.objectStore('payments'), checked),
    tx.objectStore('paywordChains').get(slot.payment.chainId),
  ]);
  const written = Promise.all([
    tx.objectStore('payments').add(slot.payment),
    tx.objectStore('tasks').add(slot.task),
    tx.done,
  ]);
  written.catch(() => undefined);
  let previous: PaymentRecord[];
  let chain: PaywordChainRecord | undefined;
  try {
    [previous, chain] = await reads;
  } catch (error) {
    await abort(tx);
    throw error;
  }
  if (
    earlierPayment(previous, checked, now) !== undefined ||
    chain?.status !== 'open' ||
    chain.prepared?.paymentId !== slot.payment.id
  ) {
    await abort(tx);
    return undefined;
  }
  // Not committed (storage full, the browser closing): nothing was stored or sent; the long way.
  if (
    !(await written.then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  takenOf(ctx.db).set(slot.payment.id, true);
  return slot.payment;
}

/** Gives the words back when no click took them within `idleMs` (they are stale by then). */
async function giveBackIfIdle(ctx: WalletContext, paymentId: string) {
  await givePreparedBack(ctx, (chain) => chain.prepared?.paymentId === paymentId).catch(
    () => undefined,
  );
}
