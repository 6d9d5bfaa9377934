/**
 * Lost coins (seed 004 "Lost Coins"; README "Recovery"): with the recovery phrase and a bank
 * session, the wallet gets back the unspent coins of the account's last withdrawals.
 *
 * 1. GET /v1/mint/recovery/withdrawals, page by page: each withdrawal's issuance id and blind
 *    signatures (the bank keeps the last 16).
 * 2. Match each id to a withdrawal counter: the phrase derives the seed of every counter
 *    (seeds.ts) and the id is a hash of the seed (ecash/issuance.ts). Ids that no counter
 *    makes belong to another wallet on the account (or one without a phrase): skipped.
 * 3. Re-derive each coin from the seed and its index (keys, message prefix, and the blinding
 *    stream, so the very same blinded message) and unblind the stored signature (RFC 9474
 *    §4.4 Finalize, which also verifies it).
 * 4. Ask which are spent without naming them: POST /v1/mint/recovery/spent with the first two
 *    bytes of each coin key, no session; the mint answers every spent key in those ranges and
 *    the wallet compares locally.
 * 5. Store the withdrawals `done` and their coins, spendable or spent, in one strict
 *    transaction; coins the wallet already holds are left as they are. Then move the
 *    withdrawal counter past the newest one found, so no seed is used twice.
 */

import type { SignedMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { findDenomination } from '@farthing/protocol/coin/mint-key-set';
import {
  changePrefixLength,
  changeSearchAnswerSchema,
  maxChangePrefixes,
  maxSpentPrefixes,
  type RecoveredWithdrawal,
  recoveredWithdrawalsSchema,
  spentPrefixLength,
  spentSearchAnswerSchema,
} from '@farthing/protocol/coin/recovery';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import type * as v from 'valibot';
import type { LostCoinsView } from '../../messages/recovery.ts';
import { keySetOf, loggedInBank } from '../bank/banks.ts';
import type { WalletContext } from '../context.ts';
import {
  type CoinRecord,
  moneyTx,
  type PlannedCoinRecord,
  type WithdrawalRecord,
} from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { bankParty, requestJson } from '../http.ts';
import { blindIssuance, finalizeIssuance, issuanceIdOf } from '../instruments/ecash/issuance.ts';
import { advanceCounter, markRecovered, openMasterSecret } from './master.ts';
import { deriveSeed } from './seeds.ts';

/** How many withdrawal counters recovery tries: far more than any wallet makes in a lifetime of 16-withdrawal windows, and a fraction of a second of HKDF. */
export const withdrawalScanLimit = 8_192;
/** Change counters asked for at once (one prefix each, at most the route's limit). */
const changeWindow = Math.min(32, maxChangePrefixes);
const changeScanLimit = 65_536;

/** What a scan found: the page shows it as it is (messages/recovery.ts). */
export type LostCoinsResult = LostCoinsView;

interface Found {
  readonly record: WithdrawalRecord;
  readonly coins: CoinRecord[];
}

export async function recoverLostCoins(
  ctx: WalletContext,
  bankUrl: string,
): Promise<LostCoinsResult> {
  const master = await openMasterSecret(ctx);
  if (master === undefined) {
    throw new WalletFailure(
      'phrase_missing',
      'This wallet has no recovery phrase: restore one first, or make one in the settings.',
      { hint: 'recovery' },
    );
  }
  try {
    const { bank, token } = await loggedInBank(ctx, bankUrl);
    const keySet = await keySetOf(ctx, bank, { maxAgeMs: 0 });
    const listed = await listRecoverable(ctx, bank.url, token);
    const counters = matchCounters(
      master,
      listed.map((w) => w.issuanceId),
    );
    const now = ctx.platform.now();
    const found: Found[] = [];
    let newest = -1;
    for (const withdrawal of listed) {
      const counter = counters.get(withdrawal.issuanceId);
      if (counter === undefined) continue;
      newest = Math.max(newest, counter);
      const seed = deriveSeed(master, 'withdrawal', counter);
      found.push(await rebuild(ctx, bank.url, keySet, seed, 'withdraw', withdrawal, now));
      seed.fill(0);
    }
    const change = await findChange(ctx, bank.url, keySet, master, now);
    const coins = [...found, ...change.found].flatMap((f) => f.coins);
    const spent = await spentAmong(ctx, bank.url, coins);
    const result = await store(ctx, [...found, ...change.found], spent, now);
    if (newest >= 0) await advanceCounter(ctx, 'withdrawal', newest);
    if (change.newest >= 0) await advanceCounter(ctx, 'change', change.newest);
    await markRecovered(ctx);
    return { withdrawals: found.length, changes: change.found.length, ...result };
  } finally {
    master.fill(0);
  }
}

type Listed = RecoveredWithdrawal;

async function listRecoverable(ctx: WalletContext, bankUrl: string, token: string) {
  const listed: Listed[] = [];
  let page: number | null = 0;
  while (page !== null) {
    const answer: v.InferOutput<typeof recoveredWithdrawalsSchema> = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'GET', url: `${bankUrl}/v1/mint/recovery/withdrawals?page=${page}`, token },
      recoveredWithdrawalsSchema,
    );
    listed.push(...answer.withdrawals);
    page = answer.nextPage;
  }
  return listed;
}

