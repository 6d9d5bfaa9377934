/**
 * Withdrawing coins (DESIGN.md "E-cash", withdraw) as a resumable task:
 *
 * 1. `startWithdrawal`: plan the coins (denominations.ts), take the seed (the next one derived
 *    from the recovery phrase, recovery/master.ts; random in a wallet without one), and write the
 *    withdrawal (seed sealed, coins planned, `planned`) with its task (`reserved`) in one
 *    strict transaction. Nothing has been sent.
 * 2. `runWithdrawal`: mark `sent`, then POST /v1/mint/withdrawals with the issuance id as the
 *    Idempotency-Key. The blinded coins come from the seed, so a retry is the same request and
 *    the bank answers it from the stored issuance without debiting again.
 * 3. Unblind and verify every signature, then store the coins, the withdrawal `done` and the
 *    task `confirmed` in one strict transaction.
 *
 * Resuming a `sent` withdrawal first asks GET /v1/mint/withdrawals/:id (the "lost coins"
 * recovery); `not_found` means the first request never arrived, and it is sent again.
 */

import { maxCoinsPerWithdrawal } from '@farthing/protocol/coin/change-request';
import { denominationId } from '@farthing/protocol/coin/denomination';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import type { SignedMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { toBase64url } from '@farthing/protocol/encoding';
import * as v from 'valibot';
import type { AmountInput, TaskView } from '../../../messages/contract.ts';
import { recordMissing } from '../../../messages/failure.ts';
import { keySetOf, loggedInBank } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import {
  type CoinRecord,
  moneyTx,
  type TaskRecord,
  type WalletTx,
  type WithdrawalRecord,
} from '../../db/schema.ts';
import { errorJson, WalletFailure } from '../../errors.ts';
import { bankParty, causeOf, isTransient, requestJson } from '../../http.ts';
import { claimSeed } from '../../recovery/master.ts';
import { newTask, setTask, type TaskStore, taskView } from '../../tasks.ts';
import { planWithdrawal } from './denominations.ts';
import {
  blindedWire,
  blindIssuance,
  finalizeIssuance,
  issuanceIdOf,
  signingDenominations,
} from './issuance.ts';

export const issuanceAnswer = v.object({
  issuanceId: v.string(),
  signatures: v.array(v.string()),
});

export interface StartWithdrawalParameters {
  readonly url: string;
  readonly amount: AmountInput;
}

export async function startWithdrawal(
  ctx: WalletContext,
  params: StartWithdrawalParameters,
): Promise<TaskRecord> {
  const { bank } = await loggedInBank(ctx, params.url);
  const keySet = await keySetOf(ctx, bank);
  const now = ctx.platform.now();
  const byValue = signingDenominations(keySet, params.amount.currency, now);
  const values = planWithdrawal(params.amount.minor, [...byValue.keys()]);
  if (values === undefined || values.length > maxCoinsPerWithdrawal) {
    throw new WalletFailure(
      'invalid_message',
      values === undefined
        ? `The bank’s coins cannot make exactly this amount in ${params.amount.currency}.`
        : 'That is too many coins for one withdrawal; withdraw a smaller amount at a time.',
    );
  }
  const seed = (await claimSeed(ctx, 'withdrawal'))?.seed ?? randomWithdrawalSeed();
  const id = issuanceIdOf(seed);
  const task = newTask('withdraw', id, { ...params.amount }, now, {
    done: 0,
    total: values.length,
  });
  const withdrawal: WithdrawalRecord = {
    id,
    kind: 'withdraw',
    bankUrl: bank.url,
    currency: params.amount.currency,
    seed: await ctx.sealer.seal(seed),
    coins: values.map((minor, index) => ({
      index,
      minor,
      denominationId: toBase64url(denominationId(byValue.get(minor)!)),
    })),
    total: params.amount.minor,
    status: 'planned',
    taskId: task.id,
    createdAt: now,
  };
  seed.fill(0);
  const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
  await Promise.all([
    tx.objectStore('withdrawals').add(withdrawal),
    tx.objectStore('tasks').add(task),
  ]);
  await tx.done;
  return task;
}

/** Drives a withdrawal task to `confirmed` or `failed`; throws when it must be retried later. */
export async function runWithdrawal(ctx: WalletContext, task: TaskRecord): Promise<TaskView> {
  const withdrawal = await ctx.db.get('withdrawals', task.ref);
  if (withdrawal === undefined) throw recordMissing('withdrawal', task.ref);
  if (withdrawal.status === 'done' || withdrawal.status === 'failed') {
    return taskView((await ctx.db.get('tasks', task.id)) ?? task);
  }
  const { bank, token } = await loggedInBank(ctx, withdrawal.bankUrl);
  const keySet: SignedMintKeySet = await keySetOf(ctx, bank, { maxAgeMs: 3_600_000 });
  const seed = await ctx.sealer.open(withdrawal.seed);
  const planned = blindIssuance(seed, keySet, withdrawal.coins);
  seed.fill(0);
  const base = `${bank.url}/v1/mint/withdrawals`;

  // Written before the try: a failure to store `sent` is the wallet's, not the bank's
  // refusal, and must leave the withdrawal to run again rather than end it.
  if (withdrawal.status !== 'sent') await markSent(ctx, withdrawal, task.id);
  let answer: v.InferOutput<typeof issuanceAnswer> | undefined;
  try {
    if (withdrawal.status === 'sent') {
      answer = await requestJson(
        ctx.platform,
        bankParty,
        { method: 'GET', url: `${base}/${withdrawal.id}`, token },
        issuanceAnswer,
      ).catch((error: unknown) => {
        if (causeOf(error) === 'not_found') return undefined;
        throw error;
      });
    }
    answer ??= await requestJson(
      ctx.platform,
      bankParty,
      {
        method: 'POST',
        url: base,
        token,
        idempotencyKey: withdrawal.id,
        body: { issuanceId: withdrawal.id, coins: blindedWire(planned) },
      },
      issuanceAnswer,
    );
  } catch (error) {
    // Only the bank's refusal of the request itself ends the withdrawal: a lapsed session or
    // an unreachable bank leaves it open, since the account may already be debited.
    if (
      !isTransient(error) &&
      causeOf(error) !== 'issuance_conflict' &&
      !(error instanceof WalletFailure && error.code === 'not_logged_in')
    ) {
      await failWithdrawal(ctx, withdrawal, task.id, error);
    }
    throw error;
  }

  const now = ctx.platform.now();
  const coins = await finalizeIssuance(withdrawal, planned, answer.signatures, now);
  return commitIssuance(ctx, withdrawal, task, coins, now);
}

async function markSent(ctx: WalletContext, withdrawal: WithdrawalRecord, taskId: string) {
  const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
  await tx.objectStore('withdrawals').put({ ...withdrawal, status: 'sent' });
  await setTask(tx.objectStore('tasks'), taskId, { status: 'sent' }, ctx.platform.now());
  await tx.done;
}

async function failWithdrawal(
  ctx: WalletContext,
  withdrawal: WithdrawalRecord,
  taskId: string,
  error: unknown,
) {
  const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
  await failIssuance(tx, withdrawal, taskId, error, ctx.platform.now());
  await tx.done;
}

/** Any transaction over (at least) the issuances and the tasks. */
type IssuanceTx = {
  objectStore(name: 'withdrawals'): { put(value: WithdrawalRecord): Promise<unknown> };
} & { objectStore(name: 'tasks'): TaskStore };

/**
 * Marks an issuance (a withdrawal, change, a refund's refresh) and its task failed, inside the
 * caller's transaction, which may also put back what the issuance held.
 */
export async function failIssuance(
  tx: IssuanceTx,
  issuance: WithdrawalRecord,
  taskId: string,
  error: unknown,
  now: number,
): Promise<void> {
  await tx.objectStore('withdrawals').put({ ...issuance, status: 'failed' });
  await setTask(
    tx.objectStore('tasks'),
    taskId,
    { status: 'failed', error: errorJson(error) },
    now,
  );
}

/**
 * Stores an issuance's coins and marks it done, in one strict transaction; a withdrawal or change
 * already done (a resumed task that finished before) is left as it is. A coin already known is
 * never overwritten (it may be spent since). `alsoSpend` runs in the same transaction (change
 * spends the coin it replaced).
 */
export async function commitIssuance(
  ctx: WalletContext,
  issuance: WithdrawalRecord,
  task: TaskRecord,
  coins: readonly CoinRecord[],
  now: number,
  alsoSpend?: (tx: WalletTx<['withdrawals', 'coins', 'tasks']>) => Promise<void>,
): Promise<TaskView> {
  const tx = moneyTx(ctx.db, ['withdrawals', 'coins', 'tasks']);
  const current = await tx.objectStore('withdrawals').get(issuance.id);
  if (current?.status === 'done') {
    await tx.done;
    return taskView((await ctx.db.get('tasks', task.id)) ?? task);
  }
  const coinStore = tx.objectStore('coins');
  for (const coin of coins) {
    if ((await coinStore.getKey(coin.coinPub)) === undefined) await coinStore.add(coin);
  }
  await alsoSpend?.(tx);
  await tx.objectStore('withdrawals').put({ ...issuance, status: 'done' });
  const done = await setTask(
    tx.objectStore('tasks'),
    task.id,
    { status: 'confirmed', progress: { done: coins.length, total: coins.length }, error: null },
    now,
  );
  await tx.done;
  return taskView(done ?? task);
}
