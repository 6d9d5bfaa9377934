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
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { refundRefreshes } from '@farthing/protocol/coin/refund-refresh';
import * as v from 'valibot';
import type { TaskView } from '../../messages/contract.ts';
import { keySetOf, trustedBank } from '../bank/banks.ts';
import type { WalletContext } from '../context.ts';
import { moneyTx, type TaskRecord } from '../db/schema.ts';
import { bankParty, requestJson } from '../http.ts';
import { planReissue, type ReissueKind, runReissue } from '../instruments/ecash/change.ts';
import { signingDenominations } from '../instruments/ecash/issuance.ts';
import { failIssuance } from '../instruments/ecash/withdraw.ts';

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
  if (payment?.instrument !== 'ecash') return [];
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
    const { task, record: refresh } = await planReissue(
      ctx,
      'refund',
      coin,
      values,
      byValue,
      randomWithdrawalSeed(),
      now,
    );
    const total = refresh.total;
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

const refundRefreshKind: ReissueKind = {
  path: '/v1/mint/refunds/refresh',
  body: (params) => refundRefreshes.toWire(refundRefreshes.create(params)),
  // A refused refresh leaves the old coin as it was (it is spent; its credit stays at the mint).
  fail: async (ctx, record, _old, taskId, error) => {
    const tx = moneyTx(ctx.db, ['withdrawals', 'tasks']);
    await failIssuance(tx, record, taskId, error, ctx.platform.now());
    await tx.done;
  },
  spendsOld: false,
};

export function runRefundRefresh(ctx: WalletContext, task: TaskRecord): Promise<TaskView> {
  return runReissue(ctx, task, refundRefreshKind);
}
