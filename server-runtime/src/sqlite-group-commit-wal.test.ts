import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit as GroupCommitter, StorageLostError } from './sqlite-group-commit.ts';

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
    expect(committer.stats).toEqual({ commits: 1, jobs: 100, largestBatch: 100, syncs: 0 });
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

  it('settles no promise before the commit, and fails all as storage lost when it fails', async () => {
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
    expect(outcomes.map((o) => o.status === 'rejected' && o.reason)).toEqual([
      expect.any(StorageLostError),
      expect.any(StorageLostError),
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
    // A failed COMMIT may have left its frames in the WAL (an fsync that failed), to come back
    // at the next open: whether it happened is unknown, and the committer answers nothing more.
    await expect(
      committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (2)').run()),
    ).rejects.toThrow(/could not say whether it did/);
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

/** A sync the test finishes by hand, recording how many commits it was started after. */
function manualSync(db: Database.Database) {
  const calls: { rowsAtStart: number; finish: (error?: Error) => void }[] = [];
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      const rowsAtStart = (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
      calls.push({ rowsAtStart, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, sync };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await turn();
  return settled;
}

describe('GroupCommitter with an asynchronous sync (synchronous=NORMAL)', () => {
  let db: Database.Database;
  afterEach(() => db?.close());
  const insert = (committer: GroupCommitter<Database.Database>, v: number) =>
    committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);

  it('acknowledges no job before the sync started after its commit resolves', async () => {
    db = database();
    db.pragma('synchronous = NORMAL');
    const { calls, sync } = manualSync(db);
    const committer = new GroupCommitter(db, { sync });
    const first = insert(committer, 1);
    const refused = committer.run(() => {
      throw new Error('refused');
    });
    refused.catch(() => {});
    expect(await settledYet(first)).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.rowsAtStart).toBe(1); // started after the commit
    // A commit made while that sync is in flight waits for a sync of its own.
    const second = insert(committer, 2);
    expect(await settledYet(second)).toBe(false);
    expect(calls).toHaveLength(1);
    // A read that saw the unsynced row waits too; a credential lookup does not. The second
    // insert is queued behind the sync, not committed, so the read sees one row.
    const read = committer.read((d) => d.prepare('SELECT COUNT(*) AS n FROM t').get());
    expect(await settledYet(committer.readCredential(() => 'session'))).toBe(true);
    expect(await settledYet(read)).toBe(false);
    calls[0]!.finish();
    await expect(first).resolves.toBe(1);
    await expect(refused).rejects.toThrow('refused'); // a refusal waits for the sync too
    await expect(read).resolves.toEqual({ n: 1 });
    expect(await settledYet(second)).toBe(false);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.rowsAtStart).toBe(2);
    const later = committer.read((d) => d.prepare('SELECT COUNT(*) AS n FROM t').get());
    expect(await settledYet(later)).toBe(false);
    calls[1]!.finish();
    await expect(second).resolves.toBe(1);
    await expect(later).resolves.toEqual({ n: 2 });
    expect(committer.stats).toMatchObject({ commits: 2, syncs: 2 });
    // Nothing unsynced: a read answers at once.
    expect(await settledYet(committer.read(() => 1))).toBe(true);
  });

  it('fails every waiting answer when the sync fails, and refuses work after', async () => {
    db = database();
    db.pragma('synchronous = NORMAL');
    const { calls, sync } = manualSync(db);
    const committer = new GroupCommitter(db, { sync });
    const first = insert(committer, 1);
    await turn();
    const second = insert(committer, 2);
    await turn();
    const read = committer.read(() => 'seen');
    calls[0]!.finish(new Error('EIO: i/o error, fdatasync'));
    for (const answer of [first, second, read]) {
      await expect(answer).rejects.toMatchObject({
        name: 'StorageLostError',
        cause: { message: 'EIO: i/o error, fdatasync' },
      });
    }
    await expect(insert(committer, 3)).rejects.toThrow(StorageLostError);
    await expect(committer.read(() => 1)).rejects.toThrow(StorageLostError);
    expect(calls).toHaveLength(1);
  });
});
