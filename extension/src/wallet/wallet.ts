/**
 * The wallet core as the background uses it: opens the database and the wallet key, and runs
 * tasks. Each operation lives in its flow module; this file only wires them and owns the task
 * runner (resume on start and on the alarm, one run at a time).
 */

import type { TaskKind, TaskView, WalletOverview } from '../messages/contract.ts';
import { unreachable } from '../messages/failure.ts';
import { bankView } from './bank/banks.ts';
import type { WalletContext } from './context.ts';
import { defaultWalletDbName, openWalletDb, type TaskRecord } from './db/schema.ts';
import { balances, listReceipts } from './history.ts';
import { isTransient } from './http.ts';
import { runChange } from './instruments/ecash/change.ts';
import {
  runWithdrawal,
  type StartWithdrawalParameters,
  startWithdrawal,
} from './instruments/ecash/withdraw.ts';
import { runCertificateTask } from './instruments/payword/chains.ts';
import { instrumentsByPreference } from './instruments/registry.ts';
import { openSealer } from './keys.ts';
import { amountView } from './money.ts';
import { type PayHooks, runPayment } from './pay/send.ts';
import type { WalletPlatform } from './platform.ts';
import { runRefundRefresh } from './refunds/refresh.ts';
import { loadSettings, spentToday } from './settings.ts';
import { listTasks, openTasks, taskView } from './tasks.ts';

export interface Wallet extends WalletContext {
  readonly hooks: PayHooks;
  /** Finishes every open task it can; returns the tasks still open. */
  resume(): Promise<number>;
  /** Starts a withdrawal and runs it on the side. */
  withdraw(params: StartWithdrawalParameters): Promise<TaskView>;
  overview(): Promise<WalletOverview>;
  close(): void;
}

export interface OpenWalletOptions {
  readonly dbName?: string;
  readonly platform: WalletPlatform;
  readonly confirm: PayHooks['confirm'];
  readonly onCredentialReady?: (paymentId: string) => void;
}

export async function openWallet(options: OpenWalletOptions): Promise<Wallet> {
  const db = await openWalletDb(options.dbName ?? defaultWalletDbName);
  const sealer = await openSealer(db);
  const ctx: WalletContext = { db, sealer, platform: options.platform };
  let running: Promise<number> | undefined;
  let again = false;

  /** The flow that drives each kind of task; the record type makes the table complete. */
  const runners: Readonly<Record<TaskKind, (task: TaskRecord) => Promise<unknown>>> = {
    withdraw: (task) => runWithdrawal(ctx, task),
    change: (task) => runChange(ctx, task),
    pay: (task) => runPayment(ctx, hooks, task),
    payword_certificate: (task) => runCertificateTask(ctx, task),
    refund: (task) => runRefundRefresh(ctx, task),
  };
  const runTask = async (task: TaskRecord): Promise<void> => {
    const run = runners[task.kind];
    // A kind a newer version wrote, read by this one: kept for the user, like any refusal.
    if (run === undefined) unreachable(task.kind as never);
    await run(task);
  };

  const resumeOnce = async (): Promise<number> => {
    let open = 0;
    for (const task of await openTasks(ctx)) {
      try {
        await runTask(task);
      } catch (error) {
        open++;
        if (!isTransient(error)) {
          // A failure that is neither the network nor the server's: counted, kept for the user.
          await ctx.db.put('tasks', {
            ...task,
            attempts: task.attempts + 1,
            updatedAt: ctx.platform.now(),
          });
        }
      }
    }
    // What a stop between steps left that no task drives (instruments/instrument.ts, step 7).
    for (const instrument of instrumentsByPreference) await instrument.resume?.(ctx);
    return open;
  };

  const resume = (): Promise<number> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      let open: number;
      do {
        again = false;
        open = await resumeOnce();
      } while (again);
      return open;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const hooks: PayHooks = {
    confirm: options.confirm,
    ...(options.onCredentialReady === undefined
      ? {}
      : { onCredentialReady: options.onCredentialReady }),
    kick: () => void resume(),
  };

  return {
    ...ctx,
    hooks,
    resume,
    async withdraw(params) {
      const task = await startWithdrawal(ctx, params);
      void resume();
      return taskView(task);
    },
    async overview() {
      const settings = await loadSettings(db);
      const banks = await Promise.all(
        (await db.getAll('banks')).map((bank) => bankView(ctx, bank)),
      );
      const { total } = await spentToday(db, options.platform.now());
      return {
        balances: await balances(ctx),
        banks,
        recent: await listReceipts(ctx, { limit: 10 }),
        tasks: await listTasks(ctx, 10),
        spentToday: amountView(settings.currency, total),
      };
    },
    close: () => db.close(),
  };
}
