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
 * Long because it holds the whole card life: issuing cards, cardholder registrations and their
 * revocation, authorizations, and the operations on them (capture, reversal, credit), each with
 * its own ledger postings; the credit rules they share live in ../card-store.ts.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { cardExpiresAt } from '@farthing/protocol/set/card-account';
import {
  type CardAuthorization,
  type CardholderRegistrationRecord,
  type CardOperation,
  type CardRecord,
  type CardStore,
  type CardTransactionRecord,
  type CardTransactionStatus,
  cardSystemAccounts,
  maxRegistrationsPerCard,
  registrationLimitReached,
} from '../card-store.ts';
import {
  type CardRow,
  type RegistrationRow,
  type TransactionRow,
  toCard,
  toRegistration,
  toTransaction,
} from '../sqlite/card-rows.ts';
import type { IdempotencyClaim } from '../store.ts';
import type { Sql } from './database.ts';
import { postTransfer } from './ledger.ts';

/** Keys a concurrent request may claim first: the retry then finds the winner's row. */
export const cardClaimedKeys = [
  'card_transactions_pkey',
  'card_transactions_pi_digest_key',
  'cardholder_registrations_pkey',
];

type Write = <R>(
  claim: IdempotencyClaim | undefined,
  now: number,
  work: (sql: Sql) => Promise<R>,
) => Promise<R>;

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

const one = async <Row extends object>(
  sql: Sql,
  text: string,
  values: readonly unknown[],
): Promise<Row | undefined> => (await sql.query<Row>(text, values))[0];

export class PostgresCardStore implements CardStore {
  readonly #db: Sql;
  readonly #write: Write;
  readonly #system: { credit: number; holds: number };

  constructor(options: { db: Sql; write: Write; system: { credit: number; holds: number } }) {
    this.#db = options.db;
    this.#write = options.write;
    this.#system = options.system;
  }

  // --- issuer

