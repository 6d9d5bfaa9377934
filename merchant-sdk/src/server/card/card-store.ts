/**
 * The merchant's record of its card purchases, in its own SQLite file (WAL, synchronous=FULL,
 * so an answer the shop gave is on disk): the order it sold, the OI the cardholder signed and
 * the PI envelope as the opaque bytes it received, the gateway's last answer. Never a card
 * number: the merchant cannot open the envelope, and nothing here is read from inside it.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

// Loaded when a card store is opened, so a site without cards never needs better-sqlite3.
const require = createRequire(import.meta.url);

export type CardPurchaseStatus =
  | 'initiated'
  | 'authorized'
  | 'captured'
  | 'reversed'
  | 'capture_reversed';

export interface CardPurchaseRecord {
  readonly transactionId: string;
  readonly status: CardPurchaseStatus;
  readonly currency: string;
  readonly amount: number;
  /** SHA-256 of the order description, what OI commits to. */
  readonly orderDigest: Uint8Array;
  /** The order as the shop describes it (its own data; the bank never gets it). */
  readonly description: string;
  /** The signed purchase request (OI, H(PI), the opaque envelope, DS, cardholder chain). */
  readonly purchaseRequest: string | undefined;
  readonly cardholderKey: Uint8Array | undefined;
  readonly captured: number;
  readonly credited: number;
  readonly receiptId: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row {
  transaction_id: string;
  status: CardPurchaseStatus;
  currency: string;
  amount: number;
  order_digest: Buffer;
  description: string;
  purchase_request: string | null;
  cardholder_key: Buffer | null;
  captured: number;
  credited: number;
  receipt_id: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: Row): CardPurchaseRecord => ({
  transactionId: row.transaction_id,
  status: row.status,
  currency: row.currency,
  amount: row.amount,
  orderDigest: new Uint8Array(row.order_digest),
  description: row.description,
  purchaseRequest: row.purchase_request ?? undefined,
  cardholderKey: row.cardholder_key === null ? undefined : new Uint8Array(row.cardholder_key),
  captured: row.captured,
  credited: row.credited,
  receiptId: row.receipt_id ?? undefined,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** How long a started card order may be paid; unpaid ones older than this are deleted. */
export const cardInitiationLifetimeMs = 60 * 60_000;

const schema = `
  CREATE TABLE IF NOT EXISTS card_purchases (
    transaction_id   TEXT    PRIMARY KEY,
    status           TEXT    NOT NULL,
    currency         TEXT    NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    order_digest     BLOB    NOT NULL,
    description      TEXT    NOT NULL,
    purchase_request TEXT,
    cardholder_key   BLOB,
    captured         INTEGER NOT NULL DEFAULT 0,
    credited         INTEGER NOT NULL DEFAULT 0,
    receipt_id       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS card_purchases_by_status ON card_purchases (status);
  CREATE INDEX IF NOT EXISTS card_purchases_initiated ON card_purchases (created_at)
    WHERE status = 'initiated';
  -- Purchases paid at the SDK's shared pay endpoint: the payment (credential id) each is.
  CREATE TABLE IF NOT EXISTS card_payments (
    credential_id  BLOB PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES card_purchases (transaction_id)
  ) STRICT, WITHOUT ROWID;
`;

export class CardPurchaseStore {
  readonly #db: Database.Database;
  readonly #sql: Record<string, Database.Statement>;

  constructor(path: string) {
    const open = require('better-sqlite3') as typeof Database;
    this.#db = new open(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(schema);
    this.#sql = {
      insert: this.#db.prepare(
        `INSERT INTO card_purchases (transaction_id, status, currency, amount, order_digest,
           description, created_at, updated_at) VALUES (?, 'initiated', ?, ?, ?, ?, ?, ?)`,
      ),
      get: this.#db.prepare('SELECT * FROM card_purchases WHERE transaction_id = ?'),
      pruneInitiated: this.#db.prepare(
        `DELETE FROM card_purchases WHERE transaction_id IN (
           SELECT transaction_id FROM card_purchases
           WHERE status = 'initiated' AND created_at < ? ORDER BY created_at LIMIT 2)`,
      ),
      countAll: this.#db.prepare('SELECT count(*) AS n FROM card_purchases'),
      byStatus: this.#db.prepare(
        'SELECT * FROM card_purchases WHERE status = ? ORDER BY created_at LIMIT ?',
      ),
      recent: this.#db.prepare(
        `SELECT * FROM card_purchases WHERE status != 'initiated'
         ORDER BY updated_at DESC, transaction_id LIMIT ?`,
      ),
      paid: this.#db.prepare(
        `UPDATE card_purchases SET status = ?, purchase_request = ?, cardholder_key = ?,
           captured = ?, receipt_id = ?, updated_at = ? WHERE transaction_id = ?`,
      ),
      money: this.#db.prepare(
        `UPDATE card_purchases SET status = ?, captured = ?, credited = ?, updated_at = ?
         WHERE transaction_id = ?`,
      ),
      link: this.#db.prepare('INSERT OR IGNORE INTO card_payments VALUES (?, ?)'),
      transactionOf: this.#db.prepare(
        'SELECT transaction_id FROM card_payments WHERE credential_id = ?',
      ),
      capture: this.#db.prepare(
        `UPDATE card_purchases SET status = ?, captured = ?, credited = ?, updated_at = ?
         WHERE transaction_id = ? AND status = 'authorized'`,
      ),
    };
  }

  initiate(record: {
    transactionId: string;
    currency: string;
    amount: number;
    orderDigest: Uint8Array;
    description: string;
    now: number;
  }): void {
    this.#db.transaction(() => {
      // Orders started and never paid within their lifetime go, two for each new one: an
      // unpaid checkout (any GET of a checkout page, any initiation request) cannot grow the
      // file beyond what is started within one lifetime.
      this.#sql.pruneInitiated!.run(record.now - cardInitiationLifetimeMs);
      this.#sql.insert!.run(
        record.transactionId,
        record.currency,
        record.amount,
        record.orderDigest,
        record.description,
        record.now,
        record.now,
      );
    })();
  }

  /** How many purchases the file holds, paid or not. */
  count(): number {
    return (this.#sql.countAll!.get() as { n: number }).n;
  }

  get(transactionId: string): CardPurchaseRecord | undefined {
    const row = this.#sql.get!.get(transactionId) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  withStatus(status: CardPurchaseStatus, limit: number): CardPurchaseRecord[] {
    return (this.#sql.byStatus!.all(status, limit) as Row[]).map(toRecord);
  }

  /** Paid purchases (any status but `initiated`), most recently changed first. */
  recent(limit: number): CardPurchaseRecord[] {
    return (this.#sql.recent!.all(limit) as Row[]).map(toRecord);
  }

  recordPayment(update: {
    transactionId: string;
    status: CardPurchaseStatus;
    purchaseRequest: string;
    cardholderKey: Uint8Array;
    captured: number;
    receiptId: string;
    now: number;
  }): void {
    this.#sql.paid!.run(
      update.status,
      update.purchaseRequest,
      update.cardholderKey,
      update.captured,
      update.receiptId,
      update.now,
      update.transactionId,
    );
  }

  recordMoney(update: {
    transactionId: string;
    status: CardPurchaseStatus;
    captured: number;
    credited: number;
    now: number;
  }): void {
    this.#sql.money!.run(
      update.status,
      update.captured,
      update.credited,
      update.now,
      update.transactionId,
    );
  }

  /** Notes that the SDK payment `credentialId` is the purchase `transactionId` (once). */
  linkPayment(credentialId: Uint8Array, transactionId: string): void {
    this.#sql.link!.run(credentialId, transactionId);
  }

  /** The purchase an SDK payment (its credential id) is; undefined for any other payment. */
  transactionOfPayment(credentialId: Uint8Array): string | undefined {
    const row = this.#sql.transactionOf!.get(credentialId) as
      | { transaction_id: string }
      | undefined;
    return row?.transaction_id;
  }

  /**
   * The gateway's answer to a capture (or that it reversed the authorization), recorded only
   * over an authorized purchase: true when this update moved it (two capture runs both get the
   * answer; one records it).
   */
  recordCapture(update: {
    transactionId: string;
    status: CardPurchaseStatus;
    captured: number;
    credited: number;
    now: number;
  }): boolean {
    const { changes } = this.#sql.capture!.run(
      update.status,
      update.captured,
      update.credited,
      update.now,
      update.transactionId,
    );
    return changes === 1;
  }

  close(): void {
    this.#db.close();
  }
}
