/**
 * The SQLite schema of `SqliteMerchantStore` and the mapping between rows and records.
 * Versioned with `PRAGMA user_version`; a later version adds a migration step here.
 *
 * Amounts are integer minor units beside their currency; bytes are BLOBs; timestamps are
 * milliseconds since the Unix epoch.
 */
import Database from 'better-sqlite3';
import { settlementTables, sqliteSettlement } from './settlement-tables.ts';

// The rows are the same on PostgreSQL (./postgres.ts): their mapping lives in ./rows.ts.
export {
  type BatchRow,
  batchFromRows,
  type ChainRow,
  type CreditLimit,
  chainFromRow,
  type ItemRow,
  newChainValues,
  overCreditLimit,
  type PaymentRow,
  paymentFromRow,
  paymentToRow,
} from './rows.ts';

/**
 * A connection as the store sets it up: WAL (readers never wait for the writer),
 * `synchronous=FULL` (a commit is on disk when it returns;
 * `@farthing/server-runtime/sqlite-wal-sync` trades it for NORMAL plus its own fdatasync),
 * foreign keys, and a wait instead of SQLITE_BUSY while another
 * connection holds the write lock.
 */
export function openConnection(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Version 1 of the schema. */
export const schema = `
CREATE TABLE payword_chains (
  commitment_id   BLOB PRIMARY KEY CHECK (length(commitment_id) = 32),
  commitment      TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  chain_length    INTEGER NOT NULL CHECK (chain_length >= 1),
  currency        TEXT NOT NULL,
  value_per_word  INTEGER NOT NULL CHECK (value_per_word >= 1),
  expires_at      INTEGER NOT NULL,
  last_index      INTEGER NOT NULL CHECK (last_index BETWEEN 0 AND chain_length),
  last_word       BLOB NOT NULL CHECK (length(last_word) = 32),
  redeemed_index  INTEGER NOT NULL DEFAULT 0 CHECK (redeemed_index BETWEEN 0 AND last_index),
  settling_batch  TEXT,
  status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'rejected')),
  rejection_code  TEXT,
  created_at      INTEGER NOT NULL
);
-- What settlement looks for: open chains with unredeemed words and no batch in flight.
CREATE INDEX payword_chains_owed ON payword_chains (created_at)
  WHERE status = 'open' AND settling_batch IS NULL AND last_index > redeemed_index;

CREATE TABLE payments (
  credential_id     BLOB PRIMARY KEY CHECK (length(credential_id) = 32),
  instrument        TEXT NOT NULL CHECK (instrument IN ('ecash', 'payword')),
  offer_hash        BLOB NOT NULL,
  resource          TEXT NOT NULL,
  currency          TEXT NOT NULL,
  amount            INTEGER NOT NULL CHECK (amount > 0),
  paid_at           INTEGER NOT NULL,
  commitment_id     BLOB REFERENCES payword_chains (commitment_id),
  -- The receipt's JSON without its signature (signed again for a retry); signed in older rows.
  receipt           TEXT NOT NULL,
  grant_token       TEXT NOT NULL,
  grant_expires_at  INTEGER NOT NULL
);

-- Kept in the same transaction as each payment, so the dashboard reads totals, not history.
${settlementTables(sqliteSettlement)}
`;

/** The receipt id of a `payments` row, as indexed (migration 5) and queried by it. */
export const receiptIdExpression =
  "CASE WHEN json_valid(receipt) THEN json_extract(receipt, '$.receiptId') END";

/** Migration 8's trigger keeping a certificate's total as its chain is inserted or moved. */
function certificateTotalTrigger(event: 'INSERT' | 'UPDATE OF last_index', added: string): string {
  const name = event === 'INSERT' ? 'inserted' : 'moved';
  return `CREATE TRIGGER payword_certificate_taken_${name} AFTER ${event} ON payword_chains
     WHEN NEW.certificate_id IS NOT NULL AND NEW.credit_limit IS NOT NULL
   BEGIN
     UPDATE payword_certificate_totals SET taken = taken + ${added}
       WHERE certificate_id = NEW.certificate_id;
     INSERT INTO payword_certificate_totals (certificate_id, taken)
       SELECT NEW.certificate_id,
         (SELECT sum(last_index * value_per_word) FROM payword_chains
          WHERE certificate_id = NEW.certificate_id)
       WHERE NOT EXISTS (SELECT 1 FROM payword_certificate_totals
                         WHERE certificate_id = NEW.certificate_id);
   END;`;
}

/**
 * `migrations[n]` takes the schema from version n to n + 1, each in one transaction; a released
 * step is never edited.
 */
export const migrations: readonly string[] = [
  schema,
  // 2: payments by their access grant, so the pay endpoint can answer a payer who holds a grant
  // for the resource already with that payment's receipt instead of charging again.
  'CREATE INDEX payments_by_grant ON payments (grant_token);',
  // 3: each chain's broker certificate and its credit limit, so a payment that would take the
  // certificate's chains at this shop past the limit is refused in the payment's transaction.
  // Chains stored before get both from their commitment right after (sqlite-backfill.ts).
  `ALTER TABLE payword_chains ADD COLUMN certificate_id BLOB
     CHECK (certificate_id IS NULL OR length(certificate_id) = 32);
   ALTER TABLE payword_chains ADD COLUMN credit_limit INTEGER
     CHECK (credit_limit IS NULL OR credit_limit >= 1);
   CREATE INDEX payword_chains_by_certificate ON payword_chains (certificate_id)
     WHERE certificate_id IS NOT NULL;`,
  // 4: payments by the hardware purse. SQLite cannot change a CHECK in place, so the table is
  // rebuilt; the check now names every instrument of the protocol (offer.ts), card included,
  // so the next instrument needs no rebuild of its own.
  `CREATE TABLE payments_v3 (
    credential_id     BLOB PRIMARY KEY CHECK (length(credential_id) = 32),
    instrument        TEXT NOT NULL CHECK (instrument IN ('ecash', 'payword', 'card', 'purse')),
    offer_hash        BLOB NOT NULL,
    resource          TEXT NOT NULL,
    currency          TEXT NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount > 0),
    paid_at           INTEGER NOT NULL,
    commitment_id     BLOB REFERENCES payword_chains (commitment_id),
    receipt           TEXT NOT NULL,
    grant_token       TEXT NOT NULL,
    grant_expires_at  INTEGER NOT NULL
  );
  INSERT INTO payments_v3 SELECT credential_id, instrument, offer_hash, resource, currency, amount,
    paid_at, commitment_id, receipt, grant_token, grant_expires_at FROM payments;
  DROP TABLE payments;
  ALTER TABLE payments_v3 RENAME TO payments;
  CREATE INDEX payments_by_grant ON payments (grant_token);`,
  // 5: payments by their receipt's id, so the merchant can refund a receipt (server/refunds/).
  // Guarded by json_valid: an index expression that fails would fail the payment's insert.
  `CREATE INDEX payments_by_receipt ON payments (${receiptIdExpression});`,
  // 6: payments of one resource whose grant still runs, refunded when the merchant withdraws
  // the resource (server/refunds/withdraw.ts).
  'CREATE INDEX payments_by_resource ON payments (resource, grant_expires_at);',
  // 7: a payment's grant id and receipt id are the first 16 bytes of its credential id
  // (server/payments/payments.ts), so a payment stored from now on is found by grant or by
  // receipt through the primary key, and its insert no longer writes two indexes on random
  // keys (issue 21: ~45 % of the writer thread's CPU per PayWord payment, and the part that
  // grew with the table). The two indexes keep only the rows stored before.
  `ALTER TABLE payments ADD COLUMN ids_from_credential INTEGER NOT NULL DEFAULT 0
     CHECK (ids_from_credential IN (0, 1));
   DROP INDEX payments_by_grant;
   CREATE INDEX payments_by_grant ON payments (grant_token) WHERE ids_from_credential = 0;
   DROP INDEX payments_by_receipt;
   CREATE INDEX payments_by_receipt ON payments (${receiptIdExpression})
     WHERE ids_from_credential = 0;`,
  // 8: what the chains of each broker certificate have taken at this shop, so the credit-limit
  // check reads one row instead of adding up every chain of the certificate on every payment
  // (issue 21: the writer's SQL for a PayWord payment cost 108 µs against 49 µs with 512 chains
  // on one certificate, ~0.13 µs a chain; with 64 the two were alike within the noise).
  // `taken` is sum(last_index × value_per_word) over the certificate's chains, kept so by
  // triggers on every insert and move of a chain, whatever code writes it (a process of an
  // older release sharing the file included). A certificate without its row is added up from
  // its chains when one of them moves. Not seen by the triggers, and done by no code: a chain's
  // certificate or value per word changed in place, a chain deleted or replaced.
  `CREATE TABLE payword_certificate_totals (
     certificate_id  BLOB PRIMARY KEY CHECK (length(certificate_id) = 32),
     taken           INTEGER NOT NULL CHECK (taken >= 0)
   ) WITHOUT ROWID;
   INSERT INTO payword_certificate_totals (certificate_id, taken)
     SELECT certificate_id, sum(last_index * value_per_word)
     FROM payword_chains WHERE certificate_id IS NOT NULL AND credit_limit IS NOT NULL
     GROUP BY certificate_id;
   ${certificateTotalTrigger('INSERT', 'NEW.last_index * NEW.value_per_word')}
   ${certificateTotalTrigger(
     'UPDATE OF last_index',
     'NEW.last_index * NEW.value_per_word - OLD.last_index * OLD.value_per_word',
   )}`,
];

/** The schema version this code writes (`PRAGMA user_version`). */
export const schemaVersion = migrations.length;
