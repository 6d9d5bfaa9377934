/**
 * Opens the bank's SQLite database at its durable settings and brings the schema up to date.
 */
import { createRequire } from 'node:module';
import { backgroundCheckpointer } from '@farthing/server-runtime/sqlite-checkpointer';
import { walSync } from '@farthing/server-runtime/sqlite-wal-sync';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

/**
 * How a commit reaches the disk. Both are durable: an acknowledged transaction survives power
 * loss, not only a process crash.
 *
 * - `full`: `synchronous=FULL`; SQLite fsyncs the WAL inside every COMMIT, blocking the event
 *   loop for the length of the disk flush.
 * - `async-fdatasync`: `synchronous=NORMAL` plus our own `fdatasync` of the WAL on libuv's
 *   thread pool after every group commit, and no answer before it
 *   (`@farthing/server-runtime/sqlite-group-commit`). The event loop keeps serving while the
 *   disk flushes.
 */
const require = createRequire(import.meta.url);

export type CommitSync = 'full' | 'async-fdatasync';

/** Whether `error` is better-sqlite3's report of a broken UNIQUE or CHECK constraint. */
export function isConstraintError(error: unknown, kind: 'UNIQUE' | 'CHECK'): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === `SQLITE_CONSTRAINT_${kind}`
  );
}

export interface OpenedDatabase {
  readonly db: Database.Database;
  /** Makes every transaction committed so far durable; undefined when COMMIT does it. */
  readonly sync: (() => Promise<void>) | undefined;
  /** To be called after each COMMIT: a checkpoint follows on its own thread. */
  readonly committed: (() => void) | undefined;
  /** Closes the connection (and what `sync` and the checkpoints hold). */
  readonly close: () => Promise<void>;
}

export function openDatabase(
  path: string,
  options: { readonly commitSync?: CommitSync } = {},
): OpenedDatabase {
  const db = new Database(path);
  // WAL: readers never block the writer and a commit is one append + fsync of the log.
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // A larger page cache and memory-mapped reads keep hot index pages (spent coins,
  // idempotency keys) out of the read() path. Checkpoints run on a thread of their own
  // (below); COMMIT checkpoints only past ~16 MiB of WAL.
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  // FULL while migrating: schema changes are rare and need no speed.
  db.pragma('synchronous = FULL');
  migrate(db);
  const inWal = db.pragma('journal_mode', { simple: true }) === 'wal';
  // The WAL's pages are copied into the file by another connection on its own thread, so
  // COMMIT on the event loop only appends (`@farthing/server-runtime/sqlite-checkpointer`).
  const checkpointer = inWal
    ? backgroundCheckpointer(db, { driver: require.resolve('better-sqlite3'), fallbackPages: 4000 })
    : undefined;
  // `full`: the WAL is fsynced at every commit, so an acknowledged transaction survives power
  // loss, not only a process crash; group commit (`@farthing/server-runtime/sqlite-group-commit`)
  // pays for it. Otherwise `synchronous=NORMAL` + an asynchronous `fdatasync` of the WAL:
  // exactly as durable as FULL (the argument is in `@farthing/server-runtime/sqlite-wal-sync`).
  // No answer goes out before the sync that covers it: the group commit starts each sync after
  // the commits it covers and settles their jobs (and any read that saw them) only when it
  // resolves; a failed sync fails them all, and the store refuses work until a restart. The
  // WAL exists once the connection has read the database in WAL mode (migrate did).
  const wal =
    inWal && (options.commitSync ?? 'async-fdatasync') !== 'full' ? walSync(db) : undefined;
  return {
    db,
    sync: wal?.sync,
    committed: checkpointer && (() => checkpointer.committed()),
    close: async () => {
      await checkpointer?.close();
      wal?.close();
      db.close();
    },
  };
}
