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
 */
import type Database from 'better-sqlite3';

export type Job<T> = (db: Database.Database) => T;

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
}

export interface GroupCommitOptions {
  /** Upper bound of jobs per transaction, so one commit never holds the loop for long. */
  readonly maxBatch?: number;
}

export class GroupCommitter {
  readonly #db: Database.Database;
  readonly #maxBatch: number;
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

  /** Reads outside any write transaction see only committed data (WAL snapshot). */
  read<T>(query: Job<T>): T {
    return query(this.#db);
  }

  get stats(): GroupCommitStats {
    return { commits: this.#commits, jobs: this.#jobs, largestBatch: this.#largestBatch };
  }

  /** Commits what is queued, then refuses new work. */
  async close(): Promise<void> {
    while (this.#queue.length > 0 || this.#scheduled) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#closed = true;
  }

  #flush(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
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
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
    this.#afterFlush(batch.length);
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
