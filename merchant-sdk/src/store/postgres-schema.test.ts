/**
 * The merchant store's two schema definitions (./sqlite-schema.ts and ./postgres-schema.ts)
 * describe the same tables: each backend's catalog, read after migrating an empty database,
 * lists the same tables, columns, keys, indexes and foreign keys. CHECK constraints are
 * compared by behaviour in store.test.ts.
 */
import { PostgresDatabase } from '@farthing/server-runtime/postgres';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import {
  postgresSchema,
  sqliteSchema,
} from '@farthing/server-runtime/postgres-schema-shape.fixture';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrations, migrationsTable } from './postgres-schema.ts';
import { migrations as sqliteMigrations } from './sqlite-schema.ts';

describe('the merchant store on PostgreSQL', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 60_000);
  afterAll(() => cluster?.stop(), 60_000);

  it('has the same tables, columns, keys, indexes and foreign keys as on SQLite', async () => {
    const url = await cluster.createDatabase('merchant');
    const db = new PostgresDatabase(url, { poolSize: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    const postgres = await postgresSchema(url, [migrationsTable]);
    const sqliteDb = new Database(':memory:');
    for (const step of sqliteMigrations) sqliteDb.exec(step);
    const sqlite = sqliteSchema(sqliteDb);
    sqliteDb.close();
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
    for (const table of Object.keys(sqlite)) {
      expect(postgres[table], table).toEqual(sqlite[table]);
    }
  });

  it('is migrated once when several shop processes start at the same time', async () => {
    const url = await cluster.createDatabase('merchant');
    const dbs = Array.from({ length: 4 }, () => new PostgresDatabase(url, { poolSize: 1 }));
    try {
      await Promise.all(dbs.map((db) => migrate(db)));
      expect(
        await dbs[0]!.query(`SELECT version FROM ${migrationsTable} ORDER BY version`),
      ).toEqual(migrations.map((_, index) => ({ version: index + 1 })));
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