/** The counter whose seed makes each id, for the ids some counter below the scan limit makes. */
export function matchCounters(master: Uint8Array, ids: readonly string[]): Map<string, number> {
  const wanted = new Set(ids);
  const counters = new Map<string, number>();
  for (let counter = 0; counter < withdrawalScanLimit && counters.size < wanted.size; counter++) {
    const seed = deriveSeed(master, 'withdrawal', counter);
    const id = issuanceIdOf(seed);
    seed.fill(0);
    if (wanted.has(id)) counters.set(id, counter);
  }
  return counters;
}

async function rebuild(
  ctx: WalletContext,
  bankUrl: string,
  keySet: SignedMintKeySet,
  seed: Uint8Array,
  kind: WithdrawalRecord['kind'],
  listed: Listed,
  now: number,
): Promise<Found> {
  // Coins of keys the mint no longer lists cannot be deposited any more: left out.
  const planned: PlannedCoinRecord[] = [];
  const signatures: string[] = [];
  listed.coins.forEach((coin, index) => {
    try {
      const denomination = findDenomination(keySet, fromBase64url(coin.denominationId));
      planned.push({ index, denominationId: coin.denominationId, minor: denomination.value.minor });
      signatures.push(coin.signature);
    } catch {
      // unknown key: skipped
    }
  });
  const currency = keySet.denominations[0]?.value.currency ?? '';
  const record: WithdrawalRecord = {
    id: listed.issuanceId,
    kind,
    bankUrl,
    currency:
      planned.length > 0
        ? findDenomination(keySet, fromBase64url(planned[0]!.denominationId)).value.currency
        : currency,
    seed: await ctx.sealer.seal(seed),
    coins: planned,
    total: planned.reduce((sum, coin) => sum + coin.minor, 0),
    status: 'done',
    taskId: `recovery:${listed.issuanceId}`,
    createdAt: listed.createdAt,
  };
  const blinded = blindIssuance(seed, keySet, planned);
  return { record, coins: await finalizeIssuance(record, blinded, signatures, now) };
}

/**
 * The change issuances of this phrase: change counters are claimed in order (master.ts), so the
 * wallet asks for them a window at a time, by 3-character id prefixes only, until a whole
 * window finds none (a counter claimed for change that never reached the mint leaves a gap
 * smaller than that).
 */
