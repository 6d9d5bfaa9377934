/**
 * Change (DESIGN.md "E-cash", pay: "when it cannot, it first exchanges a larger coin at the
 * mint for smaller ones"), and refreshing a coin a merchant saw but did not take: the coin is
 * spent at the mint for new coins of exactly its value, signed with the coin's own key.
 *
 * The same task states as a withdrawal: the coin is `reserved` for the change and the new
 * coins planned (`reserved`), the request marked `sent` before POST /v1/mint/change, the new
 * coins stored and the old one `spent` on the answer. The request is deterministic (seeded
 * blinding, Ed25519), so a retry after a crash is byte for byte the same and the mint answers
 * it from the stored issuance. `coin_already_spent` means someone else deposited it first
 * (a merchant that refused and deposited anyway): the coin is lost and marked spent.
 */
import { changeRequests } from '@farthing/protocol/coin/change-request';
import { denominationId } from '@farthing/protocol/coin/denomination';
import { deriveCoinSecretKey, randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { toBase64url } from '@farthing/protocol/encoding';
import type * as v from 'valibot';
import type { TaskView } from '../../../messages/contract.ts';
import { recordMissing } from '../../../messages/failure.ts';
import { keySetOf, trustedBank } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import {
  type CoinRecord,
  moneyTx,
  type TaskRecord,
  type WithdrawalRecord,
} from '../../db/schema.ts';
import { WalletFailure } from '../../errors.ts';
import { bankParty, causeOf, isTransient, requestJson } from '../../http.ts';
import { claimSeed } from '../../recovery/master.ts';
import { newTask, setTask, taskView } from '../../tasks.ts';
import {
  blindIssuance,
  coinOf,
  finalizeIssuance,
  issuanceIdOf,
  signingDenominations,
} from './issuance.ts';
import { commitIssuance, failIssuance, issuanceAnswer } from './withdraw.ts';

/**
 * The task and the planned record that reissue `coin` as coins of `values` (the mint's signing
 * denominations `byValue`, at `now`) from `seed`, which it seals into the record and then wipes.
 */
export async function planReissue(
  ctx: WalletContext,
  kind: 'change' | 'refund',
  coin: CoinRecord,
  values: readonly number[],
  byValue: ReturnType<typeof signingDenominations>,
  seed: Uint8Array,
  now: number,
): Promise<{ task: TaskRecord; record: WithdrawalRecord }> {
  const id = issuanceIdOf(seed);
  const total = values.reduce((sum, value) => sum + value, 0);
  const task = newTask(kind, id, { currency: coin.currency, minor: total }, now, {
    done: 0,
    total: values.length,
  });
  const record: WithdrawalRecord = {
    id,
    kind,
    bankUrl: coin.bankUrl,
    currency: coin.currency,
    seed: await ctx.sealer.seal(seed),
    coins: values.map((minor, index) => ({
      index,
      minor,
      denominationId: toBase64url(denominationId(byValue.get(minor)!)),
    })),
    total,
    status: 'planned',
    taskId: task.id,
    changeOf: coin.coinPub,
    createdAt: now,
  };
  seed.fill(0);
  return { task, record };
}

/**
 * Plans change of `coin` into coins of `values` (together its value) and reserves the coin,
 * in one strict transaction. Throws `payment_in_progress` if the coin is no longer spendable.
 */
export async function startChange(
  ctx: WalletContext,
  coin: CoinRecord,
  values: readonly number[],
  /** Set when refreshing a coin this payment had reserved. */
  reservedBy: string | null = null,
): Promise<TaskRecord> {
  const bank = await trustedBank(ctx, coin.bankUrl);
  const keySet = await keySetOf(ctx, bank);
  const now = ctx.platform.now();
  const byValue = signingDenominations(keySet, coin.currency, now);
  if (
    values.reduce((sum, value) => sum + value, 0) !== coin.minor ||
    values.some((value) => !byValue.has(value))
  ) {
    throw new WalletFailure('insufficient_funds', 'The bank has no coins to make change with.');
  }
  const seed = (await claimSeed(ctx, 'change'))?.seed ?? randomWithdrawalSeed();
  const { task, record: change } = await planReissue(
    ctx,
    'change',
    coin,
    values,
    byValue,
    seed,
    now,
  );
  const tx = moneyTx(ctx.db, ['coins', 'withdrawals', 'tasks']);
  const current = await tx.objectStore('coins').get(coin.coinPub);
  const usable =
    current !== undefined &&
    (current.status === 'spendable' ||
      (reservedBy !== null && current.status === 'reserved' && current.reservedBy === reservedBy));
  if (!usable) {
    tx.abort();
    await tx.done.catch(() => undefined);
    throw new WalletFailure(
      'payment_in_progress',
      'Another payment is using these coins; try again.',
    );
  }
  await tx
    .objectStore('coins')
    .put({ ...current, status: 'reserved', reservedBy: change.id, updatedAt: now });
  await tx.objectStore('withdrawals').add(change);
  await tx.objectStore('tasks').add(task);
  await tx.done;
  return task;
}

/**
 * Exchanges a coin a merchant saw but did not take (its deposit permission is out there) for
 * a new coin of the same value, so the old permission is worthless.
 */
export function refreshCoin(
  ctx: WalletContext,
  coin: CoinRecord,
  reservedBy: string,
): Promise<TaskRecord> {
  return startChange(ctx, coin, [coin.minor], reservedBy);
}

/**
 * How one kind of reissue (change, a refund's refresh) asks the mint for fresh coins against an
 * old coin: the route, the request signed by the old coin's key, what a refusal does, and
 * whether the old coin is spent once the fresh coins are stored.
 */
export interface ReissueKind {
  readonly path: string;
  readonly body: (params: {
    coin: ReturnType<typeof coinOf>;
    coinSecretKey: Uint8Array;
    issuanceId: string;
    coins: Parameters<typeof changeRequests.create>[0]['coins'];
  }) => unknown;
  readonly fail: (
    ctx: WalletContext,
    record: WithdrawalRecord,
    old: CoinRecord,
    taskId: string,
    error: unknown,
  ) => Promise<void>;
  readonly spendsOld: boolean;
}

const changeKind: ReissueKind = {
  path: '/v1/mint/change',
  body: (params) => changeRequests.toWire(changeRequests.create(params)),
  fail: failChange,
  spendsOld: true,
};

export function runChange(ctx: WalletContext, task: TaskRecord): Promise<TaskView> {
  return runReissue(ctx, task, changeKind);
}

/**
 * Runs a planned reissue to its end: the request from the plan's seed and the old coin's key
 * (deterministic, so a retry after a crash is the same request), `sent` before POST, the coins
 * stored on the answer.
 */
export async function runReissue(
  ctx: WalletContext,
  task: TaskRecord,
  kind: ReissueKind,
): Promise<TaskView> {
  const record = await ctx.db.get('withdrawals', task.ref);
  if (record === undefined || record.changeOf === undefined)
    throw recordMissing('reissue', task.ref);
  if (record.status === 'done' || record.status === 'failed') {
    return taskView((await ctx.db.get('tasks', task.id)) ?? task);
  }
  const old = await ctx.db.get('coins', record.changeOf);
  if (old === undefined) throw recordMissing('coin', record.changeOf ?? '');
  const source = await ctx.db.get('withdrawals', old.source);
  if (source === undefined) throw recordMissing('coin seed', old.coinPub);
  const bank = await trustedBank(ctx, record.bankUrl);
  const keySet = await keySetOf(ctx, bank, { maxAgeMs: 3_600_000 });
  const seed = await ctx.sealer.open(record.seed);
  const planned = blindIssuance(seed, keySet, record.coins);
  seed.fill(0);
  const oldSeed = await ctx.sealer.open(source.seed);
  const coinSecretKey = deriveCoinSecretKey(oldSeed, old.index);
  oldSeed.fill(0);
  const body = kind.body({
    coin: coinOf(old),
    coinSecretKey,
    issuanceId: record.id,
    coins: planned.map((coin) => coin.blinded),
  });
  coinSecretKey.fill(0);

  if (record.status === 'planned') {
    const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
    await tx.objectStore('withdrawals').put({ ...record, status: 'sent' });
    await setTask(tx.objectStore('tasks'), task.id, { status: 'sent' }, ctx.platform.now());
    await tx.done;
  }
  let answer: v.InferOutput<typeof issuanceAnswer>;
  try {
    answer = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'POST', url: `${bank.url}${kind.path}`, idempotencyKey: record.id, body },
      issuanceAnswer,
    );
  } catch (error) {
    if (!isTransient(error)) await kind.fail(ctx, record, old, task.id, error);
    throw error;
  }
  const now = ctx.platform.now();
  const coins = await finalizeIssuance(record, planned, answer.signatures, now);
  return commitIssuance(ctx, record, task, coins, now, async (tx) => {
    if (!kind.spendsOld) return;
    const coinStore = tx.objectStore('coins');
    const spent = await coinStore.get(old.coinPub);
    if (spent !== undefined) await coinStore.put({ ...spent, status: 'spent', updatedAt: now });
  });
}

async function failChange(
  ctx: WalletContext,
  change: WithdrawalRecord,
  old: CoinRecord,
  taskId: string,
  error: unknown,
) {
  const now = ctx.platform.now();
  const lost = causeOf(error) === 'coin_already_spent';
  const tx = moneyTx(ctx.db, ['withdrawals', 'coins', 'tasks']);
  const coin = await tx.objectStore('coins').get(old.coinPub);
  if (coin !== undefined && coin.reservedBy === change.id) {
    await tx
      .objectStore('coins')
      .put(
        lost
          ? { ...coin, status: 'spent', updatedAt: now }
          : { ...coin, status: 'spendable', reservedBy: null, updatedAt: now },
      );
  }
  await failIssuance(tx, change, taskId, error, now);
  await tx.done;
}
