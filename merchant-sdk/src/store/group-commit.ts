/**
 * Group commit over one synchronous better-sqlite3 connection (DESIGN.md "Bank storage":
 * durability must not cost throughput; the same holds for the merchant's PayWord hot path).
 *
 * With `synchronous=FULL` each COMMIT waits for the disk. Writes that queue up while the
 * connection is busy are run in ONE transaction, each inside its own SAVEPOINT so a write that
 * throws undoes only itself, and every write is answered after the shared COMMIT returned: no
 * caller is told "stored" before it is on disk. Jobs are synchronous, so nothing interleaves
 * with a job that is half done.
 *
 * `commitGroup` is that transaction; `GroupCommit` queues the writes of one event-loop turn for
 * it. The store's writer thread (sqlite-writer.ts) calls `commitGroup` on its own queue.
 */
import type Database from 'better-sqlite3';

/** A synchronous write over the connection, run inside the shared transaction. */
export type WriteJob<T> = (db: Database.Database) => T;

/** What one write of a group came to. */
export type WriteOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Durable commits so far, and the largest number of writes one of them carried. */
export interface CommitStats {
  commits: number;
  writes: number;
  largestGroup: number;
}

type GroupStatements = Record<
  'begin' | 'commit' | 'savepoint' | 'release' | 'undo',
  Database.Statement
>;

const statementsOf = new WeakMap<Database.Database, GroupStatements>();

function groupStatements(db: Database.Database): GroupStatements {
  let sql = statementsOf.get(db);
  if (sql === undefined) {
    sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      undo: db.prepare('ROLLBACK TO write'),
    };
    statementsOf.set(db, sql);
  }
  return sql;
}

/**
 * Runs `jobs` in one durable transaction, each in its own savepoint; returns each job's
 * outcome once the COMMIT returned. Throws when the transaction itself failed (disk full,
 * I/O error): then nothing of the group happened.
 */
export function commitGroup(
  db: Database.Database,
  jobs: readonly WriteJob<unknown>[],
  stats?: CommitStats,
): WriteOutcome[] {
  const sql = groupStatements(db);
  const outcomes: WriteOutcome[] = [];
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
    sql.commit.run();
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  if (stats !== undefined) {
    stats.commits++;
    stats.writes += jobs.length;
    stats.largestGroup = Math.max(stats.largestGroup, jobs.length);
  }
  return outcomes;
}

interface Pending {
  readonly job: WriteJob<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Runs the writes of one event-loop turn in shared durable commits (module comment). */
export class GroupCommit {
  readonly #db: Database.Database;
  readonly #grouped: boolean;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #scheduled = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: (() => void) | undefined;
  readonly stats: CommitStats = { commits: 0, writes: 0, largestGroup: 0 };

  /** `grouped: false` commits every write alone (for measuring what grouping buys). */
  constructor(db: Database.Database, options: { grouped?: boolean; maxBatch?: number } = {}) {
    this.#db = db;
    this.#grouped = options.grouped ?? true;
    this.#maxBatch = options.maxBatch ?? 256;
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
      const group = this.#queue.splice(0, this.#grouped ? this.#maxBatch : 1);
      let outcomes: WriteOutcome[];
      try {
        outcomes = commitGroup(
          this.#db,
          group.map((pending) => pending.job),
          this.stats,
        );
      } catch (error) {
        for (const pending of group) pending.reject(error);
        continue;
      }
      group.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      });
    }
    this.#scheduled = false;
    this.#markIdle?.();
  }
}