async function findChange(
  ctx: WalletContext,
  bankUrl: string,
  keySet: SignedMintKeySet,
  master: Uint8Array,
  now: number,
): Promise<{ found: Found[]; newest: number }> {
  const found: Found[] = [];
  let newest = -1;
  for (let first = 0; first < changeScanLimit; first += changeWindow) {
    const ids = new Map<string, number>();
    for (let counter = first; counter < first + changeWindow; counter++) {
      const seed = deriveSeed(master, 'change', counter);
      ids.set(issuanceIdOf(seed), counter);
      seed.fill(0);
    }
    const prefixes = [...new Set([...ids.keys()].map((id) => id.slice(0, changePrefixLength)))];
    let hits = 0;
    let after: string | undefined;
    for (;;) {
      const answer: v.InferOutput<typeof changeSearchAnswerSchema> = await requestJson(
        ctx.platform,
        bankParty,
        {
          method: 'POST',
          url: `${bankUrl}/v1/mint/recovery/change`,
          body: { prefixes, ...(after === undefined ? {} : { after }) },
        },
        changeSearchAnswerSchema,
      );
      for (const issuance of answer.issuances) {
        const counter = ids.get(issuance.issuanceId);
        if (counter === undefined) continue;
        hits++;
        newest = Math.max(newest, counter);
        const seed = deriveSeed(master, 'change', counter);
        found.push(await rebuild(ctx, bankUrl, keySet, seed, 'change', issuance, now));
        seed.fill(0);
      }
      if (!answer.more || answer.issuances.length === 0) break;
      after = answer.issuances.at(-1)!.issuanceId;
    }
    if (hits === 0) break;
  }
  return { found, newest };
}

/** The coin keys among `coins` that the mint has seen spent, asked by prefix only. */
async function spentAmong(
  ctx: WalletContext,
  bankUrl: string,
  coins: readonly CoinRecord[],
): Promise<Set<string>> {
  const prefixes = [...new Set(coins.map((coin) => prefixOf(coin.coinPub)))];
  const spent = new Set<string>();
  for (let start = 0; start < prefixes.length; start += maxSpentPrefixes) {
    const batch = prefixes.slice(start, start + maxSpentPrefixes);
    let after: string | undefined;
    for (;;) {
      const answer = await requestJson(
        ctx.platform,
        bankParty,
        {
          method: 'POST',
          url: `${bankUrl}/v1/mint/recovery/spent`,
          body: { prefixes: batch, ...(after === undefined ? {} : { after }) },
        },
        spentSearchAnswerSchema,
      );
      for (const key of answer.spent) spent.add(toBase64url(key));
      if (!answer.more || answer.spent.length === 0) break;
      after = toBase64url(answer.spent.at(-1)!);
    }
  }
  return spent;
}

async function store(
  ctx: WalletContext,
  found: readonly Found[],
  spent: ReadonlySet<string>,
  now: number,
): Promise<Omit<LostCoinsResult, 'withdrawals' | 'changes'>> {
  let recovered = 0;
  let value = 0;
  let spentCount = 0;
  let known = 0;
  const tx = moneyTx(ctx.db, ['withdrawals', 'coins']);
  const withdrawals = tx.objectStore('withdrawals');
  const coinStore = tx.objectStore('coins');
  for (const { record, coins } of found) {
    // A withdrawal this wallet still runs keeps its task, which finishes it the usual way.
    if ((await withdrawals.getKey(record.id)) === undefined) await withdrawals.add(record);
    for (const coin of coins) {
      // A coin the wallet holds is never overwritten: it may be reserved or spent since.
      if ((await coinStore.getKey(coin.coinPub)) !== undefined) {
        known++;
        continue;
      }
      if (spent.has(coin.coinPub)) {
        spentCount++;
        await coinStore.add({ ...coin, status: 'spent', updatedAt: now });
      } else {
        recovered++;
        value += coin.minor;
        await coinStore.add(coin);
      }
    }
  }
  await tx.done;
  return { recovered, value, spent: spentCount, known };
}

/** The key's first `spentPrefixLength` bytes, base64url (not its first characters: 3 of them
 * carry 18 bits). */
export function prefixOf(coinPub: string): string {
  return toBase64url(fromBase64url(coinPub).subarray(0, spentPrefixLength));
}
