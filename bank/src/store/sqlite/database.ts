/**
 * Opens the bank's SQLite database at its durable settings and brings the schema up to date.
 */
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  // WAL: readers never block the writer and a commit is one append + fsync of the log.
  db.pragma('journal_mode = WAL');
  // FULL: the WAL is fsynced at every commit, so an acknowledged transaction survives power
  // loss, not only a process crash. Group commit (group-commit.ts) pays for it.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // A larger page cache and memory-mapped reads keep hot index pages (spent coins,
  // idempotency keys) out of the read() path; checkpoints every ~16 MiB of WAL instead of
  // ~4 MiB make them rarer, at the price of a longer replay after a crash.
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  db.pragma('wal_autocheckpoint = 4000');
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
