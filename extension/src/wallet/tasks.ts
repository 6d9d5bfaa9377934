/**
 * Tasks: every operation that talks to a bank or merchant is a task record written before the
 * first request (DESIGN.md "Wallet storage"; issue 5). Its status moves
 * `reserved` (decided and journaled, nothing sent) → `sent` (a request may have reached the
 * server) → `confirmed` | `failed`. A task left `reserved` or `sent` is resumed when the worker
 * starts and on an alarm, by the flow that owns its kind; each flow resends exactly the same
 * idempotent request, so resuming never pays twice.
 */
import type { TaskKind, TaskStatus, TaskView } from '../messages/contract.ts';
import type { WalletContext } from './context.ts';
import type { TaskRecord } from './db/schema.ts';
import { newId } from './db/schema.ts';
import type { Money } from './money.ts';
import { moneyView } from './money.ts';

export function newTask(
  kind: TaskKind,
  ref: string,
  amount: Money | null,
  now: number,
  progress: TaskRecord['progress'] = null,
): TaskRecord {
  return {
    id: newId(),
    kind,
    status: 'reserved',
    ref,
    amount,
    progress,
    error: null,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/** The `tasks` store of any read-write transaction that includes it. */
export interface TaskStore {
  get(key: string): Promise<TaskRecord | undefined>;
  put(value: TaskRecord): Promise<unknown>;
}

/** Moves a task inside the caller's transaction. */
export async function setTask(
  store: TaskStore,
  id: string,
  change: Partial<Pick<TaskRecord, 'status' | 'progress' | 'error' | 'attempts'>>,
  now: number,
): Promise<TaskRecord | undefined> {
  const task = await store.get(id);
  if (task === undefined) return undefined;
  const next: TaskRecord = { ...task, ...change, updatedAt: now };
  await store.put(next);
  return next;
}

export function taskView(task: TaskRecord): TaskView {
  return {
    id: task.id,
    kind: task.kind,
    status: task.status,
    createdAt: task.createdAt,
    amount: task.amount === null ? null : moneyView(task.amount),
    progress: task.progress,
    error: task.error,
  };
}

export async function listTasks(ctx: WalletContext, limit = 50): Promise<TaskView[]> {
  const views: TaskView[] = [];
  let cursor = await ctx.db.transaction('tasks').store.index('createdAt').openCursor(null, 'prev');
  while (cursor !== null && views.length < limit) {
    views.push(taskView(cursor.value));
    cursor = await cursor.continue();
  }
  return views;
}

export const openStatuses: readonly TaskStatus[] = ['reserved', 'sent'];

/** Tasks still to finish, oldest first. */
export async function openTasks(ctx: WalletContext): Promise<TaskRecord[]> {
  const tx = ctx.db.transaction('tasks');
  const lists = await Promise.all(
    openStatuses.map((status) => tx.store.index('status').getAll(status)),
  );
  return lists.flat().sort((a, b) => a.createdAt - b.createdAt);
}
