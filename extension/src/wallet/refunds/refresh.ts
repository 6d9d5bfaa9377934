/**
 * E-cash refunds become spendable coins at the wallet's next contact with the mint (GNU
 * Taler's refresh after a refund): for each coin of a refunded payment the mint still holds
 * credit for, the wallet plans fresh coins worth at most that credit from a new seed and asks
 * for them with a request signed by the old coin's key (protocol coin/refund-refresh.ts). No
 * account and no merchant are involved.
 *
 * The same task states as change (ecash/change.ts): the plan and its task are written in one
 * strict transaction before the request, marked `sent` before POST, and the coins stored on the
 * answer. The request is deterministic, so a retry after a crash is byte for byte the same and
 * the mint answers it from the stored issuance.
 */
import { parseAmount } from '@farthing/protocol/amount';
import { denominationId } from '@farthing/protocol/coin/denomination';
import { deriveCoinSecretKey, randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { createRefundRefresh, refundRefreshToWire } from '@farthing/protocol/coin/refund-refresh';
import { toBase64url } from '@farthing/protocol/encoding';
import * as v from 'valibot';
import type { TaskView } from '../../messages/contract.ts';
import { keySetOf, trustedBank } from '../bank/banks.ts';
import type { WalletContext } from '../context.ts';
import { moneyTx, type TaskRecord, type WithdrawalRecord } from '../db/schema.ts';
import {
  blindIssuance,
  coinOf,
  finalizeIssuance,
  issuanceIdOf,
  signingDenominations,
} from '../ecash/issuance.ts';
import { issuanceAnswer } from '../ecash/withdraw.ts';
import { errorJson } from '../errors.ts';
import { bankParty, isTransient, requestJson } from '../http.ts';
import { newTask, setTask, taskView } from '../tasks.ts';

const coinRefundAnswer = v.object({ status: v.string(), left: v.optional(v.string()) });

/** The largest coins first, as many as fit in `minor`; what no coin fits stays at the mint. */
function coinValues(minor: number, available: readonly number[]): number[] {
  const values: number[] = [];
  let left = minor;
  for (const value of [...available].sort((a, b) => b - a)) {
    while (value <= left) {
      values.push(value);
      left -= value;
    }
  }
  return values;
}

/**
 * Plans and runs the refresh of every coin of the receipt's payment that the mint holds
 * refunded credit for; marks the receipt's e-cash refunds `refreshed` once none is left.
 * Returns the tasks it ran.
 */
export async function refreshRefundedCoins(
  ctx: WalletContext,
  receiptId: string,
): Promise<TaskView[]> {
  const receipt = await ctx.db.get('receipts', receiptId);
  const payment = receipt && (await ctx.db.get('payments', receipt.paymentId));
  if (payment?.instrument !== 'ecash' || payment.coins === undefined) return [];
  const bank = await trustedBank(ctx, payment.bankUrl);
  const keySet = await keySetOf(ctx, bank);
  const open = await ctx.db.getAllFromIndex('withdrawals', 'status', 'planned');
  open.push(...(await ctx.db.getAllFromIndex('withdrawals', 'status', 'sent')));
  const views: TaskView[] = [];
  let unfinished = 0;
  for (const coinPub of payment.coins) {
    const inFlight = open.find((w) => w.kind === 'refund' && w.changeOf === coinPub);
    if (inFlight !== undefined) {
      const task = await ctx.db.get('tasks', inFlight.taskId);
      if (task !== undefined) views.push(await runRefundRefresh(ctx, task));
      continue;
    }
    const state = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'GET', url: `${bank.url}/v1/mint/coins/${coinPub}/refund` },
      coinRefundAnswer,
    );
    const left = state.left === undefined ? 0 : parseAmount(state.left).minor;
    if (left === 0) continue;
    const coin = await ctx.db.get('coins', coinPub);
    if (coin === undefined) continue;
    const now = ctx.platform.now();
    const byValue = signingDenominations(keySet, coin.currency, now);
    const values = coinValues(left, [...byValue.keys()]);
    if (values.length === 0) {
      unfinished++;
      continue;
    }
    const seed = randomWithdrawalSeed();
    const id = issuanceIdOf(seed);
    const total = values.reduce((sum, value) => sum + value, 0);
    const task = newTask('refund', id, { currency: coin.currency, minor: total }, now, {
      done: 0,
      total: values.length,
    });
    const refresh: WithdrawalRecord = {
      id,
      kind: 'refund',
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
      changeOf: coinPub,
      createdAt: now,
    };
    seed.fill(0);
    const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
    await tx.objectStore('withdrawals').add(refresh);
    await tx.objectStore('tasks').add(task);
    await tx.done;
    const view = await runRefundRefresh(ctx, task);
    if (view.status !== 'confirmed' || total < left) unfinished++;
    views.push(view);
  }
  if (unfinished === 0) {
    const tx = moneyTx(ctx.db, ['refunds']);
    for (const refund of await tx.objectStore('refunds').index('receiptId').getAll(receiptId)) {
      if (refund.status !== 'refreshed')
        await tx.objectStore('refunds').put({ ...refund, status: 'refreshed' });
    }
    await tx.done;
  }
  return views;
}

