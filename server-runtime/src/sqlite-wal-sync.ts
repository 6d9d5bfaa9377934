/**
 * `synchronous=NORMAL` plus our own `fdatasync` of the WAL, off the event loop: as durable as
 * `synchronous=FULL`, without holding the event loop for the disk. The bank's ledger
 * (bank/src/store/sqlite/database.ts) and the merchant SDK's store both commit this way.
 *
 * - In WAL mode FULL differs from NORMAL only in one fsync of the WAL at the end of each
 *   COMMIT (https://www.sqlite.org/pragma.html#pragma_synchronous). NORMAL still writes the
 *   frames at COMMIT (to the page cache) and still syncs the WAL before a checkpoint copies
 *   frames into the database file, so the main file never holds a page whose frame could be
 *   lost. What is left is that one fsync, done here as `fdatasync` (what SQLite itself uses on
 *   Linux) of the same file, on libuv's thread pool.
 * - The file stays the same for the life of the connection: SQLite deletes the WAL only when
 *   the last connection closes (this one holds its lock until `close`) or the journal mode
 *   changes; after a checkpoint it is reused from its start. Each sync checks that the path
 *   still names the file the descriptor holds, and fails otherwise.
 * - The caller answers nothing before the sync that covers it (their group commits).
 */
import { closeSync, fdatasync, fstatSync, openSync, realpathSync, statSync } from 'node:fs';

/** What this needs of a better-sqlite3 connection (no dependency on the package itself). */
export interface SqliteConnection {
  /** The database file's path. */
  readonly name: string;
  pragma(source: string): unknown;
}

export interface WalSync {
  /** Makes every transaction committed so far durable. */
  readonly sync: () => Promise<void>;
  /** Closes the descriptor (after the connection is closed or done with). */
  readonly close: () => void;
}

/**
 * Switches `db` (in WAL mode, with its WAL already created) to `synchronous=NORMAL` and
 * returns the sync that makes its commits durable.
 */
export function walSync(db: SqliteConnection): WalSync {
  // SQLite keeps the WAL beside the database file a symlink leads to, and an absolute path
  // stays right after a change of working directory.
  const walPath = `${realpathSync(db.name)}-wal`;
  const fd = openSync(walPath, 'r');
  const identity = fstatSync(fd);
  db.pragma('synchronous = NORMAL');
  let closed = false;
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      if (closed) {
        reject(new Error('the database is closed'));
        return;
      }
      fdatasync(fd, (error) => {
        if (error) {
          reject(error);
          return;
        }
        let current: { ino: number; dev: number } | undefined;
        try {
          current = statSync(walPath);
        } catch {
          current = undefined;
        }
        if (current?.ino !== identity.ino || current.dev !== identity.dev) {
          reject(new Error(`the WAL ${walPath} is no longer the file this connection synced`));
        } else {
          resolve();
        }
      });
    });
  return {
    sync,
    close: () => {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
