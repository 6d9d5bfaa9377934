/**
 * `SqliteMerchantStore`'s writes on a thread of their own (./sqlite-writer-thread.ts), its
 * default since they cost the event loop least there.
 *
 * Measured per PayWord payment under load (`npm run bench` at 32 connections, CPU per thread
 * from /proc): committing on the event loop (`@farthing/server-runtime/sqlite-group-commit`,
 * an `fdatasync` of the WAL on libuv's pool) cost the event loop ~160 µs and the process
 * ~215 µs; with this thread the event loop spends ~120 µs and the process ~200 µs, since the
 * SQL, the WAL writes and the fsync leave the loop and a whole batch crosses in one message.
 *
 * - The writes that queue up while a batch is on the thread go over as the next batch, one
 *   message, one transaction, each write inside its own SAVEPOINT (a write that throws undoes
 *   only itself).
 * - The thread's connection commits at `synchronous=FULL` by default, each batch held through
 *   its sync. `commitSync: 'async-fdatasync'` commits at `synchronous=NORMAL` and syncs the WAL
 *   itself (`fdatasync` on libuv's pool), answering a batch once a sync that started after its
 *   COMMIT has returned while the next batch's SQL already runs. That was the default for a
 *   while (issue 21: 1.40× FULL on a loaded machine), but on a quiet machine FULL recorded more
 *   payments in every round of `npm run bench -- merchant-store` (the WAL sync at 0.83×,
 *   0.77–0.92, 5 rounds) and the shop paid PayWord a little faster with it, so FULL is back as
 *   the default; both are equally durable.
 * - The event loop's own connection, which only reads, may see a commit whose sync has not yet
 *   returned: a read is answered only once every batch sent before it is durable
 *   (`whenDurable`), as the event-loop group commit does.
 * - If the thread fails, or a COMMIT or a ROLLBACK fails, what it was doing is unknown (a
 *   failed COMMIT's frames may be in the WAL and come back at the next open): every write
 *   waiting and every later call fails with `StorageLostError`, the thread is ended, and the
 *   store must be reopened (a
 *   payment whose commit did land is then found again by its credential, so a retry is
 *   answered with it).
 */
import type { Worker } from 'node:worker_threads';
import { StorageLostError } from '@farthing/server-runtime/sqlite-group-commit';
import { moduleBeside, typeScriptWorker } from '@farthing/server-runtime/typescript-worker';
import type { WriteRequest, WriteResults } from './sqlite-writes.ts';

/** What the thread is started with. */
export interface WriterOptions {
  readonly path: string;
  /**
   * `full` (default): each COMMIT at `synchronous=FULL`, holding the thread through its sync.
   * `async-fdatasync`: COMMIT at `synchronous=NORMAL`, the WAL synced apart (module comment).
   * `npm run bench -- merchant-store` compares the two.
   */
  readonly commitSync?: 'async-fdatasync' | 'full';
}

/** An error as it crosses from the thread (`Error` objects lose their class on the way). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
}

export type WriteOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError };

/** Messages to the thread. */
export type ToWriter =
  | { readonly type: 'batch'; readonly id: number; readonly writes: readonly WriteRequest[] }
  | { readonly type: 'close' };

/** Messages from the thread: `written` then `committed`, or `failed`, per batch. */
export type FromWriter =
  /** The batch's COMMIT returned (not yet durable): the thread takes the next batch. */
  | { readonly type: 'written'; readonly id: number }
  /** A sync that started after the batch's COMMIT returned: the batch is durable. */
  | { readonly type: 'committed'; readonly id: number; readonly outcomes: readonly WriteOutcome[] }
  /** The transaction failed as a whole and was rolled back: none of the batch happened. */
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError }
  /**
   * The COMMIT failed, the ROLLBACK after a failure did, or a sync did: whether the batches
   * not yet answered happened is unknown.
   */
  | { readonly type: 'lost'; readonly error: SerializedError };

interface Pending {
  readonly request: WriteRequest;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Durable commits so far and the writes they carried. */
export interface WriterStats {
  commits: number;
  writes: number;
  largestGroup: number;
}

const entry = moduleBeside(import.meta.url, 'sqlite-writer-thread');

function rebuild(error: SerializedError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.code !== undefined) Object.assign(rebuilt, { code: error.code });
  return rebuilt;
}

