/**
 * The two schema definitions (../sqlite/migrations.ts and ./migrations.ts) describe the same
 * tables: each backend's catalog, read after migrating an empty database, must list the same
 * tables, columns (name, kind of value, NOT NULL), primary and unique keys, other indexes and
 * foreign keys. CHECK constraints are compared by behaviour in store-contract.test.ts.
 */

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
import { migrate as migrateSqlite } from '../sqlite/migrations.ts';
import { PostgresDatabase } from './database.ts';
import { migrate as migratePostgres, migrations } from './migrations.ts';

describe('the PostgreSQL schema', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 60_000);
  afterAll(() => cluster?.stop(), 60_000);

  it('has the same tables, columns, keys, indexes and foreign keys as the SQLite schema', async () => {
    const url = await cluster.createDatabase();
    const db = new PostgresDatabase(url, { poolSize: 2 });
    try {
      await migratePostgres(db);
    } finally {
      await db.close();
    }
    const postgres = await postgresSchema(url, ['schema_migrations']);
    const sqliteDb = new Database(':memory:');
    migrateSqlite(sqliteDb);
    const sqlite = sqliteSchema(sqliteDb);
    sqliteDb.close();
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
    for (const table of Object.keys(sqlite)) {
      expect(postgres[table], table).toEqual(sqlite[table]);
    }
  });

  it('is applied once when several processes migrate at the same time', async () => {
    const url = await cluster.createDatabase();
    const dbs = Array.from({ length: 4 }, () => new PostgresDatabase(url, { poolSize: 1 }));
    try {
      await Promise.all(dbs.map((db) => migratePostgres(db)));
      expect(await dbs[0]!.query('SELECT version FROM schema_migrations ORDER BY version')).toEqual(
        migrations.map((_, index) => ({ version: index + 1 })),
      );
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