export async function runRefundRefresh(ctx: WalletContext, task: TaskRecord): Promise<TaskView> {
  const refresh = await ctx.db.get('withdrawals', task.ref);
  if (refresh === undefined || refresh.changeOf === undefined) {
    throw new Error(`refund refresh ${task.ref} is missing`);
  }
  if (refresh.status === 'done' || refresh.status === 'failed') {
    return taskView((await ctx.db.get('tasks', task.id)) ?? task);
  }
  const old = await ctx.db.get('coins', refresh.changeOf);
  if (old === undefined) throw new Error(`coin ${refresh.changeOf} is missing`);
  const source = await ctx.db.get('withdrawals', old.source);
  if (source === undefined) throw new Error(`the seed of coin ${old.coinPub} is missing`);
  const bank = await trustedBank(ctx, refresh.bankUrl);
  const keySet = await keySetOf(ctx, bank, { maxAgeMs: 3_600_000 });
  const seed = await ctx.sealer.open(refresh.seed);
  const planned = blindIssuance(seed, keySet, refresh.coins);
  seed.fill(0);
  const oldSeed = await ctx.sealer.open(source.seed);
  const coinSecretKey = deriveCoinSecretKey(oldSeed, old.index);
  oldSeed.fill(0);
  const request = createRefundRefresh({
    coin: coinOf(old),
    coinSecretKey,
    issuanceId: refresh.id,
    coins: planned.map((coin) => coin.blinded),
  });
  coinSecretKey.fill(0);
  if (refresh.status === 'planned') {
    const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
    await tx.objectStore('withdrawals').put({ ...refresh, status: 'sent' });
    await setTask(tx.objectStore('tasks'), task.id, { status: 'sent' }, ctx.platform.now());
    await tx.done;
  }
  let answer: v.InferOutput<typeof issuanceAnswer>;
  try {
    answer = await requestJson(
      ctx.platform,
      bankParty,
      {
        method: 'POST',
        url: `${bank.url}/v1/mint/refunds/refresh`,
        idempotencyKey: refresh.id,
        body: refundRefreshToWire(request),
      },
      issuanceAnswer,
    );
  } catch (error) {
    if (!isTransient(error)) {
      const now = ctx.platform.now();
      const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
      await tx.objectStore('withdrawals').put({ ...refresh, status: 'failed' });
      await setTask(
        tx.objectStore('tasks'),
        task.id,
        { status: 'failed', error: errorJson(error) },
        now,
      );
      await tx.done;
    }
    throw error;
  }
  const now = ctx.platform.now();
  const coins = await finalizeIssuance(refresh, planned, answer.signatures, now);
  const tx = moneyTx(ctx.db, ['withdrawals', 'coins', 'tasks']);
  const current = await tx.objectStore('withdrawals').get(refresh.id);
  if (current?.status === 'done') {
    await tx.done;
    return taskView((await ctx.db.get('tasks', task.id)) ?? task);
  }
  const coinStore = tx.objectStore('coins');
  for (const coin of coins) {
    if ((await coinStore.getKey(coin.coinPub)) === undefined) await coinStore.add(coin);
  }
  await tx.objectStore('withdrawals').put({ ...refresh, status: 'done' });
  const done = await setTask(
    tx.objectStore('tasks'),
    task.id,
    { status: 'confirmed', progress: { done: coins.length, total: coins.length } },
    now,
  );
  await tx.done;
  return taskView(done ?? task);
}
