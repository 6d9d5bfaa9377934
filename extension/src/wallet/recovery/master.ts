/**
 * The wallet's master secret in IndexedDB (`recovery` store, sealed like every other seed):
 * made at onboarding and shown as a phrase until the user types some of its words back, or
 * restored from a phrase on a fresh profile. Seeds are then drawn from it with counters
 * (seeds.ts); each counter is claimed in a strict transaction before its seed is used, so a
 * crash may skip a counter but never hands one out twice.
 */

import type { WalletContext } from '../context.ts';
import type { RecoveryRecord } from '../db/schema.ts';
import { moneyTx } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import {
  answersMatch,
  phraseOf,
  positionsToCheck,
  randomMasterSecret,
  secretOfPhrase,
} from './phrase.ts';
import { deriveSeed, type SeedPurpose } from './seeds.ts';

const masterId = 'master';

export type RecoveryStatus =
  | { readonly status: 'none' }
  | { readonly status: 'unconfirmed'; readonly createdAt: number }
  | {
      readonly status: 'confirmed';
      readonly origin: RecoveryRecord['origin'];
      readonly confirmedAt: number;
    };

export async function recoveryStatus(ctx: WalletContext): Promise<RecoveryStatus> {
  const record = await ctx.db.get('recovery', masterId);
  if (record === undefined) return { status: 'none' };
  if (record.confirmedAt === null) return { status: 'unconfirmed', createdAt: record.createdAt };
  return { status: 'confirmed', origin: record.origin, confirmedAt: record.confirmedAt };
}

export interface PhraseToWriteDown {
  readonly words: readonly string[];
  /** 0-based positions of the words the user is asked to type back. */
  readonly check: readonly number[];
}

/**
 * Makes the master secret (once) and returns its phrase. Until the user confirmed it, asking
 * again shows the same phrase (the onboarding page may be closed half-way); afterwards the
 * phrase is never shown again (`phrase_exists`).
 */
export async function createRecoveryPhrase(ctx: WalletContext): Promise<PhraseToWriteDown> {
  let record = await ctx.db.get('recovery', masterId);
  // Two pages racing: the first secret stays, both show it.
  record ??= await storeMasterSecret(ctx, randomMasterSecret(), 'created');
  if (record.confirmedAt !== null) {
    throw new WalletFailure(
      'phrase_exists',
      'This wallet’s recovery phrase was already written down; it is not shown again.',
    );
  }
  const secret = await ctx.sealer.open(record.secret);
  const words = phraseOf(secret);
  secret.fill(0);
  return { words, check: positionsToCheck() };
}

/** Marks the phrase written down when each answered word is right (`phrase_mismatch`). */
export async function confirmRecoveryPhrase(
  ctx: WalletContext,
  answers: readonly { readonly position: number; readonly word: string }[],
): Promise<RecoveryStatus> {
  const record = await ctx.db.get('recovery', masterId);
  if (record === undefined) {
    throw new WalletFailure('phrase_mismatch', 'There is no recovery phrase to confirm yet.');
  }
  if (record.confirmedAt === null) {
    const secret = await ctx.sealer.open(record.secret);
    const words = phraseOf(secret);
    secret.fill(0);
    if (!answersMatch(words, answers)) {
      throw new WalletFailure(
        'phrase_mismatch',
        'These words are not the ones of your phrase; check what you wrote down.',
      );
    }
    await stampOnce(ctx, 'confirmedAt');
  }
  return recoveryStatus(ctx);
}

/**
 * Takes a typed phrase as this wallet's master secret (a fresh profile). The same phrase again
 * changes nothing; another phrase over an existing one is `phrase_exists`, since coins made
 * under the first would no longer be recoverable from the phrase the user keeps.
 */
export async function restoreFromPhrase(
  ctx: WalletContext,
  phrase: string,
): Promise<RecoveryStatus> {
  const secret = secretOfPhrase(phrase);
  const existing = await ctx.db.get('recovery', masterId);
  if (existing !== undefined) {
    const known = await ctx.sealer.open(existing.secret);
    const same = known.length === secret.length && known.every((byte, i) => byte === secret[i]);
    known.fill(0);
    secret.fill(0);
    if (!same) {
      throw new WalletFailure(
        'phrase_exists',
        'This wallet already has another recovery phrase; restore into a fresh profile.',
      );
    }
    return recoveryStatus(ctx);
  }
  await storeMasterSecret(ctx, secret, 'restored');
  return recoveryStatus(ctx);
}

