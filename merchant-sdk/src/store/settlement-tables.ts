/**
 * The merchant store's earnings and settlement tables, written once for both backends
 * (./sqlite-schema.ts, ./postgres-schema.ts) with the types of the dialect they are rendered for.
 *
 * A released migration must render byte for byte as it was applied (SQLite keeps each CREATE
 * statement's text in `sqlite_master`; ./migration-checksums.test.ts holds every step's
 * SHA-256), so each dialect also carries its released layout: SQLite's schema is written at the
 * left margin with unpadded types, PostgreSQL's two spaces in with types padded to BIGINT's width.
 */
export interface SettlementDialect {
  /** A whole number: money in minor units, counters, milliseconds since the epoch. */
  readonly int: string;
  /** Text, padded to the type column's width. */
  readonly text: string;
  /** Bytes (BLOB, BYTEA), padded to the type column's width. */
  readonly bytes: string;
  /** After the closing parenthesis of a table keyed by its primary key alone. */
  readonly withoutRowid: string;
  /** Put before every line but the first. */
  readonly indent: string;
}

export const sqliteSettlement: SettlementDialect = {
  int: 'INTEGER',
  text: 'TEXT',
  bytes: 'BLOB',
  withoutRowid: ' WITHOUT ROWID',
  indent: '',
};

export const postgresSettlement: SettlementDialect = {
  int: 'BIGINT',
  text: 'TEXT  ',
  bytes: 'BYTEA ',
  withoutRowid: '',
  indent: '  ',
};

/**
 * Earnings per instrument and currency, kept in each payment's transaction; the settlement
 * batches of PayWord redemptions the shop sends the bank, and the words in each.
 */
export function settlementTables({ int, text, bytes, withoutRowid, indent }: SettlementDialect) {
  const sql = `CREATE TABLE earnings (
  instrument  ${text} NOT NULL,
  currency    ${text} NOT NULL,
  total       ${int} NOT NULL,
  payments    ${int} NOT NULL,
  PRIMARY KEY (instrument, currency)
)${withoutRowid};

CREATE TABLE settlement_batches (
  batch_id         ${text} PRIMARY KEY,
  idempotency_key  ${text} NOT NULL UNIQUE,
  status           ${text} NOT NULL CHECK (status IN ('in_flight', 'settled', 'failed')),
  created_at       ${int} NOT NULL,
  attempts         ${int} NOT NULL DEFAULT 0,
  next_attempt_at  ${int} NOT NULL,
  last_error       TEXT,
  finished_at      ${int}
);
CREATE INDEX settlement_batches_by_time ON settlement_batches (created_at);

CREATE TABLE settlement_items (
  batch_id        ${text} NOT NULL REFERENCES settlement_batches (batch_id),
  position        ${int} NOT NULL,
  commitment_id   ${bytes} NOT NULL REFERENCES payword_chains (commitment_id),
  word_index      ${int} NOT NULL,
  word            ${bytes} NOT NULL,
  previous_index  ${int} NOT NULL,
  outcome         ${text} NOT NULL DEFAULT 'pending'
                    CHECK (outcome IN ('pending', 'redeemed', 'rejected')),
  paid            ${int} NOT NULL DEFAULT 0,
  problem_code    TEXT,
  PRIMARY KEY (batch_id, position)
)${withoutRowid};`;
  // Blank lines stay empty, as they were released.
  return sql.replace(/\n(?=.)/g, `\n${indent}`);
}
