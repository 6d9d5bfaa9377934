/**
 * SET card payments on PostgreSQL (the SQLite twin is ../sqlite/cards.ts; card-store.ts says
 * how card credit is modelled). Every write is the caller's READ COMMITTED transaction.
 *
 * Across processes: an authorization locks its card's row (`FOR NO KEY UPDATE`) before it reads
 * what the card has lent and holds, so two authorizations of one card are checked one after the
 * other and cannot both pass its limit, and a replayed transaction finds the first one stored;
 * an operation on a transaction locks the transaction's row before it checks its status, so a
 * capture and a reversal of one authorization cannot both pass. A transaction id or PI digest
 * stored by a concurrent authorization of another card (`cardClaimedKeys`) retries the whole
 * transaction, which then finds it and answers `set_transaction_replayed`.
 *
 * Only the SQL (and its locking) lives here: what an authorization checks and what an
 * operation posts and leaves are ../card-rules.ts's, shared by both stores.
 */
import * as records from '../card-rows.ts';
import * as rules from '../card-rules.ts';
import {
  type CardholderRegistrationRecord,
  type CardRecord,
  type CardStore,
  type CardTransactionRecord,
  cardSystemAccounts,
} from '../card-store.ts';
import type { Sql } from './database.ts';
import { postTransfer } from './ledger.ts';
import type { PostgresWrites } from './write.ts';

/** Keys a concurrent request may claim first: the retry then finds the winner's row. */
export const cardClaimedKeys = [
  'card_transactions_pkey',
  'card_transactions_pi_digest_key',
  'cardholder_registrations_pkey',
];

