/**
 * Group commit over a synchronous SQLite connection.
 *
 * With `synchronous=FULL` every COMMIT waits for the disk. Committing each request alone
 * would cap throughput at one fsync per request, so work submitted while a batch is being
 * collected (one turn of the event loop) runs in ONE transaction: each job inside its own
 * SAVEPOINT, so a job that throws rolls back only its own changes, and every job's promise
 * settles only after the shared COMMIT has returned, i.e. after its effects are durable.
 * Nothing is acknowledged that a crash could take back.
 *
 * Jobs are synchronous functions over the connection: no `await` inside a transaction, so no
 * other job can interleave with one that is half done.
 *
 * With a `sync` option the COMMIT itself need not wait for the disk (`synchronous=NORMAL`,
 * database.ts): `sync` makes what was committed durable, asynchronously, while the event loop
 * goes on serving and the next batch commits. Then nothing is answered before a sync that
 * started after the commit it depends on has resolved: no job's promise settles (failed jobs'
 * included — a refusal may rest on another job's unsynced write, e.g. a double spend), and no
 * `read` resolves while there are commits not yet covered by a finished sync. A failed sync
 * rejects everything waiting for it and every later call: what SQLite has committed in memory
 * may be lost, and a later sync that succeeds would not prove otherwise (Linux may drop the
 * dirty pages and clear the error), so nothing more is answered until the bank restarts and
 * reads the disk again.
 */
import type Database from 'better-sqlite3';

export type Job<T> = (db: Database.Database) => T;

/** Settles a group of answers once the commits they depend on are durable, or not. */
interface Waiter {
  readonly durable: () => void;
  readonly lost: (error: unknown) => void;
}

interface Pending {
  readonly job: Job<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  /** Durable commits performed. */
  readonly commits: number;
  /** Jobs that ran (committed or rolled back to their savepoint). */
  readonly jobs: number;
  /** Largest number of jobs that shared one commit. */
  readonly largestBatch: number;
  /** Asynchronous syncs started (0 when COMMIT syncs by itself). */
  readonly syncs: number;
}

export interface GroupCommitOptions {
  /** Upper bound of jobs per transaction, so one commit never holds the loop for long. */
  readonly maxBatch?: number;
  /**
   * Makes everything committed so far durable (an `fdatasync` of the WAL). Given, when the
   * connection's COMMIT does not wait for the disk itself; each call covers the commits made
   * before it was called.
   */
  readonly sync?: () => Promise<void>;
}

export class StorageLostError extends Error {
  override readonly name = 'StorageLostError';
}

export class GroupCommitter {
  readonly #db: Database.Database;
  readonly #maxBatch: number;
  readonly #sync: (() => Promise<void>) | undefined;
  /** Waiting for the sync in flight, which started after their commits. */
  #syncing: Waiter[] | undefined;
  /** Waiting for the next sync: committed after the one in flight started. */
  #unsynced: Waiter[] = [];
  #lost: StorageLostError | undefined;
  #syncs = 0;
  // Prepared once: `exec` would parse the SQL again for every job.
  readonly #sql: Record<
    'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo',
    Database.Statement
  >;
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #commits = 0;
  #jobs = 0;
  #largestBatch = 0;

  constructor(db: Database.Database, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#sync = options.sync;
    this.#sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT job'),
      release: db.prepare('RELEASE job'),
      rollbackTo: db.prepare('ROLLBACK TO job'),
    };
  }

  /** Runs `job` inside the next shared transaction; resolves once that transaction is durable. */
  run<T>(job: Job<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the database is closed'));
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after pending I/O callbacks: requests that arrived in the same
        // turn join this batch.
        setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * Reads outside any write transaction see only committed data (WAL snapshot); the answer
   * waits until what it saw is durable.
   */
  read<T>(query: Job<T>): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost);
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
  readCredential<T>(query: Job<T>): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost);
    try {
      return Promise.resolve(query(this.#db));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get stats(): GroupCommitStats {
    return {
      commits: this.#commits,
      jobs: this.#jobs,
      largestBatch: this.#largestBatch,
      syncs: this.#syncs,
    };
  }

  /** Commits what is queued and waits for it to be durable, then refuses new work. */
  async close(): Promise<void> {
    while (
      this.#queue.length > 0 ||
      this.#scheduled ||
      this.#syncing !== undefined ||
      this.#unsynced.length > 0
    ) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#closed = true;
  }

  #flush(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) {
      this.#afterFlush(0);
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    const db = this.#db;
    const sql = this.#sql;
    try {
      sql.begin.run();
      for (const pending of batch) {
        sql.savepoint.run();
        try {
          outcomes.push({ ok: true, value: pending.job(db) });
          sql.release.run();
        } catch (error) {
          sql.rollbackTo.run();
          sql.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      sql.commit.run();
      this.#commits++;
    } catch (error) {
      // The transaction itself failed (disk full, I/O error): nothing of this batch is durable.
      if (db.inTransaction) sql.rollback.run();
      for (const pending of batch) pending.reject(error);
      this.#afterFlush(batch.length);
      return;
    }
    const answer = () =>
      batch.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      });
    if (this.#sync === undefined) {
      answer();
    } else {
      this.#unsynced.push({
        durable: answer,
        lost: (error) => {
          for (const pending of batch) pending.reject(error);
        },
      });
      if (this.#syncing === undefined) this.#startSync(this.#sync);
    }
    this.#afterFlush(batch.length);
  }

  /** Syncs what has been committed; the commits made meanwhile wait for the next sync. */
  #startSync(sync: () => Promise<void>): void {
    const covered = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = covered;
    this.#syncs++;
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
        if (this.#unsynced.length > 0 && this.#lost === undefined) this.#startSync(sync);
      },
      (error: unknown) => {
        const lost = new StorageLostError(
          'the database could not make committed writes durable; restart the bank',
          { cause: error },
        );
        this.#lost = lost;
        this.#syncing = undefined;
        const unsynced = this.#unsynced;
        this.#unsynced = [];
        for (const waiter of [...covered, ...unsynced]) waiter.lost(lost);
        for (const pending of this.#queue.splice(0)) pending.reject(lost);
      },
    );
  }

  #afterFlush(size: number): void {
    this.#jobs += size;
    this.#largestBatch = Math.max(this.#largestBatch, size);
    if (this.#queue.length > 0) {
      setImmediate(() => this.#flush());
    } else {
      this.#scheduled = false;
    }
  }
}
