/**
 * The merchant store's schema on PostgreSQL: the same tables, columns, keys and CHECK
 * constraints as the SQLite migrations (./sqlite-schema.ts), which `postgres-schema.test.ts`
 * checks table by table (CHECKs by behaviour, in store.test.ts), so the two cannot drift apart
 * unnoticed. SQLite's INTEGER is BIGINT here, BLOB is BYTEA.
 *
 * `migrations[n]` takes the schema from version n to n + 1, one transaction each; versions
 * applied are rows of `merchant_schema_migrations` (not the bank's `schema_migrations`, so a
 * shop may share a database with other programs). A released step is never edited: APPEND one.
 */
import { applyMigrations, type PostgresDatabase } from '@farthing/server-runtime/postgres';
import { postgresSettlement, settlementTables } from './settlement-tables.ts';

/** The receipt id of a `payments` row, as indexed (migration 2) and queried by it. */
export const receiptIdExpression = `substring(receipt from '"receiptId":"([A-Za-z0-9_-]*)"')`;

export const migrations: readonly string[] = [
  // 1: SQLite's migrations 1 to 4 (chains, payments, earnings, settlement; payments by grant;
  // each chain's certificate and credit limit; every instrument) as of this backend's start.
  `
  CREATE TABLE payword_chains (
    commitment_id   BYTEA  PRIMARY KEY CHECK (length(commitment_id) = 32),
    commitment      TEXT   NOT NULL,
    user_id         TEXT   NOT NULL,
    chain_length    BIGINT NOT NULL CHECK (chain_length >= 1),
    currency        TEXT   NOT NULL,
    value_per_word  BIGINT NOT NULL CHECK (value_per_word >= 1),
    expires_at      BIGINT NOT NULL,
    last_index      BIGINT NOT NULL CHECK (last_index BETWEEN 0 AND chain_length),
    last_word       BYTEA  NOT NULL CHECK (length(last_word) = 32),
    redeemed_index  BIGINT NOT NULL DEFAULT 0 CHECK (redeemed_index BETWEEN 0 AND last_index),
    settling_batch  TEXT,
    status          TEXT   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'rejected')),
    rejection_code  TEXT,
    created_at      BIGINT NOT NULL,
    certificate_id  BYTEA  CHECK (certificate_id IS NULL OR length(certificate_id) = 32),
    credit_limit    BIGINT CHECK (credit_limit IS NULL OR credit_limit >= 1)
  );
  CREATE INDEX payword_chains_owed ON payword_chains (created_at)
    WHERE status = 'open' AND settling_batch IS NULL AND last_index > redeemed_index;
  CREATE INDEX payword_chains_by_certificate ON payword_chains (certificate_id)
    WHERE certificate_id IS NOT NULL;

  CREATE TABLE payments (
    credential_id     BYTEA  PRIMARY KEY CHECK (length(credential_id) = 32),
    instrument        TEXT   NOT NULL CHECK (instrument IN ('ecash', 'payword', 'card', 'purse')),
    offer_hash        BYTEA  NOT NULL,
    resource          TEXT   NOT NULL,
    currency          TEXT   NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount > 0),
    paid_at           BIGINT NOT NULL,
    commitment_id     BYTEA  REFERENCES payword_chains (commitment_id),
    receipt           TEXT   NOT NULL,
    grant_token       TEXT   NOT NULL,
    grant_expires_at  BIGINT NOT NULL
  );
  CREATE INDEX payments_by_grant ON payments (grant_token);

  ${settlementTables(postgresSettlement)}
  `,
  // 2: SQLite's 5 and 6: payments by their receipt's id (refunds) and by resource with a grant
  // still running (a withdrawn resource). The receipt text is the SDK's own JSON ending in
  // `"receiptId":"<base64url>"` (server/payments/receipts.ts); a quote inside any earlier value is
  // escaped, so the pattern finds that key and no other, and never fails an insert.
  `
  CREATE INDEX payments_by_receipt ON payments ((${receiptIdExpression}));
  CREATE INDEX payments_by_resource ON payments (resource, grant_expires_at);
  `,
  // 3: SQLite's 7: a payment's grant and receipt ids are its credential id's first bytes, so
  // it is found through the primary key, and the indexes on random keys keep older rows only.
  `
  ALTER TABLE payments ADD COLUMN ids_from_credential BIGINT NOT NULL DEFAULT 0
    CHECK (ids_from_credential IN (0, 1));
  DROP INDEX payments_by_grant;
  CREATE INDEX payments_by_grant ON payments (grant_token) WHERE ids_from_credential = 0;
  DROP INDEX payments_by_receipt;
  CREATE INDEX payments_by_receipt ON payments ((${receiptIdExpression}))
    WHERE ids_from_credential = 0;
  `,
  // 4: SQLite's 8: what the chains of each broker certificate took here, kept by a trigger on
  // every insert and move of a chain. The lock lets payments in flight (of an older release
  // too) commit before the totals are counted, and holds the next ones until the trigger is in.
  // A row trigger runs after its whole statement here, so a certificate's missing row, added up
  // by the first of several chains moved in one statement, would count the others twice (too
  // high: refusing, never over-serving); the row is missing only when a certificate's first
  // chain is inserted, one row under the certificate's lock.
  `
  LOCK TABLE payword_chains IN SHARE ROW EXCLUSIVE MODE;
  CREATE TABLE payword_certificate_totals (
    certificate_id  BYTEA  PRIMARY KEY CHECK (length(certificate_id) = 32),
    taken           BIGINT NOT NULL CHECK (taken >= 0)
  );
  INSERT INTO payword_certificate_totals (certificate_id, taken)
    SELECT certificate_id, sum(last_index * value_per_word)
    FROM payword_chains WHERE certificate_id IS NOT NULL AND credit_limit IS NOT NULL
    GROUP BY certificate_id;
  CREATE FUNCTION payword_certificate_taken() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    added BIGINT := NEW.last_index * NEW.value_per_word;
  BEGIN
    IF NEW.certificate_id IS NULL OR NEW.credit_limit IS NULL THEN
      RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
      added := added - OLD.last_index * OLD.value_per_word;
    END IF;
    UPDATE payword_certificate_totals SET taken = taken + added
      WHERE certificate_id = NEW.certificate_id;
    IF NOT FOUND THEN
      INSERT INTO payword_certificate_totals (certificate_id, taken)
        SELECT NEW.certificate_id, sum(last_index * value_per_word)
        FROM payword_chains WHERE certificate_id = NEW.certificate_id
        ON CONFLICT (certificate_id) DO NOTHING;
    END IF;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER payword_certificate_taken AFTER INSERT OR UPDATE OF last_index
    ON payword_chains FOR EACH ROW EXECUTE FUNCTION payword_certificate_taken();
  `,
];

/** The table recording the versions applied. */
export const migrationsTable = 'merchant_schema_migrations';

/** Applies the steps the database has not seen yet; several shop processes may start at once. */
export function migrate(db: PostgresDatabase): Promise<number> {
  return applyMigrations(db, migrations, {
    // "FarthMer": any 64-bit number of our own, apart from the bank's migration lock.
    lock: 0x46617274_684d6572n,
    table: migrationsTable,
    what: 'merchant SDK',
  });
}
