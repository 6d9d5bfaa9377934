/**
 * The two storage backends, for store tests that run the same contract on both
 * (store-contract.test.ts): each makes fresh empty databases, opens a `BankStore` on one, and
 * runs raw SQL behind the store's back (to show the books check catches it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type PostgresCluster, startPostgresCluster } from './postgres/cluster.fixture.ts';
import { PostgresBankStore } from './postgres/postgres-store.ts';
import { SqliteBankStore } from './sqlite/sqlite-store.ts';
import type { BankStore } from './store.ts';

export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Starts what the backend needs (a PostgreSQL server); once per test file. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty database: a file path or a connection URL. */
  newDatabase(): Promise<string>;
  open(location: string): Promise<BankStore>;
  /** Runs `sql` on the database directly, not through the store. */
  exec(location: string, sql: string): Promise<void>;
}

export function sqliteBackend(): StoreBackend {
  let dir: string | undefined;
  let count = 0;
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'farthing-store-'));
    },
    async teardown() {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
    async newDatabase() {
      return join(dir!, `bank-${++count}.sqlite`);
    },
    async open(path) {
      return new SqliteBankStore({ path, currency: 'EUR' });
    },
    async exec(path, sql) {
      const raw = new Database(path);
      try {
        raw.exec(sql);
      } finally {
        raw.close();
      }
    },
  };
}

export function postgresBackend(): StoreBackend {
  let cluster: PostgresCluster | undefined;
  return {
    name: 'postgres',
    async setup() {
      cluster = await startPostgresCluster();
    },
    async teardown() {
      cluster?.stop();
    },
    newDatabase() {
      return cluster!.createDatabase();
    },
    open(url) {
      return PostgresBankStore.open({ url, currency: 'EUR', poolSize: 8 });
    },
    async exec(url, sql) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  };
}

export const storeBackends: readonly (() => StoreBackend)[] = [sqliteBackend, postgresBackend];
