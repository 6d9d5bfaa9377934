/**
 * Schema migrations, applied in order inside one transaction each and recorded in
 * `PRAGMA user_version`. A migration is never edited once released: add a new one.
 *
 * Money is INTEGER minor units everywhere. Every balance change is a ledger entry written in
 * the same transaction as the state it pays for; `CHECK` constraints keep customer and
 * merchant balances from going below zero even if a bug slipped past the code.
 *
 * The tables PostgreSQL creates alike are written once, in ../schema/tables.ts; a table whose
 * released text differs between the backends stays here. ../migration-checksums.test.ts holds
 * the SHA-256 of every released migration, so none can change by accident.
 */
import type Database from 'better-sqlite3';
import { sqliteDialect } from '../schema/dialect.ts';
import { bankTables, issuancesByAccount } from '../schema/tables.ts';

const tables = bankTables(sqliteDialect);

export const migrations: readonly string[] = [
  // 1: accounts, ledger, credentials, idempotency, mint, broker, certificate authority.
  // Tables whose rows are large and keyed by random values (coin keys, idempotency keys,
  // issuance ids) are rowid tables with a UNIQUE index on the random key: rows are appended
  // in order and only the small index entry lands on a random page. Measured here, that
  // writes ~52 µs per 1 KB row against ~123 µs for a WITHOUT ROWID table keyed at random.
  `
  CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('customer', 'merchant', 'system')),
    name            TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    currency        TEXT    NOT NULL,
    balance         INTEGER NOT NULL DEFAULT 0,
    may_go_negative INTEGER NOT NULL DEFAULT 0 CHECK (may_go_negative IN (0, 1)),
    password_hash   TEXT,
    created_at      INTEGER NOT NULL,
    CHECK (may_go_negative = 1 OR balance >= 0)
  ) STRICT;

  ${tables.ledger}

  ${tables.credentials}

  ${tables.denominations}

  -- A batch of blind signatures the mint handed out: a withdrawal (paid from an account) or
  -- change (paid with one spent coin). Kept so the wallet can fetch them again after a crash.
  CREATE TABLE issuances (
    row_id      INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('withdrawal', 'change')),
    account_id  INTEGER REFERENCES accounts (id),
    currency    TEXT    NOT NULL,
    total       INTEGER NOT NULL CHECK (total > 0),
    coin_count  INTEGER NOT NULL CHECK (coin_count > 0),
    request_hash BLOB   NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK ((kind = 'withdrawal') = (account_id IS NOT NULL))
  ) STRICT;

  ${tables.coins}

  -- A coin is spent exactly once, by a deposit or by change: the UNIQUE coin_pub is the
  -- double-spending check. \`proof\` is what the spender signed, shown to a second spender.
  ${tables.spentCoins}

  ${tables.payword}

  CREATE TABLE merchant_certificates (
    serial      TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    origins     TEXT    NOT NULL,
    offer_key   BLOB    NOT NULL,
    der         BLOB    NOT NULL,
    not_after   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: hardware purse issuer (bank/src/purse/): cards certified to accounts, each with a shadow
  // account (a system account named system:purse-shadow:<card id>) credited by loads and
  // debited by cleared proofs; one load per card and load counter; one credit per card id +
  // SNo and per merchant + TNo, kept by the UNIQUE constraints.
  `
  ${tables.purseCards}

  CREATE TABLE purse_loads (
    card_id       TEXT    NOT NULL REFERENCES purse_cards (card_id),
    load_counter  INTEGER NOT NULL CHECK (load_counter >= 0),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    load_id       BLOB    NOT NULL UNIQUE,
    authorization BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (card_id, load_counter)
  ) STRICT;

  ${tables.purseClearings}
  `,
  // 3: SET card payments (bank/src/card/): the issuer's cards, cardholder registrations and
  // their certificates, the gateway's card transactions and credits. The bank keeps the PAN
  // (it issued the card) but never an order's description: only OI's digest.
  `
  ${tables.cards}
  `,
  // Merchant origins proven before certification, and revoked merchant certificates
  // (bank/src/ca/origin-proof.ts, revocation-routes.ts): one row per challenge the bank handed
  // out; a certificate's revocation time.
  `
  ${tables.originChallenges}
  `,
  // Refunds (bank/src/refunds/): one row per refund the merchant signed, unique per merchant
  // and refund id; for e-cash the value credited back to each deposited coin, and the fresh
  // coins the mint signed against that credit (a refund refresh: the coin key asks, no account).
  `
  ${tables.refunds}
  `,
  // The wallet's recovery (bank/src/mint/recovery.ts): an account's latest withdrawals.
  `
  ${issuancesByAccount}
  `,
];

/** Applies the migrations the database has not seen yet. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `the database schema (version ${current}) is newer than this bank (version ${migrations.length}); upgrade the bank`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return migrations.length;
}
