/**
 * Schema migrations, applied in order inside one transaction each and recorded in
 * `PRAGMA user_version`. A migration is never edited once released: add a new one.
 *
 * Money is INTEGER minor units everywhere. Every balance change is a ledger entry written in
 * the same transaction as the state it pays for; `CHECK` constraints keep customer and
 * merchant balances from going below zero even if a bug slipped past the code.
 */
import type Database from 'better-sqlite3';

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

  CREATE TABLE transfers (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    reference  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE ledger_entries (
    id            INTEGER PRIMARY KEY,
    transfer_id   INTEGER NOT NULL REFERENCES transfers (id),
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    amount        INTEGER NOT NULL CHECK (amount <> 0),
    balance_after INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, id);
  CREATE INDEX ledger_entries_by_transfer ON ledger_entries (transfer_id);

  CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    scopes     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE api_keys (
    key_hash   BLOB    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE idempotency_keys (
    row_id       INTEGER PRIMARY KEY,
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (scope, key)
  ) STRICT;

  CREATE TABLE bank_keys (
    name       TEXT    PRIMARY KEY,
    secret     BLOB    NOT NULL,
    public     BLOB    NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE denominations (
    id             BLOB    PRIMARY KEY,
    currency       TEXT    NOT NULL,
    value          INTEGER NOT NULL CHECK (value > 0),
    public_n       BLOB    NOT NULL,
    public_e       BLOB    NOT NULL,
    private_key    BLOB    NOT NULL,
    valid_from     INTEGER NOT NULL,
    withdraw_until INTEGER NOT NULL,
    deposit_until  INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

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

  CREATE TABLE issued_coins (
    row_id          INTEGER PRIMARY KEY,
    issuance_id     TEXT    NOT NULL REFERENCES issuances (id),
    idx             INTEGER NOT NULL,
    denomination_id BLOB    NOT NULL REFERENCES denominations (id),
    value           INTEGER NOT NULL,
    blinded_message BLOB    NOT NULL,
    blind_signature BLOB    NOT NULL,
    UNIQUE (issuance_id, idx)
  ) STRICT;

  CREATE TABLE deposits (
    row_id      INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    merchant_id INTEGER NOT NULL REFERENCES accounts (id),
    currency    TEXT    NOT NULL,
    total       INTEGER NOT NULL CHECK (total > 0),
    coin_count  INTEGER NOT NULL CHECK (coin_count > 0),
    created_at  INTEGER NOT NULL
  ) STRICT;

  -- A coin is spent exactly once, by a deposit or by change: the UNIQUE coin_pub is the
  -- double-spending check. \`proof\` is what the spender signed, shown to a second spender.
  CREATE TABLE spent_coins (
    row_id          INTEGER PRIMARY KEY,
    coin_pub        BLOB    NOT NULL UNIQUE,
    denomination_id BLOB    NOT NULL REFERENCES denominations (id),
    value           INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('deposit', 'change')),
    spent_by        TEXT    NOT NULL,
    proof           TEXT    NOT NULL,
    signature       BLOB    NOT NULL,
    spent_at        INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE payword_certificates (
    serial       INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    user_public  BLOB    NOT NULL,
    currency     TEXT    NOT NULL,
    credit_limit INTEGER NOT NULL CHECK (credit_limit > 0),
    redeemed     INTEGER NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
    released_at  INTEGER,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    certificate  TEXT    NOT NULL,
    CHECK (redeemed <= credit_limit)
  ) STRICT;

  CREATE TABLE payword_redemptions (
    commitment_id BLOB    PRIMARY KEY,
    serial        INTEGER NOT NULL REFERENCES payword_certificates (serial),
    vendor_id     INTEGER NOT NULL REFERENCES accounts (id),
    last_index    INTEGER NOT NULL,
    last_word     BLOB    NOT NULL,
    redeemed      INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

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
  CREATE TABLE purse_cards (
    card_id           TEXT    PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts (id),
    shadow_account_id INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
    public_key        BLOB    NOT NULL,
    certificate       BLOB    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('active', 'blocked', 'closed')),
    blocked_at        INTEGER,
    refunded          INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    created_at        INTEGER NOT NULL,
    CHECK ((status = 'active') = (blocked_at IS NULL))
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX purse_cards_by_account ON purse_cards (account_id);

  CREATE TABLE purse_loads (
    card_id       TEXT    NOT NULL REFERENCES purse_cards (card_id),
    load_counter  INTEGER NOT NULL CHECK (load_counter >= 0),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    load_id       BLOB    NOT NULL UNIQUE,
    authorization BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (card_id, load_counter)
  ) STRICT;

  CREATE TABLE purse_clearings (
    row_id              INTEGER PRIMARY KEY,
    card_id             TEXT    NOT NULL REFERENCES purse_cards (card_id),
    sno                 INTEGER NOT NULL,
    merchant_account_id INTEGER NOT NULL REFERENCES accounts (id),
    merchant_id         TEXT    NOT NULL,
    tno                 INTEGER NOT NULL,
    amount              INTEGER NOT NULL CHECK (amount > 0),
    fee                 INTEGER NOT NULL CHECK (fee >= 0 AND fee <= amount),
    proof               BLOB    NOT NULL,
    cleared_at          INTEGER NOT NULL,
    UNIQUE (card_id, sno),
    UNIQUE (merchant_id, tno)
  ) STRICT;
  `,
  // 3: SET card payments (bank/src/card/): the issuer's cards, cardholder registrations and
  // their certificates, the gateway's card transactions and credits. The bank keeps the PAN
  // (it issued the card) but never an order's description: only OI's digest.
  `
  CREATE TABLE cards (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    pan          TEXT    NOT NULL UNIQUE,
    expiry       TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
    created_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX cards_by_account ON cards (account_id);

  CREATE TABLE cardholder_registrations (
    id          TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    card_id     INTEGER NOT NULL REFERENCES cards (id),
    public_key  BLOB    NOT NULL,
    serial      TEXT    NOT NULL UNIQUE,
    certificate BLOB    NOT NULL,
    not_after   INTEGER NOT NULL,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE card_transactions (
    merchant_id       INTEGER NOT NULL REFERENCES accounts (id),
    transaction_id    TEXT    NOT NULL,
    card_id           INTEGER NOT NULL REFERENCES cards (id),
    cardholder_serial TEXT    NOT NULL,
    status            TEXT    NOT NULL
                      CHECK (status IN ('authorized', 'captured', 'reversed', 'capture_reversed')),
    authorized        INTEGER NOT NULL CHECK (authorized > 0),
    captured          INTEGER NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= authorized),
    credited          INTEGER NOT NULL DEFAULT 0 CHECK (credited >= 0 AND credited <= captured),
    oi_digest         BLOB    NOT NULL,
    pi_digest         BLOB    NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, transaction_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX card_transactions_by_card ON card_transactions (card_id, status);

  CREATE TABLE card_credits (
    merchant_id    INTEGER NOT NULL,
    transaction_id TEXT    NOT NULL,
    credit_id      TEXT    NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount > 0),
    reversed_at    INTEGER,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, transaction_id, credit_id),
    FOREIGN KEY (merchant_id, transaction_id) REFERENCES card_transactions (merchant_id, transaction_id)
  ) STRICT, WITHOUT ROWID;
  `,
  // Merchant origins proven before certification, and revoked merchant certificates
  // (bank/src/ca/origin-proof.ts, revocation-routes.ts): one row per challenge the bank handed
  // out; a certificate's revocation time.
  `
  CREATE TABLE origin_challenges (
    token       TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    origin      TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'valid', 'invalid')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    checked_at  INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX origin_challenges_by_account ON origin_challenges (account_id, origin, status);

  ALTER TABLE merchant_certificates ADD COLUMN revoked_at INTEGER;
  CREATE INDEX merchant_certificates_revoked ON merchant_certificates (revoked_at, not_after)
    WHERE revoked_at IS NOT NULL;
  `,
  // Refunds (bank/src/refunds/): one row per refund the merchant signed, unique per merchant
  // and refund id; for e-cash the value credited back to each deposited coin, and the fresh
  // coins the mint signed against that credit (a refund refresh: the coin key asks, no account).
  `
  CREATE TABLE refunds (
    row_id           INTEGER PRIMARY KEY,
    merchant_id      INTEGER NOT NULL REFERENCES accounts (id),
    refund_id        TEXT    NOT NULL,
    instrument       TEXT    NOT NULL CHECK (instrument IN ('ecash', 'payword')),
    payment          TEXT    NOT NULL,
    receipt_id       BLOB    NOT NULL,
    currency         TEXT    NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    paid             INTEGER NOT NULL CHECK (paid >= amount),
    payer_account_id INTEGER REFERENCES accounts (id),
    request_hash     BLOB    NOT NULL,
    statement        TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (merchant_id, refund_id),
    CHECK ((instrument = 'payword') = (payer_account_id IS NOT NULL))
  ) STRICT;
  CREATE INDEX refunds_by_receipt ON refunds (merchant_id, receipt_id);
  CREATE INDEX refunds_by_payment ON refunds (payment);

  CREATE TABLE coin_refunds (
    refund_row INTEGER NOT NULL REFERENCES refunds (row_id),
    coin_pub   BLOB    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (refund_row, coin_pub)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX coin_refunds_by_coin ON coin_refunds (coin_pub);

  CREATE TABLE refund_refreshes (
    row_id       INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    coin_pub     BLOB    NOT NULL,
    currency     TEXT    NOT NULL,
    total        INTEGER NOT NULL CHECK (total > 0),
    coin_count   INTEGER NOT NULL CHECK (coin_count > 0),
    request_hash BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX refund_refreshes_by_coin ON refund_refreshes (coin_pub);

  CREATE TABLE refund_refresh_coins (
    row_id          INTEGER PRIMARY KEY,
    refresh_id      TEXT    NOT NULL REFERENCES refund_refreshes (id),
    idx             INTEGER NOT NULL,
    denomination_id BLOB    NOT NULL REFERENCES denominations (id),
    value           INTEGER NOT NULL,
    blinded_message BLOB    NOT NULL,
    blind_signature BLOB    NOT NULL,
    UNIQUE (refresh_id, idx)
  ) STRICT;
  `,
  // The wallet's recovery (bank/src/mint/recovery.ts): an account's latest withdrawals.
  `
  CREATE INDEX issuances_by_account ON issuances (account_id, row_id) WHERE account_id IS NOT NULL;
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
