/**
 * Opens the bank's storage named by `FARTHING_BANK_DB`: a `postgres://` (or `postgresql://`)
 * URL selects the PostgreSQL store, anything else is the path of the embedded SQLite file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommitSync } from './sqlite/database.ts';
import type { BankStore } from './store.ts';

export interface BankStoreLocation {
  readonly databasePath: string;
  readonly currency: string;
  readonly commitSync: CommitSync;
  /** PostgreSQL connections per process. */
  readonly databasePoolSize: number;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location for logs: a URL's password is replaced by `***`. */
export function describeLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  const url = new URL(location);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

export async function openBankStore(location: BankStoreLocation): Promise<BankStore> {
  if (isPostgresUrl(location.databasePath)) {
    // Loaded only when asked for, so a SQLite bank never loads the PostgreSQL client.
    const { PostgresBankStore } = await import('./postgres/postgres-store.ts');
    return PostgresBankStore.open({
      url: location.databasePath,
      currency: location.currency,
      poolSize: location.databasePoolSize,
    });
  }
  const { SqliteBankStore } = await import('./sqlite/sqlite-store.ts');
  if (location.databasePath !== ':memory:') {
    mkdirSync(dirname(location.databasePath), { recursive: true });
  }
  return new SqliteBankStore({
    path: location.databasePath,
    currency: location.currency,
    commitSync: location.commitSync,
  });
}
