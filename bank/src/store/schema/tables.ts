/**
 * The bank's tables as both backends create them, each written once with the types of the
 * dialect it is rendered for (./dialect.ts). The migrations (../sqlite/migrations.ts,
 * ../postgres/migrations.ts) put these blocks in their own order: PostgreSQL's first migration
 * holds what SQLite's first three did. Tables whose released text differs between the backends
 * by more than the dialect (spacing, a named constraint, a quoted column) stay in the
 * migrations themselves.
 */
import type { Dialect } from './dialect.ts';

/** The bank's shared DDL blocks, rendered for one dialect. */
export function bankTables({
  int,
  text,
  bytes,
  rowId,
  strict,
  strictWithoutRowid,
  unique,
}: Dialect) {
  return {
    /** The double-entry ledger: every balance change is an entry of a balanced transfer. */
    ledger: `CREATE TABLE transfers (
    id         ${rowId},
    kind       ${text} NOT NULL,
    reference  ${text} NOT NULL,
    created_at ${int} NOT NULL
  )${strict};

  CREATE TABLE ledger_entries (
    id            ${rowId},
    transfer_id   ${int} NOT NULL REFERENCES transfers (id),
    account_id    ${int} NOT NULL REFERENCES accounts (id),
    amount        ${int} NOT NULL CHECK (amount <> 0),
    balance_after ${int} NOT NULL
  )${strict};
  CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, id);
  CREATE INDEX ledger_entries_by_transfer ON ledger_entries (transfer_id);`,

    /** Login sessions, merchants' API keys, idempotency keys and the bank's own signing keys. */
    credentials: `CREATE TABLE sessions (
    token_hash ${bytes} PRIMARY KEY,
    account_id ${int} NOT NULL REFERENCES accounts (id),
    scopes     ${text} NOT NULL,
    expires_at ${int} NOT NULL,
    created_at ${int} NOT NULL
  )${strictWithoutRowid};

  CREATE TABLE api_keys (
    key_hash   ${bytes} PRIMARY KEY,
    account_id ${int} NOT NULL REFERENCES accounts (id),
    label      ${text} NOT NULL,
    created_at ${int} NOT NULL,
    revoked_at ${int}
  )${strictWithoutRowid};

  CREATE TABLE idempotency_keys (
    row_id       ${rowId},
    scope        ${text} NOT NULL,
    key          ${text} NOT NULL,
    request_hash ${bytes} NOT NULL,
    status       ${int} NOT NULL,
    body         ${text} NOT NULL,
    created_at   ${int} NOT NULL,
    ${unique('idempotency_keys_scope_key')} (scope, key)
  )${strict};

  CREATE TABLE bank_keys (
    name       ${text} PRIMARY KEY,
    secret     ${bytes} NOT NULL,
    public     ${bytes} NOT NULL,
    created_at ${int} NOT NULL
  )${strictWithoutRowid};`,

    /** The mint's RSA denomination keys, each with its withdrawal and deposit windows. */
    denominations: `CREATE TABLE denominations (
    id             ${bytes} PRIMARY KEY,
    currency       ${text} NOT NULL,
    value          ${int} NOT NULL CHECK (value > 0),
    public_n       ${bytes} NOT NULL,
    public_e       ${bytes} NOT NULL,
    private_key    ${bytes} NOT NULL,
    valid_from     ${int} NOT NULL,
    withdraw_until ${int} NOT NULL,
    deposit_until  ${int} NOT NULL,
    created_at     ${int} NOT NULL
  )${strictWithoutRowid};`,

    /** The blind signatures of each issuance (fetched again after a crash); merchants' deposits. */
    coins: `CREATE TABLE issued_coins (
    row_id          ${rowId},
    issuance_id     ${text} NOT NULL REFERENCES issuances (id),
    idx             ${int} NOT NULL,
    denomination_id ${bytes} NOT NULL REFERENCES denominations (id),
    value           ${int} NOT NULL,
    blinded_message ${bytes} NOT NULL,
    blind_signature ${bytes} NOT NULL,
    UNIQUE (issuance_id, idx)
  )${strict};

  CREATE TABLE deposits (
    row_id      ${rowId},
    id          ${text} NOT NULL ${unique('deposits_id')},
    merchant_id ${int} NOT NULL REFERENCES accounts (id),
    currency    ${text} NOT NULL,
    total       ${int} NOT NULL CHECK (total > 0),
    coin_count  ${int} NOT NULL CHECK (coin_count > 0),
    created_at  ${int} NOT NULL
  )${strict};`,

    /** Every coin spent, once: by a deposit or by change. */
    spentCoins: `CREATE TABLE spent_coins (
    row_id          ${rowId},
    coin_pub        ${bytes} NOT NULL ${unique('spent_coins_coin_pub')},
    denomination_id ${bytes} NOT NULL REFERENCES denominations (id),
    value           ${int} NOT NULL,
    kind            ${text} NOT NULL CHECK (kind IN ('deposit', 'change')),
    spent_by        ${text} NOT NULL,
    proof           ${text} NOT NULL,
    signature       ${bytes} NOT NULL,
    spent_at        ${int} NOT NULL
  )${strict};`,

    /** PayWord certificates the broker issued, and each vendor's redemptions of a commitment. */
    payword: `CREATE TABLE payword_certificates (
    serial       ${rowId},
    account_id   ${int} NOT NULL REFERENCES accounts (id),
    user_public  ${bytes} NOT NULL,
    currency     ${text} NOT NULL,
    credit_limit ${int} NOT NULL CHECK (credit_limit > 0),
    redeemed     ${int} NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
    released_at  ${int},
    issued_at    ${int} NOT NULL,
    expires_at   ${int} NOT NULL,
    certificate  ${text} NOT NULL,
    CHECK (redeemed <= credit_limit)
  )${strict};

  CREATE TABLE payword_redemptions (
    commitment_id ${bytes} PRIMARY KEY,
    serial        ${int} NOT NULL REFERENCES payword_certificates (serial),
    vendor_id     ${int} NOT NULL REFERENCES accounts (id),
    last_index    ${int} NOT NULL,
    last_word     ${bytes} NOT NULL,
    redeemed      ${int} NOT NULL,
    updated_at    ${int} NOT NULL
  )${strictWithoutRowid};`,

    /** Hardware purse cards certified to accounts, each with its shadow account. */
    purseCards: `CREATE TABLE purse_cards (
    card_id           ${text} PRIMARY KEY,
    account_id        ${int} NOT NULL REFERENCES accounts (id),
    shadow_account_id ${int} NOT NULL UNIQUE REFERENCES accounts (id),
    public_key        ${bytes} NOT NULL,
    certificate       ${bytes} NOT NULL,
    status            ${text} NOT NULL CHECK (status IN ('active', 'blocked', 'closed')),
    blocked_at        ${int},
    refunded          ${int} NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    created_at        ${int} NOT NULL,
    CHECK ((status = 'active') = (blocked_at IS NULL))
  )${strictWithoutRowid};
  CREATE INDEX purse_cards_by_account ON purse_cards (account_id);`,

    /** The purse proofs cleared: one credit per card id + SNo and per merchant + TNo. */
    purseClearings: `CREATE TABLE purse_clearings (
    row_id              ${rowId},
    card_id             ${text} NOT NULL REFERENCES purse_cards (card_id),
    sno                 ${int} NOT NULL,
    merchant_account_id ${int} NOT NULL REFERENCES accounts (id),
    merchant_id         ${text} NOT NULL,
    tno                 ${int} NOT NULL,
    amount              ${int} NOT NULL CHECK (amount > 0),
    fee                 ${int} NOT NULL CHECK (fee >= 0 AND fee <= amount),
    proof               ${bytes} NOT NULL,
    cleared_at          ${int} NOT NULL,
    UNIQUE (card_id, sno),
    UNIQUE (merchant_id, tno)
  )${strict};`,

    /**
     * SET card payments: the issuer's cards, cardholder certificates, the gateway's card
     * transactions and their credits.
     */
    cards: `CREATE TABLE cards (
    id           ${rowId},
    account_id   ${int} NOT NULL REFERENCES accounts (id),
    pan          ${text} NOT NULL UNIQUE,
    expiry       ${text} NOT NULL,
    currency     ${text} NOT NULL,
    credit_limit ${int} NOT NULL CHECK (credit_limit >= 0),
    created_at   ${int} NOT NULL
  )${strict};
  CREATE INDEX cards_by_account ON cards (account_id);

  CREATE TABLE cardholder_registrations (
    id          ${text} PRIMARY KEY,
    account_id  ${int} NOT NULL REFERENCES accounts (id),
    card_id     ${int} NOT NULL REFERENCES cards (id),
    public_key  ${bytes} NOT NULL,
    serial      ${text} NOT NULL UNIQUE,
    certificate ${bytes} NOT NULL,
    not_after   ${int} NOT NULL,
    revoked_at  ${int},
    created_at  ${int} NOT NULL
  )${strictWithoutRowid};

  CREATE TABLE card_transactions (
    merchant_id       ${int} NOT NULL REFERENCES accounts (id),
    transaction_id    ${text} NOT NULL,
    card_id           ${int} NOT NULL REFERENCES cards (id),
    cardholder_serial ${text} NOT NULL,
    status            ${text} NOT NULL
                      CHECK (status IN ('authorized', 'captured', 'reversed', 'capture_reversed')),
    authorized        ${int} NOT NULL CHECK (authorized > 0),
    captured          ${int} NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= authorized),
    credited          ${int} NOT NULL DEFAULT 0 CHECK (credited >= 0 AND credited <= captured),
    oi_digest         ${bytes} NOT NULL,
    pi_digest         ${bytes} NOT NULL UNIQUE,
    created_at        ${int} NOT NULL,
    updated_at        ${int} NOT NULL,
    PRIMARY KEY (merchant_id, transaction_id)
  )${strictWithoutRowid};
  CREATE INDEX card_transactions_by_card ON card_transactions (card_id, status);

  CREATE TABLE card_credits (
    merchant_id    ${int} NOT NULL,
    transaction_id ${text} NOT NULL,
    credit_id      ${text} NOT NULL,
    amount         ${int} NOT NULL CHECK (amount > 0),
    reversed_at    ${int},
    created_at     ${int} NOT NULL,
    PRIMARY KEY (merchant_id, transaction_id, credit_id),
    FOREIGN KEY (merchant_id, transaction_id) REFERENCES card_transactions (merchant_id, transaction_id)
  )${strictWithoutRowid};`,

    /** Merchant origins proven before certification, and revoked merchant certificates. */
    originChallenges: `CREATE TABLE origin_challenges (
    token       ${text} PRIMARY KEY,
    account_id  ${int} NOT NULL REFERENCES accounts (id),
    origin      ${text} NOT NULL,
    status      ${text} NOT NULL CHECK (status IN ('pending', 'valid', 'invalid')),
    created_at  ${int} NOT NULL,
    expires_at  ${int} NOT NULL,
    checked_at  ${int}
  )${strictWithoutRowid};
  CREATE INDEX origin_challenges_by_account ON origin_challenges (account_id, origin, status);

  ALTER TABLE merchant_certificates ADD COLUMN revoked_at ${int};
  CREATE INDEX merchant_certificates_revoked ON merchant_certificates (revoked_at, not_after)
    WHERE revoked_at IS NOT NULL;`,

    /** Refunds, the value credited back to each deposited coin, and the coins signed against it. */
    refunds: `CREATE TABLE refunds (
    row_id           ${rowId},
    merchant_id      ${int} NOT NULL REFERENCES accounts (id),
    refund_id        ${text} NOT NULL,
    instrument       ${text} NOT NULL CHECK (instrument IN ('ecash', 'payword')),
    payment          ${text} NOT NULL,
    receipt_id       ${bytes} NOT NULL,
    currency         ${text} NOT NULL,
    amount           ${int} NOT NULL CHECK (amount > 0),
    paid             ${int} NOT NULL CHECK (paid >= amount),
    payer_account_id ${int} REFERENCES accounts (id),
    request_hash     ${bytes} NOT NULL,
    statement        ${text} NOT NULL,
    created_at       ${int} NOT NULL,
    UNIQUE (merchant_id, refund_id),
    CHECK ((instrument = 'payword') = (payer_account_id IS NOT NULL))
  )${strict};
  CREATE INDEX refunds_by_receipt ON refunds (merchant_id, receipt_id);
  CREATE INDEX refunds_by_payment ON refunds (payment);

  CREATE TABLE coin_refunds (
    refund_row ${int} NOT NULL REFERENCES refunds (row_id),
    coin_pub   ${bytes} NOT NULL,
    amount     ${int} NOT NULL CHECK (amount > 0),
    PRIMARY KEY (refund_row, coin_pub)
  )${strictWithoutRowid};
  CREATE INDEX coin_refunds_by_coin ON coin_refunds (coin_pub);

  CREATE TABLE refund_refreshes (
    row_id       ${rowId},
    id           ${text} NOT NULL ${unique('refund_refreshes_id')},
    coin_pub     ${bytes} NOT NULL,
    currency     ${text} NOT NULL,
    total        ${int} NOT NULL CHECK (total > 0),
    coin_count   ${int} NOT NULL CHECK (coin_count > 0),
    request_hash ${bytes} NOT NULL,
    created_at   ${int} NOT NULL
  )${strict};
  CREATE INDEX refund_refreshes_by_coin ON refund_refreshes (coin_pub);

  CREATE TABLE refund_refresh_coins (
    row_id          ${rowId},
    refresh_id      ${text} NOT NULL REFERENCES refund_refreshes (id),
    idx             ${int} NOT NULL,
    denomination_id ${bytes} NOT NULL REFERENCES denominations (id),
    value           ${int} NOT NULL,
    blinded_message ${bytes} NOT NULL,
    blind_signature ${bytes} NOT NULL,
    UNIQUE (refresh_id, idx)
  )${strict};`,
  };
}

/** The wallet's recovery (bank/src/mint/recovery.ts): an account's latest withdrawals. */
export const issuancesByAccount =
  'CREATE INDEX issuances_by_account ON issuances (account_id, row_id) WHERE account_id IS NOT NULL;';