  issueCard<R>(
    card: Omit<CardRecord, 'id'>,
    render: (card: CardRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, card.createdAt, async (sql) => {
      const row = await one<CardRow>(
        sql,
        `INSERT INTO cards (account_id, pan, expiry, currency, credit_limit, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [card.accountId, card.pan, card.expiry, card.currency, card.creditLimit, card.createdAt],
      );
      return render(toCard(row!));
    });
  }

  async listCards(accountId: number): Promise<CardRecord[]> {
    const rows = await this.#db.query<CardRow>(
      'SELECT * FROM cards WHERE account_id = $1 ORDER BY id',
      [accountId],
    );
    return rows.map(toCard);
  }

  async findCardByPan(pan: string): Promise<CardRecord | undefined> {
    const row = await one<CardRow>(this.#db, 'SELECT * FROM cards WHERE pan = $1', [pan]);
    return row === undefined ? undefined : toCard(row);
  }

  // --- cardholder CA

  insertRegistration<R>(
    registration: Omit<CardholderRegistrationRecord, 'revokedAt'>,
    render: (registration: CardholderRegistrationRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, registration.createdAt, async (sql) => {
      const taken = await sql.query('SELECT 1 FROM cardholder_registrations WHERE id = $1', [
        registration.id,
      ]);
      if (taken.length > 0) {
        throw new FarthingError('conflict', 'this registration id is taken; use a fresh one', {
          details: { field: 'registrationId' },
        });
      }
      // The card's row, locked, orders concurrent registrations of one card before they count.
      await sql.query('SELECT id FROM cards WHERE id = $1 FOR NO KEY UPDATE', [
        registration.cardId,
      ]);
      const [inForce] = await sql.query<{ n: number }>(
        `SELECT count(*) AS n FROM cardholder_registrations
         WHERE card_id = $1 AND revoked_at IS NULL AND not_after > $2`,
        [registration.cardId, registration.createdAt],
      );
      if ((inForce?.n ?? 0) >= maxRegistrationsPerCard) throw registrationLimitReached();
      const row = await one<RegistrationRow>(
        sql,
        `INSERT INTO cardholder_registrations
         (id, account_id, card_id, public_key, serial, certificate, not_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [
          registration.id,
          registration.accountId,
          registration.cardId,
          registration.publicKey,
          registration.serial,
          registration.certificate,
          registration.notAfter,
          registration.createdAt,
        ],
      );
      return render(toRegistration(row!));
    });
  }

  async getRegistration(id: string): Promise<CardholderRegistrationRecord | undefined> {
    const row = await one<RegistrationRow>(
      this.#db,
      'SELECT * FROM cardholder_registrations WHERE id = $1',
      [id],
    );
    return row === undefined ? undefined : toRegistration(row);
  }

  revokeCardholderCertificate(serial: string, now: number): Promise<boolean> {
    return this.#write(undefined, now, async (sql) => {
      const revoked = await sql.query(
        `UPDATE cardholder_registrations SET revoked_at = coalesce(revoked_at, $1)
         WHERE serial = $2 RETURNING 1`,
        [now, serial],
      );
      return revoked.length > 0;
    });
  }

  // --- gateway

  authorize<R>(
    a: CardAuthorization,
    render: (transaction: CardTransactionRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, a.now, async (sql) => {
      const card = await one<CardRow>(sql, 'SELECT * FROM cards WHERE pan = $1 FOR NO KEY UPDATE', [
        a.pan,
      ]);
      if (card === undefined) {
        throw new FarthingError('card_unknown', 'this bank did not issue that card');
      }
      if (card.expiry !== a.expiry) {
        throw new FarthingError('card_invalid', 'the expiry does not match the card');
      }
      if (cardExpiresAt(card.expiry) <= a.now) {
        throw new FarthingError('card_expired', 'the card has expired');
      }
      if (card.currency !== a.currency) {
        throw new FarthingError('currency_mismatch', `the card is in ${card.currency}`);
      }
      const registration = await one<RegistrationRow>(
        sql,
        'SELECT * FROM cardholder_registrations WHERE serial = $1',
        [a.cardholderSerial],
      );
      if (registration === undefined || registration.card_id !== card.id) {
        throw new FarthingError(
          'set_cardholder_mismatch',
          'the cardholder certificate was not issued for this card',
        );
      }
      if (registration.revoked_at !== null) {
        throw new FarthingError('set_cardholder_revoked', 'the cardholder certificate is revoked');
      }
      const seen = await sql.query(
        `SELECT 1 FROM card_transactions
         WHERE (merchant_id = $1 AND transaction_id = $2) OR pi_digest = $3`,
        [a.merchantId, a.transactionId, a.piDigest],
      );
      if (seen.length > 0) {
        throw new FarthingError(
          'set_transaction_replayed',
          'this payment was already authorized; a new purchase needs a new transaction',
          { details: { transactionId: a.transactionId } },
        );
      }
      // What the card has lent or holds now: open holds plus captured money not credited back.
      const usage = await one<{ used: number }>(
        sql,
        `SELECT coalesce(sum(CASE status WHEN 'authorized' THEN authorized
                                         WHEN 'captured' THEN captured - credited
                                         ELSE 0 END), 0) AS used
         FROM card_transactions WHERE card_id = $1`,
        [card.id],
      );
      const used = usage?.used ?? 0;
      if (used + a.amount > card.credit_limit) {
        throw new FarthingError('card_over_limit', 'the card has not enough credit left', {
          details: { available: Math.max(0, card.credit_limit - used) },
        });
      }
      await postTransfer(sql, {
        kind: a.capture ? 'card-sale' : 'card-authorization',
        reference: `${a.merchantId}:${a.transactionId}`,
        postings: [
          { accountId: this.#system.credit, amount: -a.amount },
          { accountId: a.capture ? a.merchantId : this.#system.holds, amount: a.amount },
        ],
        now: a.now,
      });
      const row = await one<TransactionRow>(
        sql,
        `INSERT INTO card_transactions (merchant_id, transaction_id, card_id, cardholder_serial,
           status, authorized, captured, oi_digest, pi_digest, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *`,
        [
          a.merchantId,
          a.transactionId,
          card.id,
          a.cardholderSerial,
          a.capture ? 'captured' : 'authorized',
          a.amount,
          a.capture ? a.amount : 0,
          a.oiDigest,
          a.piDigest,
          a.now,
        ],
      );
      return render(toTransaction(row!));
    });
  }

  operate<R>(
    params: {
      readonly merchantId: number;
      readonly transactionId: string;
      readonly operation: CardOperation;
      readonly now: number;
    },
    render: (transaction: CardTransactionRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    const { merchantId, transactionId, operation, now } = params;
    return this.#write(idempotency, now, async (sql) => {
      const row = await one<TransactionRow>(
        sql,
        `SELECT * FROM card_transactions WHERE merchant_id = $1 AND transaction_id = $2
         FOR NO KEY UPDATE`,
        [merchantId, transactionId],
      );
      if (row === undefined) {
        throw new FarthingError('set_unknown_transaction', 'no such card transaction', {
          details: { transactionId },
        });
      }
      const next = await this.#apply(sql, toTransaction(row), operation, now);
      const updated = await one<TransactionRow>(
        sql,
        `UPDATE card_transactions SET status = $1, captured = $2, credited = $3, updated_at = $4
         WHERE merchant_id = $5 AND transaction_id = $6 RETURNING *`,
        [next.status, next.captured, next.credited, now, merchantId, transactionId],
      );
      return render(toTransaction(updated!));
    });
  }

  /** Checks one operation against the transaction's state, posts its transfer, returns the
   * new state (the same rules as ../sqlite/cards.ts). */
  async #apply(sql: Sql, t: CardTransactionRecord, op: CardOperation, now: number) {
    const reference = `${t.merchantId}:${t.transactionId}`;
    const post = (kind: string, postings: { accountId: number; amount: number }[]) =>
      postTransfer(sql, { kind, reference, postings: postings.filter((p) => p.amount !== 0), now });
    const requireStatus = (status: CardTransactionStatus) => {
      if (t.status === status) return;
      if (t.status === 'reversed' || t.status === 'capture_reversed') {
        throw new FarthingError('set_authorization_reversed', 'the payment was reversed');
      }
      if (t.status === 'captured') {
        throw new FarthingError('set_already_captured', 'the authorization was already captured');
      }
      throw new FarthingError('set_not_captured', 'the authorization has not been captured');
    };
    const credit = (creditId: string) =>
      one<{ amount: number; reversed_at: number | null }>(
        sql,
        `SELECT amount, reversed_at FROM card_credits
         WHERE merchant_id = $1 AND transaction_id = $2 AND credit_id = $3`,
        [t.merchantId, t.transactionId, creditId],
      );
    switch (op.type) {
      case 'capture': {
        requireStatus('authorized');
        if (op.amount > t.authorized) {
          throw new FarthingError(
            'set_capture_exceeds_authorization',
            'the capture is above the authorized amount',
            { details: { authorized: t.authorized } },
          );
        }
        // The hold goes: the captured part to the merchant, the rest back to credit.
        await post('card-capture', [
          { accountId: this.#system.holds, amount: -t.authorized },
          { accountId: t.merchantId, amount: op.amount },
          { accountId: this.#system.credit, amount: t.authorized - op.amount },
        ]);
        return { status: 'captured' as const, captured: op.amount, credited: 0 };
      }
      case 'authorization-reversal': {
        requireStatus('authorized');
        requireWhole(op.amount, t.authorized, 'authorized');
        await post('card-authorization-reversal', [
          { accountId: this.#system.holds, amount: -t.authorized },
          { accountId: this.#system.credit, amount: t.authorized },
        ]);
        return { status: 'reversed' as const, captured: 0, credited: 0 };
      }
      case 'capture-reversal': {
        requireStatus('captured');
        requireWhole(op.amount, t.captured, 'captured');
        if (t.credited > 0) {
          throw new FarthingError(
            'set_credit_exceeds_capture',
            'part of this capture was credited back; reverse the credits first',
          );
        }
        await post('card-capture-reversal', [
          { accountId: t.merchantId, amount: -t.captured },
          { accountId: this.#system.credit, amount: t.captured },
        ]);
        return { status: 'capture_reversed' as const, captured: 0, credited: 0 };
      }
      case 'credit': {
        requireStatus('captured');
        if ((await credit(op.creditId)) !== undefined) {
          throw new FarthingError('conflict', 'this credit id was already used', {
            details: { creditId: op.creditId },
          });
        }
        if (t.credited + op.amount > t.captured) {
          throw new FarthingError(
            'set_credit_exceeds_capture',
            'the credits would exceed what was captured',
            { details: { captured: t.captured, credited: t.credited } },
          );
        }
        await post('card-credit', [
          { accountId: t.merchantId, amount: -op.amount },
          { accountId: this.#system.credit, amount: op.amount },
        ]);
        await sql.query(
          `INSERT INTO card_credits (merchant_id, transaction_id, credit_id, amount, created_at)
           VALUES ($1, $2, $3, $4, $5)`,
          [t.merchantId, t.transactionId, op.creditId, op.amount, now],
        );
        return { status: t.status, captured: t.captured, credited: t.credited + op.amount };
      }
      case 'credit-reversal': {
        const found = await credit(op.creditId);
        if (found === undefined) {
          throw new FarthingError('set_unknown_transaction', 'no such credit', {
            details: { creditId: op.creditId },
          });
        }
        if (found.reversed_at !== null) {
          throw new FarthingError('set_credit_reversed', 'the credit was already reversed');
        }
        requireWhole(op.amount, found.amount, 'credited');
        // Taking a refund back lends the card that money again: within its limit, as an
        // authorization is, under the card's row lock that authorizations take too.
        const card = await one<{ credit_limit: number }>(
          sql,
          'SELECT credit_limit FROM cards WHERE id = $1 FOR NO KEY UPDATE',
          [t.cardId],
        );
        const usage = await one<{ used: number }>(
          sql,
          `SELECT coalesce(sum(CASE status WHEN 'authorized' THEN authorized
                                           WHEN 'captured' THEN captured - credited
                                           ELSE 0 END), 0) AS used
           FROM card_transactions WHERE card_id = $1`,
          [t.cardId],
        );
        const used = Number(usage?.used ?? 0);
        const limit = Number(card!.credit_limit);
        if (used + found.amount > limit) {
          throw new FarthingError('card_over_limit', 'the card has not enough credit left', {
            details: { available: Math.max(0, limit - used) },
          });
        }
        await post('card-credit-reversal', [
          { accountId: this.#system.credit, amount: -found.amount },
          { accountId: t.merchantId, amount: found.amount },
        ]);
        await sql.query(
          `UPDATE card_credits SET reversed_at = $1
           WHERE merchant_id = $2 AND transaction_id = $3 AND credit_id = $4`,
          [now, t.merchantId, t.transactionId, op.creditId],
        );
        return { status: t.status, captured: t.captured, credited: t.credited - found.amount };
      }
    }
  }

  async getTransaction(
    merchantId: number,
    transactionId: string,
  ): Promise<CardTransactionRecord | undefined> {
    const row = await one<TransactionRow>(
      this.#db,
      'SELECT * FROM card_transactions WHERE merchant_id = $1 AND transaction_id = $2',
      [merchantId, transactionId],
    );
    return row === undefined ? undefined : toTransaction(row);
  }
}

/** Reversals undo a whole step: the amount named must be the amount it moved. */
function requireWhole(requested: number, actual: number, what: string): void {
  if (requested !== actual) {
    throw new FarthingError('set_payment_mismatch', `a reversal undoes all that was ${what}`, {
      details: { expected: actual, got: requested },
    });
  }
}
