import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'farthing-db-')), 'bank.sqlite');

describe('openDatabase', () => {
  it('commits with synchronous=FULL and no sync of its own when asked for full', async () => {
    const opened = openDatabase(fresh(), { commitSync: 'full' });
    expect(opened.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(opened.sync).toBeUndefined();
    await opened.close();
  });

  it('syncs the same WAL file through checkpoints that restart and truncate it', async () => {
    const path = fresh();
    const opened = openDatabase(path);
    const { db, sync } = opened;
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('journal_size_limit', { simple: true })).toBe(-1);
    const inode = statSync(`${path}-wal`).ino;
    db.exec('CREATE TABLE filler (x BLOB)');
    const insert = db.prepare('INSERT INTO filler VALUES (randomblob(3000))');
    for (const mode of ['PASSIVE', 'RESTART', 'TRUNCATE', 'PASSIVE']) {
      for (let i = 0; i < 200; i++) insert.run();
      await sync!();
      db.pragma(`wal_checkpoint(${mode})`);
      insert.run(); // the writer reuses the log from its start after RESTART / TRUNCATE
      await sync!();
      expect(statSync(`${path}-wal`).ino).toBe(inode);
    }
    await opened.close();
    await expect(sync!()).rejects.toThrow('closed');
  });
});
