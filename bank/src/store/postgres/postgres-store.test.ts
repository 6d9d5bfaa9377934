/**
 * PostgreSQL's own behaviour: retrying the transactions PostgreSQL aborts for a concurrent
 * one (deadlock, serialization failure) within a bound, a deposit's common case in one
 * statement, and being chosen by a `postgres://` location. What both backends share is
 * in ../store-contract.test.ts.
 */
import { FarthingError } from '@farthing/protocol/errors';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBankStore } from '../open.ts';
import { deposit, funded, spent } from '../store-backends.fixture.ts';
import { PostgresDatabase, type Sql } from './database.ts';
import { PostgresBankStore } from './postgres-store.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);
afterAll(() => cluster?.stop(), 60_000);

/** Two transactions that each wait, at `meet`, until the other has done its first step. */
function rendezvous() {
  let arrivals = 0;
  let release: () => void = () => {};
  const both = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrivals++;
    if (arrivals === 2) release();
    await both;
  };
}

async function counters(url: string) {
  const db = new PostgresDatabase(url, { poolSize: 4 });
  await db.query('CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)');
  await db.query('INSERT INTO counters VALUES (1, 0), (2, 0)');
  return db;
}

describe('PostgreSQL transactions', () => {
  it('retries the victim of a deadlock until both transactions commit', async () => {
    const db = await counters(await cluster.createDatabase());
    try {
      const meet = rendezvous();
      const crossing = (first: number, second: number) => async (sql: Sql) => {
        await sql.query('UPDATE counters SET n = n + 1 WHERE id = $1', [first]);
        await meet(); // each holds its first row; the second UPDATEs then wait on each other
        await sql.query('UPDATE counters SET n = n + 1 WHERE id = $1', [second]);
      };
      await Promise.all([
        db.transaction({ isolation: 'read committed' }, crossing(1, 2)),
        db.transaction({ isolation: 'read committed' }, crossing(2, 1)),
      ]);
      expect(await db.query('SELECT id, n FROM counters ORDER BY id')).toEqual([
        { id: 1, n: 2 },
        { id: 2, n: 2 },
      ]);
      expect(db.stats.retries).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('retries a serialization failure and gives up after its bound with storage_contended', async () => {
    const url = await cluster.createDatabase();
    const db = await counters(url);
    const bounded = new PostgresDatabase(url, {
      poolSize: 2,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    try {
      // Read a row, let another transaction change it, then write from the stale read: at
      // SERIALIZABLE the first writer's commit makes this one fail with 40001, every time.
      let attempts = 0;
      const stale = bounded.transaction({ isolation: 'serializable' }, async (sql) => {
        attempts++;
        await sql.query('SELECT n FROM counters WHERE id = 1');
        await db.query('UPDATE counters SET n = n + 1 WHERE id = 1');
        await sql.query('UPDATE counters SET n = n + 10 WHERE id = 1');
      });
      await expect(stale).rejects.toSatisfy(
        (e) => e instanceof FarthingError && e.code === 'storage_contended',
      );
      expect(attempts).toBe(3);
      expect(bounded.stats.retries).toBe(2);
      expect(await db.query('SELECT n FROM counters WHERE id = 1')).toEqual([{ n: 3 }]);

      // The same conflict once only: the retry reads the new value and commits.
      let once = 0;
      await bounded.transaction({ isolation: 'serializable' }, async (sql) => {
        await sql.query('SELECT n FROM counters WHERE id = 2');
        if (once++ === 0) await db.query('UPDATE counters SET n = n + 1 WHERE id = 2');
        await sql.query('UPDATE counters SET n = n + 10 WHERE id = 2');
      });
      expect(await db.query('SELECT n FROM counters WHERE id = 2')).toEqual([{ n: 11 }]);
    } finally {
      await bounded.close();
      await db.close();
    }
  });
});

describe('the test server', () => {
  it('fails saying how to install PostgreSQL when its programs are missing', async () => {
    await expect(startPostgresCluster('/nonexistent/postgresql/bin')).rejects.toThrow(
      'apt-get install -y postgresql',
    );
  });
});

describe('PostgresBankStore', () => {
  it('deposits fresh coins in one statement per batch and leaves replays and double spends to the transaction', async () => {
    const store = await PostgresBankStore.open({
      url: await cluster.createDatabase(),
      currency: 'EUR',
    });
    try {
      const { shop } = await funded(store, 1_000, 3);
      const claim = { scope: 'deposit', key: 'k1', requestHash: new Uint8Array(32).fill(1) };
      const render = (d: { id: string; total: number }) => ({ id: d.id, total: d.total });
      const params = { depositId: 'd1', merchantId: shop.id, currency: 'EUR', now: 1 };
      const commits = () => store.stats.commits;
      const before = commits();
      const first = await store.deposit({ ...params, coins: [spent(1, 1)] }, render, claim);
      expect(first).toEqual({ id: 'd1', total: 100 });
      expect(commits()).toBe(before + 1);
      // The same key again: the batch leaves it (a commit that changed nothing), the general
      // transaction answers with the stored result.
      expect(await store.deposit({ ...params, coins: [spent(1, 1)] }, render, claim)).toEqual(
        first,
      );
      expect(commits()).toBe(before + 3);
      await expect(deposit(store, shop.id, 'd2', [spent(1, 2)])).rejects.toSatisfy(
        (e) => e instanceof FarthingError && e.code === 'coin_already_spent',
      );
      expect(await deposit(store, shop.id, 'd3', [spent(3, 3), spent(5, 3)])).toMatchObject({
        total: 200,
      });
      expect((await store.getAccount(shop.id))?.balance).toBe(300);
      expect(await store.checkInvariants()).toMatchObject({ ok: true, totals: { spent: 300 } });
    } finally {
      await store.close();
    }
  });

  it('commits the deposits that arrive together in one batch, each alone if it must be', async () => {
    const store = await PostgresBankStore.open({
      url: await cluster.createDatabase(),
      currency: 'EUR',
    });
    try {
      const { shop } = await funded(store, 10_000, 40);
      const before = store.stats.commits;
      // 40 fresh coins, and the first coin twice more (one of the three spends wins).
      const results = await Promise.all(
        [...Array.from({ length: 40 }, (_, i) => i + 1), 1, 1].map((fill, i) =>
          deposit(store, shop.id, `d${i}`, [spent(fill, i)]).then(
            () => 'ok',
            (e: FarthingError) => e.code,
          ),
        ),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(40);
      expect(results.filter((r) => r === 'coin_already_spent')).toHaveLength(2);
      expect(store.stats.largestBatch).toBeGreaterThan(1);
      expect(store.stats.commits - before).toBeLessThan(20);
      expect((await store.getAccount(shop.id))?.balance).toBe(4_000);
      expect((await store.checkInvariants()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('is what a postgres:// FARTHING_BANK_DB opens', async () => {
    const store = await openBankStore({
      databasePath: await cluster.createDatabase(),
      currency: 'EUR',
      commitSync: 'full',
      databasePoolSize: 2,
    });
    try {
      expect(store).toBeInstanceOf(PostgresBankStore);
      expect(await store.getAccountByName('system:coins')).toMatchObject({ kind: 'system' });
    } finally {
      await store.close();
    }
  });
});
