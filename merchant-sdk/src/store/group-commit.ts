/**
 * Group commit over one synchronous better-sqlite3 connection (DESIGN.md "Bank storage":
 * durability must not cost throughput; the same holds for the merchant's PayWord hot path).
 *
 * With `synchronous=FULL` each COMMIT waits for the disk. Writes submitted during one turn of
 * the event loop are run in ONE transaction, each inside its own SAVEPOINT so a write that
 * throws undoes only itself, and every promise settles after the shared COMMIT returned: no
 * caller is told "stored" before it is on disk. Jobs are synchronous, so nothing interleaves
 * with a job that is half done.
 */
import type Database from 'better-sqlite3';

/** A synchronous write over the connection, run inside the shared transaction. */
export type WriteJob<T> = (db: Database.Database) => T;

interface Pending {
  readonly job: WriteJob<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Runs writes in shared durable commits (module comment). */
export class GroupCommit {
  readonly #db: Database.Database;
  readonly #grouped: boolean;
  readonly #maxBatch: number;
  readonly #sql: Record<'begin' | 'commit' | 'savepoint' | 'release' | 'undo', Database.Statement>;
  #queue: Pending[] = [];
  #scheduled = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: (() => void) | undefined;
  /** Durable commits so far, and the largest number of writes one of them carried. */
  readonly stats = { commits: 0, writes: 0, largestGroup: 0 };

  /** `grouped: false` commits every write alone (for measuring what grouping buys). */
  constructor(db: Database.Database, options: { grouped?: boolean; maxBatch?: number } = {}) {
    this.#db = db;
    this.#grouped = options.grouped ?? true;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      undo: db.prepare('ROLLBACK TO write'),
    };
  }

  /** Runs `job` in a transaction; resolves once that transaction is durable. */
  run<T>(job: WriteJob<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#idle = new Promise((done) => {
          this.#markIdle = done;
        });
        setImmediate(() => this.#drain());
      }
    });
  }

  /** Resolves when every write submitted so far has been committed or refused. */
  whenIdle(): Promise<void> {
    return this.#idle;
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      const size = this.#grouped ? this.#maxBatch : 1;
      this.#commit(this.#queue.splice(0, size));
    }
    this.#scheduled = false;
    this.#markIdle?.();
  }

  #commit(group: readonly Pending[]): void {
    const outcomes: Outcome[] = [];
    try {
      this.#sql.begin.run();
      for (const pending of group) {
        this.#sql.savepoint.run();
        try {
          const value = pending.job(this.#db);
          this.#sql.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.#sql.undo.run();
          this.#sql.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.#sql.commit.run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the group happened.
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      for (const pending of group) pending.reject(error);
      return;
    }
    this.stats.commits++;
    this.stats.writes += group.length;
    this.stats.largestGroup = Math.max(this.stats.largestGroup, group.length);
    group.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}
