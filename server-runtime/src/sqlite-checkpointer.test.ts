import { mkdtempSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backgroundCheckpointer, type Checkpointer } from './sqlite-checkpointer.ts';
import { GroupCommit } from './sqlite-group-commit.ts';

/** How `vi.waitUntil` polls here. */
const polling = { timeout: 5_000, interval: 5 };

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

function database() {
  const path = join(mkdtempSync(join(tmpdir(), 'farthing-ckpt-')), 'test.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  return { db, path };
}

/** The WAL file's size in bytes. */
const walSize = (db: Database.Database) => statSync(`${db.name}-wal`).size;

const insertMany = (db: Database.Database, rows: number) => {
  const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(3000))');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run();
  })();
};

describe('backgroundCheckpointer', () => {
  let db: Database.Database | undefined;
  let checkpointer: Checkpointer | undefined;
  afterEach(async () => {
    await checkpointer?.close();
    db?.close();
    checkpointer = undefined;
    db = undefined;
  });

  it('copies the WAL into the database file on its own thread after commits', async () => {
    ({ db } = database());
    checkpointer = backgroundCheckpointer(db, { driver });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    insertMany(db, 200);
    checkpointer.committed();
    const c = checkpointer;
    await vi.waitUntil(() => c.stats.passes >= 1, polling);
    expect(c.stats.walFrames).toBeGreaterThan(100);
    expect(c.stats.checkpointedFrames).toBe(c.stats.walFrames);
    // Everything is in the file: the next write starts the WAL over from its beginning.
    const size = walSize(db);
    db.prepare("INSERT INTO t (v) VALUES (x'00')").run();
    const [after] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    expect(after!.log).toBeLessThan(5);
    expect(walSize(db)).toBe(size); // reused, not grown
  });

  it('keeps SQLite from checkpointing inside COMMIT below the fallback size', () => {
    ({ db } = database());
    checkpointer = backgroundCheckpointer(db, { driver, fallbackPages: 5000 });
    // ~1,500 pages in many commits: SQLite's own default (1,000) would have checkpointed.
    for (let i = 0; i < 30; i++) insertMany(db, 40);
    const [state] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    expect(state!.log).toBeGreaterThan(1000);
  });

  it('runs no pass while nothing commits', async () => {
    ({ db } = database());
    checkpointer = backgroundCheckpointer(db, { driver, intervalMs: 1 });
    insertMany(db, 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checkpointer.stats.passes).toBe(0);
  });

  it('passes again while commits keep coming, through a group commit', async () => {
    ({ db } = database());
    const c = backgroundCheckpointer(db, { driver, intervalMs: 1 });
    checkpointer = c;
    const commits = new GroupCommit(db, { onCommit: () => c.committed() });
    for (let round = 0; round < 5; round++) {
      await commits.run((d) => d.prepare('INSERT INTO t (v) VALUES (randomblob(3000))').run());
      const passes = c.stats.passes;
      await commits.run((d) => d.prepare('INSERT INTO t (v) VALUES (randomblob(3000))').run());
      await vi.waitUntil(() => c.stats.passes > passes, polling);
    }
    await commits.close();
    await vi.waitUntil(() => c.stats.checkpointedFrames === c.stats.walFrames, polling);
  });

  it('gives checkpoints back to COMMIT when its thread fails', async () => {
    ({ db } = database());
    const errors: unknown[] = [];
    const c = backgroundCheckpointer(db, {
      driver: join(tmpdir(), 'no-such-sqlite-driver.js'),
      onError: (error) => errors.push(error),
    });
    checkpointer = c;
    c.committed();
    await vi.waitUntil(() => c.failed, polling);
    expect(errors).toHaveLength(1);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    c.committed(); // ignored
  });

  it('closes with a pass asked for or in flight, and the data is all there after', async () => {
    const opened = database();
    db = opened.db;
    const c = backgroundCheckpointer(db, { driver, intervalMs: 0 });
    insertMany(db, 300);
    c.committed();
    await new Promise((resolve) => setTimeout(resolve, 1)); // the pass is asked for
    await Promise.all([c.close(), c.close()]);
    c.committed(); // after close: nothing
    expect(c.failed).toBe(false);
    expect(c.stats.passes).toBeLessThanOrEqual(1);
    db.close();
    db = new Database(opened.path, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 300 });
  });
});
