/**
 * `SqliteMerchantStore`'s writes on a thread of their own (sqlite-writer-thread.ts).
 *
 * better-sqlite3 is synchronous: on the event loop every durable commit held the server for
 * the whole fsync, a fifth to a quarter of the pay endpoint's event-loop time under load
 * (`npm run bench`, profiled). Here the event loop only posts the writes of one turn as one
 * message and hears back after their shared COMMIT returned, so the rule stays the same: a
 * write is answered only once it is on disk. Writes queued while the thread waits for the disk
 * form the next group.
 */
import { Worker } from 'node:worker_threads';
import type { CommitStats } from './group-commit.ts';
import type { WriteRequest, WriteResults } from './sqlite-writes.ts';

/** What the thread is started with. */
export interface WriterOptions {
  readonly path: string;
  readonly grouped: boolean;
  readonly maxBatch: number;
}

/** Messages to the thread. */
export type ToWriter =
  | { readonly type: 'writes'; readonly writes: { id: number; request: WriteRequest }[] }
  | { readonly type: 'close' };

type WriteResult =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { name: string; message: string; code?: unknown };
    };

/** Messages from the thread. */
export type FromWriter =
  | { readonly type: 'done'; readonly results: WriteResult[]; readonly stats: CommitStats }
  | { readonly type: 'closed' };

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const entry = new URL('./sqlite-writer-thread.ts', import.meta.url);

/**
 * The thread's bootstrap: the SDK ships TypeScript, so the thread registers the parent's
 * TypeScript loader (tsx) when there is one before importing its entry.
 */
function bootstrap(): string {
  let tsx: string | undefined;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    tsx = undefined; // a runtime that loads TypeScript itself
  }
  const load = `import(${JSON.stringify(entry.href)})`;
  return tsx === undefined
    ? load
    : `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return ${load}; });`;
}

/** The parent's flags, less its tsx loader (`bootstrap` registers it instead). */
function workerExecArgv(): string[] {
  const argv: string[] = [];
  const parent = process.execArgv;
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if ((arg === '--import' || arg === '--loader') && /tsx/.test(parent[i + 1] ?? '')) i++;
    else if (!/^--(import|loader)=.*tsx/.test(arg)) argv.push(arg);
  }
  return argv;
}

function rebuildError(error: { name: string; message: string; code?: unknown }): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.code !== undefined) Object.assign(rebuilt, { code: error.code });
  return rebuilt;
}

/** Posts writes to the writer thread and settles them as it answers (module comment). */
export class SqliteWriterThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #outbox: { id: number; request: WriteRequest }[] = [];
  #nextId = 1;
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;
  stats: CommitStats = { commits: 0, writes: 0, largestGroup: 0 };

  constructor(options: WriterOptions) {
    this.#worker = new Worker(bootstrap(), {
      eval: true,
      execArgv: workerExecArgv(),
      workerData: options,
      name: 'farthing-merchant-store-writer',
    });
    // The thread keeps the process alive only while writes are in flight.
    this.#worker.unref();
    this.#worker.on('message', (message: FromWriter) => {
      if (message.type === 'done') this.#settle(message);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      this.#fail(new Error(`the merchant store's writer thread stopped (exit code ${code})`));
    });
  }

  /** Runs `request` on the thread; resolves once its commit is durable. */
  run<R extends WriteRequest>(request: R): Promise<WriteResults[R['op']]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed !== undefined) return Promise.reject(new Error('the store is closed'));
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.#outbox.length === 0) setImmediate(() => this.#flush());
      this.#outbox.push({ id, request });
      if (this.#pending.size === 1) this.#worker.ref();
    });
  }

  /** Waits for the writes in flight, then closes the thread's connection and ends it. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#flush();
      if (this.#failure !== undefined) {
        resolve();
        return;
      }
      this.#worker.ref();
      this.#worker.on('message', (message: FromWriter) => {
        if (message.type === 'closed') resolve();
      });
      this.#worker.once('exit', () => resolve());
      this.#worker.postMessage({ type: 'close' } satisfies ToWriter);
    });
    return this.#closed;
  }

  #flush(): void {
    if (this.#outbox.length === 0 || this.#failure !== undefined) return;
    const writes = this.#outbox;
    this.#outbox = [];
    this.#worker.postMessage({ type: 'writes', writes } satisfies ToWriter);
  }

  #settle(message: Extract<FromWriter, { type: 'done' }>): void {
    this.stats = message.stats;
    for (const result of message.results) {
      const pending = this.#pending.get(result.id);
      if (pending === undefined) continue;
      this.#pending.delete(result.id);
      if (result.ok) pending.resolve(result.value);
      else pending.reject(rebuildError(result.error));
    }
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
    this.#outbox = [];
  }
}