/**
 * Seals `secret` (wiped here) as the master secret, unless one was stored meanwhile: that one
 * stays. A restored phrase counts as confirmed (it was typed) and waits for lost coins to be
 * recovered. Returns the record the database holds.
 */
async function storeMasterSecret(
  ctx: WalletContext,
  secret: Uint8Array,
  origin: RecoveryRecord['origin'],
): Promise<RecoveryRecord> {
  const now = ctx.platform.now();
  const made: RecoveryRecord = {
    id: masterId,
    secret: await ctx.sealer.seal(secret),
    next: { withdrawal: 0, change: 0, chain: 0 },
    origin,
    createdAt: now,
    ...(origin === 'created' ? { confirmedAt: null } : { confirmedAt: now, recoveredAt: null }),
  };
  secret.fill(0);
  const tx = moneyTx(ctx.db, ['recovery']);
  const store = tx.objectStore('recovery');
  const raced = await store.get(masterId);
  if (raced === undefined) await store.add(made);
  await tx.done;
  return raced ?? made;
}

/** The master secret, opened; undefined for a wallet without a phrase. Wipe after use. */
export async function openMasterSecret(ctx: WalletContext): Promise<Uint8Array | undefined> {
  const record = await ctx.db.get('recovery', masterId);
  return record === undefined ? undefined : ctx.sealer.open(record.secret);
}

const counterOf: Record<SeedPurpose, keyof RecoveryRecord['next']> = {
  withdrawal: 'withdrawal',
  change: 'change',
  'payword-chain': 'chain',
};

/**
 * Claims the next counter for `purpose` and returns its seed; undefined when the wallet has no
 * phrase (a wallet made before phrases existed keeps drawing random seeds).
 */
export async function claimSeed(
  ctx: WalletContext,
  purpose: SeedPurpose,
): Promise<{ readonly seed: Uint8Array; readonly counter: number } | undefined> {
  const tx = moneyTx(ctx.db, ['recovery']);
  const store = tx.objectStore('recovery');
  const record = await store.get(masterId);
  if (record === undefined) {
    await tx.done;
    return undefined;
  }
  if (purpose === 'withdrawal' && record.recoveredAt === null) {
    await tx.done;
    // The phrase's old withdrawals are not known yet: a seed handed out now could be one the
    // bank already used (README "Recovery").
    throw new WalletFailure(
      'recovery_pending',
      'Recover the lost coins of your restored wallet first, then withdraw.',
      { hint: 'recovery' },
    );
  }
  const key = counterOf[purpose];
  const counter = record.next[key];
  await store.put({ ...record, next: { ...record.next, [key]: counter + 1 } });
  await tx.done;
  const master = await ctx.sealer.open(record.secret);
  const seed = deriveSeed(master, purpose, counter);
  master.fill(0);
  return { seed, counter };
}

/** Notes that lost coins were recovered: withdrawals may draw seeds again. */
export async function markRecovered(ctx: WalletContext): Promise<void> {
  await stampOnce(ctx, 'recoveredAt');
}

/** Sets a moment of the phrase's life to now, the first time only (read again in the write). */
async function stampOnce(ctx: WalletContext, moment: 'confirmedAt' | 'recoveredAt'): Promise<void> {
  const tx = moneyTx(ctx.db, ['recovery']);
  const store = tx.objectStore('recovery');
  const record = await store.get(masterId);
  if (record !== undefined && record[moment] === null) {
    await store.put({ ...record, [moment]: ctx.platform.now() });
  }
  await tx.done;
}

/** Moves a counter past `used` (after a restore found seeds up to it in use). */
export async function advanceCounter(
  ctx: WalletContext,
  purpose: SeedPurpose,
  used: number,
): Promise<void> {
  const key = counterOf[purpose];
  const tx = moneyTx(ctx.db, ['recovery']);
  const store = tx.objectStore('recovery');
  const record = await store.get(masterId);
  if (record !== undefined && record.next[key] <= used) {
    await store.put({ ...record, next: { ...record.next, [key]: used + 1 } });
  }
  await tx.done;
}
