/**
 * Giving back the words made ready for a hovered link that no click took (prepared.ts): the
 * chain's reserved index goes back and the journal entry that counted them is deleted, in one
 * strict transaction, only when their payment is not stored (a stored payment is one a click
 * made, and the words are its own).
 */
import type { WalletContext } from '../../context.ts';
import { moneyTx, type PaywordChainRecord } from '../../db/schema.ts';
import { abort, type ReserveTx, reserveStores } from '../../pay/reservation.ts';
import { oneAtATime } from '../../pay/vendor-queue.ts';
import { expectChain } from './expected-chains.ts';
import { awaitingClick, knownTaken, preparedSettled } from './prepared-memory.ts';
import { withoutPreparedWords } from './prepared-words.ts';

/** Chains as they stand without their prepared words (`settledIn`). */
export interface Settled {
  readonly chains: readonly PaywordChainRecord[];
  /** The records read that named prepared words: settled once the transaction commits. */
  readonly before: readonly PaywordChainRecord[];
  /** The journal entries of the words given back, deleted in the same transaction. */
  readonly released: readonly string[];
}

/**
 * Reads, in `tx`, which of these chains' prepared words a click took (their payment stored),
 * and gives back every chain as it stands without them (`withoutPreparedWords`).
 */
export async function settledIn(
  ctx: WalletContext,
  tx: ReserveTx,
  chains: readonly PaywordChainRecord[],
): Promise<Settled> {
  const results = await Promise.all(
    chains.map(async (chain) => {
      if (chain.prepared === undefined) return { chain };
      const taken =
        knownTaken(ctx, chain) ||
        (await tx.objectStore('payments').getKey(chain.prepared.paymentId)) !== undefined;
      return withoutPreparedWords(chain, taken);
    }),
  );
  return {
    chains: results.map((result) => result.chain),
    before: chains.filter((chain) => chain.prepared !== undefined),
    released: results.flatMap((result) => (result.released === undefined ? [] : [result.released])),
  };
}

/** A chain whose prepared words this worker knows a click took (`knownTaken`): nothing to read. */
export function settledTaken(chain: PaywordChainRecord): Settled {
  return {
    chains: [withoutPreparedWords(chain, true).chain],
    before: chain.prepared === undefined ? [] : [chain],
    released: [],
  };
}

/** The settling's writes, but for the chain `except`, which the caller writes itself. */
export function settlingWrites(
  tx: ReserveTx,
  settled: Settled,
  except?: string,
): Promise<unknown>[] {
  const named = new Set(settled.before.map((chain) => chain.id));
  return [
    ...settled.chains
      .filter((chain) => named.has(chain.id) && chain.id !== except)
      .map((chain) => tx.objectStore('paywordChains').put(chain)),
    ...settled.released.map((id) => tx.objectStore('journal').delete(id)),
  ];
}

/** Once the settling committed: nothing this worker keeps names those words any more. */
export function settledCommitted(ctx: WalletContext, settled: Settled): void {
  for (const before of settled.before) preparedSettled(ctx, before);
}

/**
 * Settles the prepared words of the chains `which` picks, each in its vendor's queue and its
 * own transaction: given back when no click stored their payment, else only no longer named.
 * By default those no click of this worker can take any more (at the wallet's start, all: the
 * worker that prepared them is gone).
 */
export async function givePreparedBack(
  ctx: WalletContext,
  which: (chain: PaywordChainRecord) => boolean = (chain) => !awaitingClick(ctx, chain),
): Promise<void> {
  const chains = (await ctx.db.getAll('paywordChains')).filter(
    (chain) => chain.prepared !== undefined && which(chain),
  );
  for (const { id, vendorId } of chains) {
    await oneAtATime(vendorId, () => settleChain(ctx, id, which));
  }
}

/**
 * `givePreparedBack` for one vendor, from inside its queue, before a reservation that chooses
 * its chain by the words left (reservation.ts): every word no click took is the chain's again,
 * those waiting for a click too (that reservation's word comes right after the last one paid;
 * one after words never sent would be refused), and the click then takes the long way.
 */
export async function givePreparedBackNow(ctx: WalletContext, vendorId: string): Promise<void> {
  const which = (chain: PaywordChainRecord) => chain.vendorId === vendorId;
  const chains = (await ctx.db.getAll('paywordChains')).filter(
    (chain) => chain.prepared !== undefined && which(chain),
  );
  for (const { id } of chains) await settleChain(ctx, id, which);
}

async function settleChain(
  ctx: WalletContext,
  id: string,
  which: (chain: PaywordChainRecord) => boolean,
): Promise<void> {
  const tx = moneyTx(ctx.db, [...reserveStores]);
  const current = await tx.objectStore('paywordChains').get(id);
  if (current?.prepared === undefined || !which(current)) {
    await abort(tx);
    return;
  }
  const settled = await settledIn(ctx, tx, [current]);
  await Promise.all([...settlingWrites(tx, settled), tx.done]);
  settledCommitted(ctx, settled);
  expectChain(ctx.db, settled.chains[0]!);
}
