import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.ts';

function database() {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'farthing-gc-')), 'test.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))');
  return db;
}

describe('GroupCommitter', () => {
  let db: Database.Database;
  afterEach(() => db?.close());

  it('runs concurrent jobs in one durable commit', async () => {
    db = database();
    const committer = new GroupCommitter(db);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run(i).changes),
      ),
    );
    expect(results).toEqual(Array(100).fill(1));
    expect(committer.stats).toEqual({ commits: 1, jobs: 100, largestBatch: 100 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 100 });
  });

  it('rolls back only the job that failed', async () => {
    db = database();
    const committer = new GroupCommitter(db);
    const insert = (v: number) =>
      committer.run((d) => {
        d.prepare('INSERT INTO t (v) VALUES (?)').run(v);
        d.prepare('INSERT INTO t (v) VALUES (?)').run(v - 10); // fails the CHECK when v < 10
        return v;
      });
    const outcomes = await Promise.allSettled([insert(20), insert(5), insert(30)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([
      { v: 20 },
      { v: 10 },
      { v: 30 },
      { v: 20 },
    ]);
    expect(committer.stats.commits).toBe(1);
  });

  it('lets later jobs of a batch see earlier ones', async () => {
    db = database();
    const committer = new GroupCommitter(db);
    const count = () =>
      committer.run((d) => (d.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n);
    const [, seen] = await Promise.all([
      committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (1)').run()),
      count(),
    ]);
    expect(seen).toBe(1);
  });

  it('settles no promise before the commit and rejects all when the commit fails', async () => {
    db = database();
    const committer = new GroupCommitter(db);
    // A deferred foreign-key violation fails at COMMIT, after every job succeeded.
    db.pragma('foreign_keys = ON');
    db.exec(
      'CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const outcomes = await Promise.allSettled([
      committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (1)').run()),
      committer.run((d) => d.prepare('INSERT INTO child (parent) VALUES (999)').run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
    // The committer keeps working afterwards.
    await committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (2)').run());
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
  });

  it('commits queued work on close and refuses new work after', async () => {
    db = database();
    const committer = new GroupCommitter(db);
    const pending = committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (1)').run());
    await committer.close();
    await pending;
    await expect(committer.run(() => 1)).rejects.toThrow('closed');
  });

  it('splits very large bursts into several commits', async () => {
    db = database();
    const committer = new GroupCommitter(db, { maxBatch: 10 });
    await Promise.all(
      Array.from({ length: 35 }, (_, i) =>
        committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run(i)),
      ),
    );
    expect(committer.stats.commits).toBe(4);
    expect(committer.stats.largestBatch).toBe(10);
  });
});
