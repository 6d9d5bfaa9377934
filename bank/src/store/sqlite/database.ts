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
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
