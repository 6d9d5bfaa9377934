/**
 * Group commit over one synchronous better-sqlite3 connection (DESIGN.md "Bank storage":
 * durability must not cost throughput; the same holds for the merchant's PayWord hot path).
 * The bank's ledger and the merchant SDK's store both commit through it.
 *
 * Writes that queue up meanwhile (within one turn of the event loop, and while a sync is in
 * flight) run in ONE transaction, each inside its own SAVEPOINT so a write that throws undoes
 * only itself. No write is answered before it is on disk:
 *
 * - Without a `sync` (`synchronous=FULL`), the COMMIT itself waits for the disk, and every
 *   write of the group is answered when it returns.
 * - With a `sync` (`synchronous=NORMAL`, protocol's node/sqlite-wal-sync.ts), the COMMIT only hands the WAL frames to
 *   the OS; `sync` then makes them durable on libuv's thread pool while the event loop goes on
 *   serving and the next group commits. A write is answered only when a sync that started
 *   after its commit has resolved — refusals too, since a refusal may rest on another write
 *   not yet on disk (a replayed payword refused by a word stored a moment ago). Reads through
 *   `read` wait the same way: what they saw may be a commit not yet synced.
 * - A failed sync fails every write and read waiting for it, and every later call: what SQLite
 *   committed to memory may be lost, and a later sync that succeeds would not prove otherwise
 *   (Linux may drop the dirty pages and clear the error). The store must be reopened. A failed
 *   COMMIT does the same: its frames may be in the WAL already and come back at the next
 *   open, so "none of it happened" would not be true either.
 *
 * Jobs are synchronous, so nothing interleaves with a job that is half done.
 */
/** What this needs of a better-sqlite3 connection (no dependency on the package itself). */
export interface GroupCommitConnection {
  prepare(source: string): { run(): unknown };
  exec(source: string): unknown;
  readonly inTransaction: boolean;
}

/** A synchronous job over the connection: a write inside the shared transaction, or a read. */
export type Job<D, T> = (db: D) => T;

/** Durable commits so far, the jobs they carried and the largest group. */
export interface GroupCommitStats {
  commits: number;
  jobs: number;
  largestBatch: number;
  /** Asynchronous syncs started (0 when COMMIT syncs by itself). */
  syncs: number;
}

/** Thrown by every call once a sync or a COMMIT failed (module comment). */
export class StorageLostError extends Error {
  override readonly name = 'StorageLostError';
}

