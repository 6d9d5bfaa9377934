/**
 * The two storage backends, for store tests that run the same contract on both
 * (store-contract.test.ts): each makes fresh empty databases, opens a `BankStore` on one, and
 * runs raw SQL behind the store's back (to show the books check catches it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FarthingError } from '@farthing/protocol/errors';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresBankStore } from './postgres/postgres-store.ts';
import { SqliteBankStore } from './sqlite/sqlite-store.ts';
import type { BankStore, SpentCoin } from './store.ts';

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

// --- what the contract tests put in a store

export const now = Date.UTC(2026, 0, 1);

export const coded = (code: string) => (e: unknown) =>
  e instanceof FarthingError && e.code === code;

export async function customer(store: BankStore, name: string, funds = 0) {
  const account = await store.createAccount(
    { kind: 'customer', name, displayName: name, currency: 'EUR', now },
    (a) => a,
  );
  if (funds > 0)
    await store.issueFunds({ accountId: account.id, amount: funds, reference: 'seed', now });
  return account;
}

export const merchant = (store: BankStore, name = 'shop') =>
  store.createAccount(
    { kind: 'merchant', name, displayName: name, currency: 'EUR', now },
    (a) => a,
  );

export const coin = (fill: number, value: number) => ({
  denominationId: new Uint8Array(32).fill(1),
  value,
  blindedMessage: new Uint8Array(256).fill(fill),
  blindSignature: new Uint8Array(256).fill(fill + 1),
});

export const spent = (fill: number, signature = 0, value = 100): SpentCoin => ({
  coinPub: new Uint8Array(32).fill(fill),
  denominationId: new Uint8Array(32).fill(1),
  value,
  signature: new Uint8Array(64).fill(signature),
  proof: JSON.stringify({ permission: signature }),
});

export async function denomination(store: BankStore) {
  await store.insertDenomination({
    id: new Uint8Array(32).fill(1),
    currency: 'EUR',
    value: 100,
    publicN: new Uint8Array(256),
    publicE: Uint8Array.of(1, 0, 1),
    privateKey: new Uint8Array(8),
    validFrom: now,
    withdrawUntil: now + 1,
    depositUntil: now + 2,
    createdAt: now,
  });
}

/** A store with a denomination, a customer holding `funds` and `coins` withdrawn from it. */
export async function funded(store: BankStore, funds: number, coins = 0) {
  await denomination(store);
  const alice = await customer(store, 'alice', funds);
  const shop = await merchant(store);
  if (coins > 0) {
    await store.withdraw(
      {
        issuanceId: 'w0',
        accountId: alice.id,
        currency: 'EUR',
        requestHash: new Uint8Array(32),
        coins: Array.from({ length: coins }, (_, i) => coin(2 * i + 1, 100)),
        now,
      },
      (issuance) => issuance.total,
    );
  }
  return { alice, shop };
}

export const deposit = (
  store: BankStore,
  merchantId: number,
  depositId: string,
  coins: SpentCoin[],
) =>
  store.deposit({ depositId, merchantId, currency: 'EUR', coins, now }, (d) => ({
    id: d.id,
    total: d.total,
    coinCount: d.coinCount,
  }));

/** A PayWord certificate of `creditLimit` for the account, expiring a second after `now`. */
export const paywordCertificate = (serial: number, accountId: number, creditLimit: number) => ({
  serial,
  accountId,
  userPublicKey: new Uint8Array(32).fill(6),
  currency: 'EUR',
  creditLimit,
  issuedAt: now,
  expiresAt: now + 1_000,
  certificate: JSON.stringify({ serial }),
});

/** A claim on the certificate's one commitment, 10 minor units a word. */
export const paywordClaim = (serial: number, index: number, word = index) => ({
  commitmentId: new Uint8Array(32).fill(serial),
  serial,
  index,
  word: new Uint8Array(32).fill(word),
  valuePerWord: 10,
});

/** Opens every pooled connection (PostgreSQL: 8), so the calls a test makes next run at once
 * instead of one by one while new connections are set up. */
export async function openEveryConnection(store: BankStore): Promise<void> {
  await Promise.all(Array.from({ length: 8 }, () => store.getAccountByName('system:coins')));
}