/** Sends writes to the writer thread in batches and settles them as it answers. */
export class SqliteWriterThread {
  readonly #worker: Worker;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  /** The batch whose COMMIT is running on the thread; the next one waits for it. */
  #writing: number | undefined;
  /** Batches sent and not yet answered, by id: writing, or committed and syncing. */
  readonly #unanswered = new Map<number, Pending[]>();
  #nextId = 1;
  /** Reads waiting until every batch up to `upTo` is answered (`whenDurable`). */
  #readers: {
    readonly upTo: number;
    readonly resolve: () => void;
    readonly reject: (error: unknown) => void;
  }[] = [];
  #scheduled = false;
  #lost: StorageLostError | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #stats: WriterStats = { commits: 0, writes: 0, largestGroup: 0 };

  constructor(options: WriterOptions & { readonly maxBatch: number }) {
    this.#maxBatch = options.maxBatch;
    this.#worker = typeScriptWorker(entry, {
      workerData: {
        path: options.path,
        ...(options.commitSync === undefined ? {} : { commitSync: options.commitSync }),
      } satisfies WriterOptions,
      name: 'farthing-merchant-store-writer',
    });
    // The thread keeps the process alive only while writes are on it.
    this.#worker.unref();
    this.#worker.on('message', (message: FromWriter) => this.#answer(message));
    this.#worker.on('error', (error) => this.#lose(error));
    this.#worker.on('messageerror', (error) => this.#lose(error));
    this.#worker.on('exit', (code) => {
      if (!this.#closed) this.#lose(new Error(`the writer thread stopped (exit code ${code})`));
    });
  }

  get stats(): Readonly<WriterStats> {
    return { ...this.#stats };
  }

  /** Runs `request` in the next batch; resolves once that batch's commit is on disk. */
  run<R extends WriteRequest>(request: R): Promise<WriteResults[R['op']]> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    if (this.#closed) return Promise.reject(new Error('the merchant store is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled && this.#writing === undefined) {
        this.#scheduled = true;
        // After pending I/O callbacks: requests that arrived in the same turn join the batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#send();
        });
      }
    });
  }

  /**
   * Resolves once every batch sent so far is durable (at once when none is waiting): what a
   * read on another connection sees may be a commit whose sync has not yet returned.
   */
  whenDurable(): Promise<void> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    if (this.#unanswered.size === 0) return Promise.resolve();
    const upTo = this.#nextId - 1;
    return new Promise((resolve, reject) => this.#readers.push({ upTo, resolve, reject }));
  }

  /** Answers every write submitted so far, then ends the thread and its connection. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while (
      this.#lost === undefined &&
      (this.#scheduled || this.#unanswered.size > 0 || this.#queue.length > 0)
    ) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#closed = true;
    if (this.#lost !== undefined) {
      await this.#worker.terminate();
      return;
    }
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#worker.postMessage({ type: 'close' } satisfies ToWriter);
    await exited;
  }

  #send(): void {
    if (this.#writing !== undefined || this.#queue.length === 0 || this.#lost !== undefined) {
      return;
    }
    const batch = this.#queue.splice(0, this.#maxBatch);
    const id = this.#nextId;
    try {
      // Throws before anything is sent when a request cannot be copied to the thread.
      this.#worker.postMessage({
        type: 'batch',
        id,
        writes: batch.map((pending) => pending.request),
      } satisfies ToWriter);
    } catch (error) {
      // Only the writes that cannot be copied are refused; the others go on as the batch.
      const copyable = batch.filter((pending) => {
        try {
          structuredClone(pending.request);
          return true;
        } catch (cloneError) {
          pending.reject(cloneError);
          return false;
        }
      });
      if (copyable.length === batch.length) {
        for (const pending of batch) pending.reject(error);
      } else {
        this.#queue.unshift(...copyable);
      }
      this.#send();
      return;
    }
    this.#nextId++;
    this.#writing = id;
    this.#unanswered.set(id, batch);
    this.#worker.ref();
  }

  /** Ends the thread now, whatever it was doing (a store that failed to open). */
  abandon(): void {
    this.#closed = true;
    void this.#worker.terminate();
  }

  #answer(message: FromWriter): void {
    if (message.type === 'lost') {
      this.#lose(rebuild(message.error));
      return;
    }
    const batch = this.#unanswered.get(message.id);
    if (batch === undefined) return;
    if (message.type === 'written') {
      // The thread is free for the next batch while this one syncs.
      if (this.#writing === message.id) this.#writing = undefined;
      this.#send();
      return;
    }
    this.#unanswered.delete(message.id);
    if (this.#writing === message.id) this.#writing = undefined;
    if (this.#unanswered.size === 0) this.#worker.unref();
    if (message.type === 'committed') {
      this.#stats.commits++;
      this.#stats.writes += batch.length;
      this.#stats.largestGroup = Math.max(this.#stats.largestGroup, batch.length);
      batch.forEach((pending, index) => {
        const outcome = message.outcomes[index]!;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(rebuild(outcome.error));
      });
    } else {
      const error = rebuild(message.error);
      for (const pending of batch) pending.reject(error);
    }
    this.#wakeReaders();
    this.#send();
  }

  /** Answers the reads whose batches are all answered now. */
  #wakeReaders(): void {
    if (this.#readers.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const id of this.#unanswered.keys()) oldest = Math.min(oldest, id);
    const waiting = this.#readers;
    this.#readers = [];
    for (const reader of waiting) {
      if (reader.upTo < oldest) reader.resolve();
      else this.#readers.push(reader);
    }
  }

  /** Fails everything waiting and every later call (module comment). */
  #lose(cause: unknown): void {
    if (this.#lost !== undefined) return;
    this.#lost = new StorageLostError(
      "the merchant store's writer thread failed; what it was writing is unknown until the store is reopened",
      { cause },
    );
    for (const batch of this.#unanswered.values()) {
      for (const pending of batch) pending.reject(this.#lost);
    }
    for (const pending of this.#queue) pending.reject(this.#lost);
    for (const reader of this.#readers) reader.reject(this.#lost);
    this.#unanswered.clear();
    this.#writing = undefined;
    this.#queue = [];
    this.#readers = [];
    // Its connection may still hold a write transaction that would keep a reopened store
    // waiting, and nothing more will be asked of it.
    this.#worker.unref();
    void this.#worker.terminate();
  }
}