interface Pending<D> {
  readonly job: Job<D, unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Answers that wait for the sync covering what they depend on. */
interface Waiter {
  readonly durable: () => void;
  readonly lost: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** false: every write commits alone (for measuring what grouping buys). Default true. */
  readonly grouped?: boolean;
  /** Upper bound of writes per transaction (default 256), so one commit never holds the loop for long. */
  readonly maxBatch?: number;
  /** Makes everything committed so far durable; given when COMMIT does not (module comment). */
  readonly sync?: () => Promise<void>;
  /** Called after each COMMIT (a background checkpointer's `committed`, ./sqlite-checkpointer.ts). */
  readonly onCommit?: () => void;
}

/** What one job of a shared transaction came to. */
export type JobOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** What running jobs in one transaction came to (`sharedTransaction`). */
export type SharedTransactionResult =
  | { readonly committed: true; readonly outcomes: readonly JobOutcome[] }
  /**
   * The transaction failed as a whole (disk full, I/O error) before its COMMIT, and none of
   * the jobs happened. With `lost`, nobody can say: the COMMIT itself failed (its frames may
   * be in the WAL with their commit mark, and come back when the database is next opened), or
   * the ROLLBACK after a failure failed too. `lost` is the error that made it unknown.
   */
  | { readonly committed: false; readonly error: unknown; readonly lost?: unknown };

/**
 * Runs jobs over `db` in ONE transaction, each inside its own SAVEPOINT so a job that throws
 * undoes only itself; the statements are prepared once. Used by `GroupCommit` and by the
 * merchant store's writer thread.
 */
export function sharedTransaction<D extends GroupCommitConnection>(
  db: D,
): (jobs: readonly Job<D, unknown>[]) => SharedTransactionResult {
  const sql = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    savepoint: db.prepare('SAVEPOINT write'),
    release: db.prepare('RELEASE write'),
    undo: db.prepare('ROLLBACK TO write'),
  };
  return (jobs) => {
    const outcomes: JobOutcome[] = [];
    let committing = false;
    try {
      sql.begin.run();
      for (const job of jobs) {
        sql.savepoint.run();
        try {
          const value = job(db);
          sql.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          sql.undo.run();
          sql.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      committing = true;
      sql.commit.run();
    } catch (error) {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch (rollbackError) {
        return { committed: false, error, lost: rollbackError };
      }
      return committing ? { committed: false, error, lost: error } : { committed: false, error };
    }
    return { committed: true, outcomes };
  };
}

/** Runs the writes of one event-loop turn in shared durable commits (module comment). */
export class GroupCommit<D extends GroupCommitConnection> {
  readonly #db: D;
  readonly #maxBatch: number;
  readonly #sync: (() => Promise<void>) | undefined;
  readonly #onCommit: (() => void) | undefined;
  readonly #transaction: (jobs: readonly Job<D, unknown>[]) => SharedTransactionResult;
  #queue: Pending<D>[] = [];
  #scheduled = false;
  /** Waiting for the sync in flight, which started after their commits. */
  #syncing: Waiter[] | undefined;
  /** Committed after the sync in flight started: waiting for the next one. */
  #unsynced: Waiter[] = [];
  #lost: StorageLostError | undefined;
  #closed = false;
  readonly #stats: GroupCommitStats = { commits: 0, jobs: 0, largestBatch: 0, syncs: 0 };

  constructor(db: D, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#maxBatch = (options.grouped ?? true) ? (options.maxBatch ?? 256) : 1;
    this.#sync = options.sync;
    this.#onCommit = options.onCommit;
    this.#transaction = sharedTransaction(db);
  }

  /** Runs `job` in the next shared transaction; resolves once that transaction is durable. */
  run<T>(job: Job<D, T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the database is closed'));
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after pending I/O callbacks: requests that arrived in the same
        // turn join this group.
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  /**
   * Runs `query` outside any write transaction (it sees committed writes only) and answers
   * once what it saw is durable.
   */
  read<T>(query: Job<D, T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the database is closed'));
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    let value: T;
    try {
      value = query(this.#db);
    } catch (error) {
      return Promise.reject(error);
    }
    const group = this.#unsynced.length > 0 ? this.#unsynced : this.#syncing;
    if (group === undefined) return Promise.resolve(value);
    return new Promise<T>((resolve, reject) => {
      group.push({ durable: () => resolve(value), lost: reject });
    });
  }

  /**
   * A read answered at once, even while commits await their sync. Only for lookups of
   * credentials (sessions, API keys): a client can present a token only after the answer that
   * gave it, which waited for the sync covering it; and a revocation not yet synced refuses
   * the token, the safe side.
   */
  readCredential<T>(query: Job<D, T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the database is closed'));
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    try {
      return Promise.resolve(query(this.#db));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get stats(): Readonly<GroupCommitStats> {
    return { ...this.#stats };
  }

  /** Answers every write submitted so far, then refuses new work. */
  async close(): Promise<void> {
    await this.#whenIdle();
    this.#closed = true;
  }

  async #whenIdle(): Promise<void> {
    while (
      this.#scheduled ||
      this.#queue.length > 0 ||
      this.#syncing !== undefined ||
      this.#unsynced.length > 0
    ) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Commits what is queued and starts the sync that covers it — unless a sync is in flight:
   * then the queue waits for it and commits as one group after it. A write answered only after
   * the next sync anyway need not commit sooner, and one commit per sync instead of one per
   * event-loop turn halved the pay endpoint's SQLite time under load (`npm run bench`).
   */
  #pump(): void {
    if (this.#syncing !== undefined || this.#lost !== undefined) return;
    while (this.#queue.length > 0) this.#commit(this.#queue.splice(0, this.#maxBatch));
    if (this.#sync !== undefined && this.#unsynced.length > 0) this.#startSync(this.#sync);
  }

  #commit(group: Pending<D>[]): void {
    const result = this.#transaction(group.map((pending) => pending.job));
    if (!result.committed) {
      if ('lost' in result) {
        // Whether this group happened is unknown, and the connection's state too: answer
        // nothing more, this group included.
        this.#lose(result.lost);
        for (const pending of group) pending.reject(this.#lost);
        return;
      }
      // Nothing of this group happened.
      for (const pending of group) pending.reject(result.error);
      return;
    }
    const { outcomes } = result;
    this.#onCommit?.();
    this.#stats.commits++;
    this.#stats.jobs += group.length;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, group.length);
    const answer = () =>
      group.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      });
    if (this.#sync === undefined) {
      answer();
      return;
    }
    this.#unsynced.push({
      durable: answer,
      lost: (error) => {
        for (const pending of group) pending.reject(error);
      },
    });
  }

  /** Syncs what has been committed; the commits made meanwhile wait for the next sync. */
  #startSync(sync: () => Promise<void>): void {
    const covered = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = covered;
    this.#stats.syncs++;
    let started: Promise<void>;
    try {
      started = sync();
    } catch (error) {
      started = Promise.reject(error);
    }
    started.then(
      () => {
        this.#syncing = undefined;
        for (const waiter of covered) waiter.durable();
        this.#pump();
      },
      (error: unknown) => this.#lose(error),
    );
  }

  /** Fails everything waiting and every later call (module comment). */
  #lose(error: unknown): void {
    if (this.#lost !== undefined) return;
    const lost = new StorageLostError(
      'the database could not make writes durable, or could not say whether it did; nothing more is answered until it is reopened',
      { cause: error },
    );
    this.#lost = lost;
    const waiting = [...(this.#syncing ?? []), ...this.#unsynced];
    this.#syncing = undefined;
    this.#unsynced = [];
    for (const waiter of waiting) waiter.lost(lost);
    for (const pending of this.#queue.splice(0)) pending.reject(lost);
  }
}