/** The ids of system:card-credit (which may go negative) and system:card-holds, made if absent. */
export async function ensureCardAccounts(
  sql: Sql,
  currency: string,
): Promise<{ credit: number; holds: number }> {
  const ensure = async (name: string, displayName: string, mayGoNegative: 0 | 1) => {
    await sql.query(
      `INSERT INTO accounts (kind, name, display_name, currency, may_go_negative, created_at)
       VALUES ('system', $1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
      [name, displayName, currency, mayGoNegative, Date.now()],
    );
    const [row] = await sql.query<{ id: number }>('SELECT id FROM accounts WHERE name = $1', [
      name,
    ]);
    return row!.id;
  };
  // The bank's lending: its balance is minus what cardholders owe or hold.
  const credit = await ensure(cardSystemAccounts.credit, 'Card credit lent', 1);
  await sql.query('UPDATE accounts SET may_go_negative = 1 WHERE id = $1 AND may_go_negative = 0', [
    credit,
  ]);
  return { credit, holds: await ensure(cardSystemAccounts.holds, 'Card authorization holds', 0) };
}

/** What the card has lent or holds now: open holds plus captured money not credited back. */
async function usedBy(sql: Sql, cardId: number): Promise<number> {
  const usage = await one<{ used: number }>(
    sql,
    `SELECT coalesce(sum(CASE status WHEN 'authorized' THEN authorized
                                     WHEN 'captured' THEN captured - credited
                                     ELSE 0 END), 0) AS used
     FROM card_transactions WHERE card_id = $1`,
    [cardId],
  );
  return Number(usage?.used ?? 0);
}

const one = async <Row extends object>(
  sql: Sql,
  text: string,
  values: readonly unknown[],
): Promise<Row | undefined> => (await sql.query<Row>(text, values))[0];

export class PostgresCardStore implements CardStore {
  readonly #db: Sql;
  readonly #writes: PostgresWrites;
  readonly #system: { credit: number; holds: number };

  constructor(options: {
    db: Sql;
    writes: PostgresWrites;
    system: { credit: number; holds: number };
  }) {
    this.#db = options.db;
    this.#writes = options.writes;
    this.#system = options.system;
  }

  // --- issuer

  readonly issueCard: CardStore['issueCard'] = (card, ...reply) =>
    this.#writes.writeReply(card.createdAt, reply, async (sql) => {
      const row = await one<records.CardRow>(
        sql,
        `INSERT INTO cards (account_id, pan, expiry, currency, credit_limit, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        records.cardValues(card),
      );
      return records.toCard(row!);
    });

  async listCards(accountId: number): Promise<CardRecord[]> {
    const rows = await this.#db.query<records.CardRow>(
      'SELECT * FROM cards WHERE account_id = $1 ORDER BY id',
      [accountId],
    );
    return rows.map(records.toCard);
  }

  async findCardByPan(pan: string): Promise<CardRecord | undefined> {
    const row = await one<records.CardRow>(this.#db, 'SELECT * FROM cards WHERE pan = $1', [pan]);
    return row === undefined ? undefined : records.toCard(row);
  }

  // --- cardholder CA

  readonly insertRegistration: CardStore['insertRegistration'] = (registration, ...reply) =>
    this.#writes.writeReply(registration.createdAt, reply, async (sql) => {
      const taken = await sql.query('SELECT 1 FROM cardholder_registrations WHERE id = $1', [
        registration.id,
      ]);
      rules.checkRegistrationIdFree(taken.length > 0);
      // The card's row, locked, orders concurrent registrations of one card before they count.
      await sql.query('SELECT id FROM cards WHERE id = $1 FOR NO KEY UPDATE', [
        registration.cardId,
      ]);
      const [inForce] = await sql.query<{ n: number }>(
        `SELECT count(*) AS n FROM cardholder_registrations
         WHERE card_id = $1 AND revoked_at IS NULL AND not_after > $2`,
        [registration.cardId, registration.createdAt],
      );
      rules.checkRegistrationRoom(inForce?.n ?? 0);
      const row = await one<records.RegistrationRow>(
        sql,
        `INSERT INTO cardholder_registrations
         (id, account_id, card_id, public_key, serial, certificate, not_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        records.registrationValues(registration),
      );
      return records.toRegistration(row!);
    });

  async getRegistration(id: string): Promise<CardholderRegistrationRecord | undefined> {
    const row = await one<records.RegistrationRow>(
      this.#db,
      'SELECT * FROM cardholder_registrations WHERE id = $1',
      [id],
    );
    return row === undefined ? undefined : records.toRegistration(row);
  }

  revokeCardholderCertificate(serial: string, now: number): Promise<boolean> {
    return this.#writes.write(undefined, now, async (sql) => {
      const revoked = await sql.query(
        `UPDATE cardholder_registrations SET revoked_at = coalesce(revoked_at, $1)
         WHERE serial = $2 RETURNING 1`,
        [now, serial],
      );
      return revoked.length > 0;
    });
  }

  // --- gateway

  readonly authorize: CardStore['authorize'] = (a, ...reply) =>
    this.#writes.writeReply(a.now, reply, async (sql) => {
      const card = await one<records.CardRow>(
        sql,
        'SELECT * FROM cards WHERE pan = $1 FOR NO KEY UPDATE',
        [a.pan],
      );
      rules.checkCard(card, a);
      rules.checkCardholder(
        await one<records.RegistrationRow>(
          sql,
          'SELECT * FROM cardholder_registrations WHERE serial = $1',
          [a.cardholderSerial],
        ),
        card,
      );
      const seen = await sql.query(
        `SELECT 1 FROM card_transactions
         WHERE (merchant_id = $1 AND transaction_id = $2) OR pi_digest = $3`,
        [a.merchantId, a.transactionId, a.piDigest],
      );
      if (seen.length > 0) throw rules.transactionReplayed(a);
      rules.checkCredit(await usedBy(sql, card.id), card.credit_limit, a.amount);
      await postTransfer(sql, rules.authorizationTransfer(a, this.#system));
      const row = await one<records.TransactionRow>(
        sql,
        `INSERT INTO card_transactions (${rules.transactionColumns})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
        rules.transactionValues(a, card.id),
      );
      return records.toTransaction(row!);
    });

  readonly operate: CardStore['operate'] = (params, ...reply) => {
    const { merchantId, transactionId, operation: op, now } = params;
    return this.#writes.writeReply(now, reply, async (sql) => {
      const row = await one<records.TransactionRow>(
        sql,
        `SELECT * FROM card_transactions WHERE merchant_id = $1 AND transaction_id = $2
         FOR NO KEY UPDATE`,
        [merchantId, transactionId],
      );
      if (row === undefined) throw rules.unknownTransaction(transactionId);
      const t = records.toTransaction(row);
      const credit =
        op.type === 'credit' || op.type === 'credit-reversal'
          ? await one<rules.CreditRow>(
              sql,
              `SELECT amount, reversed_at FROM card_credits
               WHERE merchant_id = $1 AND transaction_id = $2 AND credit_id = $3`,
              [merchantId, transactionId, op.creditId],
            )
          : undefined;
      // A credit reversal lends again: under the card's row lock that authorizations take too.
      const card =
        op.type === 'credit-reversal' && credit !== undefined
          ? await one<{ credit_limit: number }>(
              sql,
              'SELECT credit_limit FROM cards WHERE id = $1 FOR NO KEY UPDATE',
              [t.cardId],
            )
          : undefined;
      const usage =
        card === undefined
          ? undefined
          : { used: await usedBy(sql, t.cardId), limit: Number(card.credit_limit) };
      const { next, ...transfer } = rules.cardStep(t, op, this.#system, credit, usage);
      await postTransfer(sql, { ...transfer, now });
      if (op.type === 'credit') {
        await sql.query(
          `INSERT INTO card_credits (merchant_id, transaction_id, credit_id, amount, created_at)
           VALUES ($1, $2, $3, $4, $5)`,
          [merchantId, transactionId, op.creditId, op.amount, now],
        );
      } else if (op.type === 'credit-reversal') {
        await sql.query(
          `UPDATE card_credits SET reversed_at = $1
           WHERE merchant_id = $2 AND transaction_id = $3 AND credit_id = $4`,
          [now, merchantId, transactionId, op.creditId],
        );
      }
      const updated = await one<records.TransactionRow>(
        sql,
        `UPDATE card_transactions SET status = $1, captured = $2, credited = $3, updated_at = $4
         WHERE merchant_id = $5 AND transaction_id = $6 RETURNING *`,
        [next.status, next.captured, next.credited, now, merchantId, transactionId],
      );
      return records.toTransaction(updated!);
    });
  };

  async getTransaction(
    merchantId: number,
    transactionId: string,
  ): Promise<CardTransactionRecord | undefined> {
    const row = await one<records.TransactionRow>(
      this.#db,
      'SELECT * FROM card_transactions WHERE merchant_id = $1 AND transaction_id = $2',
      [merchantId, transactionId],
    );
    return row === undefined ? undefined : records.toTransaction(row);
  }
}
