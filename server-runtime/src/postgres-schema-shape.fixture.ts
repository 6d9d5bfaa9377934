/**
 * The shape of a schema as two backends can both describe it, so a test can check that a
 * SQLite schema and its PostgreSQL twin list the same tables, columns (name, kind of value,
 * NOT NULL), primary and unique keys, other indexes and foreign keys. CHECK constraints are
 * compared by behaviour, in the stores' contract suites.
 */
import type Database from 'better-sqlite3';
import pg from 'pg';

export interface TableShape {
  /** `name kind [not null]`, in column order. */
  columns: string[];
  /** Column lists of the primary key and every unique constraint or index. */
  unique: string[];
  /** Column lists of the other indexes. */
  indexes: string[];
  /** `columns -> table(columns)`. */
  foreignKeys: string[];
}

export type Schema = Record<string, TableShape>;

const sqliteKinds: Record<string, string> = { INTEGER: 'integer', TEXT: 'text', BLOB: 'bytes' };
const postgresKinds: Record<string, string> = {
  bigint: 'integer',
  integer: 'integer',
  text: 'text',
  bytea: 'bytes',
};

/** The shape of every table of a SQLite database. */
export function sqliteSchema(db: Database.Database): Schema {
  const schema: Schema = {};
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  for (const { name } of tables) {
    const columns = db.pragma(`table_info(${name})`) as {
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }[];
    const pk = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const unique = new Set<string>([pk.join(',')]);
    const indexes = new Set<string>();
    for (const index of db.pragma(`index_list(${name})`) as {
      name: string;
      unique: number;
    }[]) {
      const cols = (db.pragma(`index_info(${index.name})`) as { name: string }[])
        .map((c) => c.name)
        .join(',');
      (index.unique ? unique : indexes).add(cols);
    }
    const foreignKeys = new Map<number, { table: string; from: string[]; to: string[] }>();
    for (const fk of db.pragma(`foreign_key_list(${name})`) as {
      id: number;
      table: string;
      from: string;
      to: string;
    }[]) {
      const entry = foreignKeys.get(fk.id) ?? { table: fk.table, from: [], to: [] };
      entry.from.push(fk.from);
      entry.to.push(fk.to);
      foreignKeys.set(fk.id, entry);
    }
    schema[name] = {
      columns: columns.map(
        (c) => `${c.name} ${sqliteKinds[c.type] ?? c.type}${c.notnull || c.pk ? ' not null' : ''}`,
      ),
      unique: [...unique].sort(),
      indexes: [...indexes].sort(),
      foreignKeys: [...foreignKeys.values()]
        .map((fk) => `${fk.from.join(',')} -> ${fk.table}(${fk.to.join(',')})`)
        .sort(),
    };
  }
  return schema;
}

/** The shape of every table of a PostgreSQL database but those in `skip` (its migration record). */
export async function postgresSchema(url: string, skip: readonly string[]): Promise<Schema> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const schema: Schema = {};
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND NOT (table_name = ANY ($1))
       ORDER BY table_name, ordinal_position`,
      [skip],
    );
    for (const c of columns.rows) {
      schema[c.table_name] ??= { columns: [], unique: [], indexes: [], foreignKeys: [] };
      schema[c.table_name]!.columns.push(
        `${c.column_name} ${postgresKinds[c.data_type] ?? c.data_type}${c.is_nullable === 'NO' ? ' not null' : ''}`,
      );
    }
    const indexes = await client.query<{ table: string; unique: boolean; columns: string }>(
      `SELECT t.relname AS table, i.indisunique AS unique,
         -- An expression (attnum 0) has no name, as in SQLite's index_info: an empty part.
         (SELECT string_agg(coalesce(a.attname, ''), ',' ORDER BY k.n)
          FROM unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)
          LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace ns ON ns.oid = t.relnamespace
       WHERE ns.nspname = 'public' AND NOT (t.relname = ANY ($1))`,
      [skip],
    );
    for (const index of indexes.rows) {
      const shape = schema[index.table]!;
      (index.unique ? shape.unique : shape.indexes).push(index.columns);
    }
    const foreignKeys = await client.query<{ table: string; definition: string }>(
      `SELECT t.relname AS table,
         (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, n)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
         || ' -> ' || r.relname || '(' ||
         (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY AS k (attnum, n)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) || ')' AS definition
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
       JOIN pg_namespace ns ON ns.oid = t.relnamespace
       WHERE c.contype = 'f' AND ns.nspname = 'public' AND NOT (t.relname = ANY ($1))`,
      [skip],
    );
    for (const fk of foreignKeys.rows) schema[fk.table]!.foreignKeys.push(fk.definition);
    for (const shape of Object.values(schema)) {
      shape.unique = [...new Set(shape.unique)].sort();
      shape.indexes.sort();
      shape.foreignKeys.sort();
    }
    return schema;
  } finally {
    await client.end();
  }
}
