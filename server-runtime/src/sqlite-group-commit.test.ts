import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit, StorageLostError, sharedTransaction } from './sqlite-group-commit.ts';

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  open.push(db);
  return db;
}

/** A sync the test finishes by hand. */
function manualSync() {
  const calls: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { sync, calls };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const insert = (k: number) => (db: Database.Database) =>
  db.prepare('INSERT INTO t VALUES (?, ?)').run(k, `v${k}`).changes;

describe('GroupCommit with an asynchronous sync', () => {
  it('answers a write only once a sync started after its commit resolved', async () => {
    const db = database();
    const { sync, calls } = manualSync();
    const commits = new GroupCommit(db, { sync });
    let answered = false;
    const written = commits.run(insert(1)).then((value) => {
      answered = true;
      return value;
    });
    await turn();
    await turn();
    expect(calls).toHaveLength(1);
    // Committed (visible to the connection), not yet answered.
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    expect(answered).toBe(false);
    calls[0]!.resolve();
    expect(await written).toBe(1);
  });

  it('holds a refusal until the sync too, since it may rest on an unsynced write', async () => {
    const db = database();
    const { sync, calls } = manualSync();
    const commits = new GroupCommit(db, { sync });
    const first = commits.run(insert(1));
    const second = commits.run(insert(1));
    let refused = false;
    second.catch(() => {
      refused = true;
    });
    await turn();
    await turn();
    expect(refused).toBe(false);
    calls[0]!.resolve();
    await expect(first).resolves.toBe(1);
    await expect(second).rejects.toThrow(/UNIQUE/);
  });

  it('commits the writes that arrive during a sync as one group after it', async () => {
    const db = database();
    const { sync, calls } = manualSync();
    const commits = new GroupCommit(db, { sync });
    const first = commits.run(insert(1));
    await turn();
    const second = commits.run(insert(2));
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    const third = commits.run(insert(3));
    await turn();
    await turn();
    expect(calls).toHaveLength(1);
    // Queued behind the sync in flight, not committed yet.
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    calls[0]!.resolve();
    await first;
    await turn();
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 3 });
    expect(secondDone).toBe(false);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await expect(Promise.all([second, third])).resolves.toEqual([1, 1]);
    expect(commits.stats).toMatchObject({ commits: 2, jobs: 3, largestBatch: 2, syncs: 2 });
  });

  it('answers a read of an unsynced commit only after that sync', async () => {
    const db = database();
    const { sync, calls } = manualSync();
    const commits = new GroupCommit(db, { sync });
    void commits.run(insert(1));
    await turn();
    await turn();
    let read: unknown;
    const reading = commits
      .read((d) => d.prepare('SELECT v FROM t WHERE k = 1').get())
      .then((row) => {
        read = row;
      });
    await turn();
    expect(read).toBeUndefined();
    calls[0]!.resolve();
    await reading;
    expect(read).toEqual({ v: 'v1' });
    // Nothing unsynced: a read answers at once.
    await expect(
      commits.read((d) => d.prepare('SELECT count(*) AS n FROM t').get()),
    ).resolves.toEqual({ n: 1 });
  });

  it('fails everything waiting, and every later call, when a sync fails', async () => {
    const db = database();
    const { sync, calls } = manualSync();
    const commits = new GroupCommit(db, { sync });
    const written = commits.run(insert(1));
    await turn();
    await turn();
    const reading = commits.read((d) => d.prepare('SELECT * FROM t').all());
    calls[0]!.reject(new Error('EIO'));
    await expect(written).rejects.toBeInstanceOf(StorageLostError);
    await expect(reading).rejects.toBeInstanceOf(StorageLostError);
    await expect(commits.run(insert(2))).rejects.toBeInstanceOf(StorageLostError);
    await expect(commits.read((d) => d.prepare('SELECT 1').get())).rejects.toThrow(
      /could not make writes durable/,
    );
  });

  it('answers at the COMMIT when there is no sync (synchronous=FULL)', async () => {
    const commits = new GroupCommit(database());
    await expect(Promise.all([commits.run(insert(1)), commits.run(insert(2))])).resolves.toEqual([
      1, 1,
    ]);
    expect(commits.stats).toMatchObject({ commits: 1, jobs: 2, syncs: 0 });
  });
});

describe('a COMMIT that fails', () => {
  /** A deferred foreign key: SQLite finds the violation only at COMMIT, which then fails. */
  function deferredDatabase(): Database.Database {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    db.exec(`
      CREATE TABLE parent (k INTEGER PRIMARY KEY);
      CREATE TABLE child (
        k INTEGER PRIMARY KEY,
        parent INTEGER REFERENCES parent (k) DEFERRABLE INITIALLY DEFERRED
      );
    `);
    open.push(db);
    return db;
  }
  const orphan = (k: number) => (db: Database.Database) =>
    db.prepare('INSERT INTO child VALUES (?, 999)').run(k).changes;
  const parent = (k: number) => (db: Database.Database) =>
    db.prepare('INSERT INTO parent VALUES (?)').run(k).changes;

  it('leaves the outcome unknown rather than calling it undone', () => {
    const db = deferredDatabase();
    const result = sharedTransaction(db)([parent(1), orphan(1)]);
    expect(result).toMatchObject({
      committed: false,
      lost: expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }),
    });
    expect(db.inTransaction).toBe(false);
    // A job that throws before the COMMIT is that job's own outcome, and the rest commit.
    const failing = () => {
      throw new Error('refused');
    };
    expect(sharedTransaction(db)([parent(2), failing])).toMatchObject({
      committed: true,
      outcomes: [{ ok: true }, { ok: false }],
    });
  });
});
