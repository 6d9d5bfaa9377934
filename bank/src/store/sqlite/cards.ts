/**
 * The card tables (migration 2) and the ledger postings of SET card payments; see
 * `card-store.ts` for how card credit is modelled. Every method runs inside the caller's
 * transaction.
 *
 * Long because it holds the whole card life: issuing cards, cardholder registrations and their
 * revocation, authorizations, and the operations on them (capture, reversal, credit), each with
 * its own ledger postings; the credit rules they share live in ../card-store.ts.
 */

import { FarthingError } from '@farthing/protocol/errors';
import { cardExpiresAt } from '@farthing/protocol/set/card-account';
import type Database from 'better-sqlite3';
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
import type { IdempotencyClaim } from '../store.ts';
import type { Accounts } from './accounts.ts';
import {
  type CardRow,
  type RegistrationRow,
  type TransactionRow,
  toCard,
  toRegistration,
  toTransaction,
} from './card-rows.ts';
import type { Ledger } from './ledger.ts';

type Write = <R>(claim: IdempotencyClaim | undefined, now: number, work: () => R) => Promise<R>;
type Read = <R>(query: () => R) => Promise<R>;

export class SqliteCardStore implements CardStore {
  readonly #ledger: Ledger;
  readonly #write: Write;
  readonly #read: Read;
  readonly #system: { credit: number; holds: number };
  readonly #sql: Record<string, Database.Statement>;

  constructor(options: {
    db: Database.Database;
    accounts: Accounts;
    ledger: Ledger;
    currency: string;
    write: Write;
    read: Read;
  }) {
    const { db, accounts } = options;
    this.#ledger = options.ledger;
    this.#write = options.write;
    this.#read = options.read;
    this.#system = db.transaction(() => {
      const ensure = (name: string, displayName: string) =>
        (
          accounts.byName(name) ??
          accounts.create({
            kind: 'system',
            name,
            displayName,
            currency: options.currency,
            now: Date.now(),
          })
        ).id;
      const ids = {
        credit: ensure(cardSystemAccounts.credit, 'Card credit lent'),
        holds: ensure(cardSystemAccounts.holds, 'Card authorization holds'),
      };
      // The bank's lending: its balance is minus what cardholders owe or hold.
      db.prepare('UPDATE accounts SET may_go_negative = 1 WHERE id = ?').run(ids.credit);
      return ids;
    })();
    this.#sql = {
      insertCard: db.prepare(
        `INSERT INTO cards (account_id, pan, expiry, currency, credit_limit, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      cardsOf: db.prepare('SELECT * FROM cards WHERE account_id = ? ORDER BY id'),
      cardByPan: db.prepare('SELECT * FROM cards WHERE pan = ?'),
      insertRegistration: db.prepare(
        `INSERT INTO cardholder_registrations
         (id, account_id, card_id, public_key, serial, certificate, not_after, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      registration: db.prepare('SELECT * FROM cardholder_registrations WHERE id = ?'),
      registrationsInForce: db.prepare(
        `SELECT count(*) AS n FROM cardholder_registrations
         WHERE card_id = ? AND revoked_at IS NULL AND not_after > ?`,
      ),
      registrationBySerial: db.prepare('SELECT * FROM cardholder_registrations WHERE serial = ?'),
      revoke: db.prepare(
        'UPDATE cardholder_registrations SET revoked_at = coalesce(revoked_at, ?) WHERE serial = ?',
      ),
      // What the card has lent or holds now: open holds plus captured money not credited back.
      cardUsage: db.prepare(
        `SELECT coalesce(sum(CASE status WHEN 'authorized' THEN authorized
                                         WHEN 'captured' THEN captured - credited
                                         ELSE 0 END), 0) AS used
         FROM card_transactions WHERE card_id = ?`,
      ),
      transaction: db.prepare(
        'SELECT * FROM card_transactions WHERE merchant_id = ? AND transaction_id = ?',
      ),
      cardLimit: db.prepare('SELECT credit_limit FROM cards WHERE id = ?'),
      transactionByPi: db.prepare('SELECT 1 FROM card_transactions WHERE pi_digest = ?'),
      insertTransaction: db.prepare(
        `INSERT INTO card_transactions (merchant_id, transaction_id, card_id, cardholder_serial,
           status, authorized, captured, oi_digest, pi_digest, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      updateTransaction: db.prepare(
        `UPDATE card_transactions SET status = ?, captured = ?, credited = ?, updated_at = ?
         WHERE merchant_id = ? AND transaction_id = ? RETURNING *`,
      ),
      credit: db.prepare(
        'SELECT * FROM card_credits WHERE merchant_id = ? AND transaction_id = ? AND credit_id = ?',
      ),
      insertCredit: db.prepare(
        `INSERT INTO card_credits (merchant_id, transaction_id, credit_id, amount, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      reverseCredit: db.prepare(
        `UPDATE card_credits SET reversed_at = ?
         WHERE merchant_id = ? AND transaction_id = ? AND credit_id = ?`,
      ),
    };
  }

  // --- issuer

  issueCard<R>(
    card: Omit<CardRecord, 'id'>,
    render: (card: CardRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, card.createdAt, () => {
      const row = this.#sql.insertCard!.get(
        card.accountId,
        card.pan,
        card.expiry,
        card.currency,
        card.creditLimit,
        card.createdAt,
      ) as CardRow;
      return render(toCard(row));
    });
  }

  listCards(accountId: number) {
    return this.#read(() => (this.#sql.cardsOf!.all(accountId) as CardRow[]).map(toCard));
  }

  findCardByPan(pan: string) {
    return this.#read(() => {
      const row = this.#sql.cardByPan!.get(pan) as CardRow | undefined;
      return row === undefined ? undefined : toCard(row);
    });
  }

  // --- cardholder CA

  insertRegistration<R>(
    registration: Omit<CardholderRegistrationRecord, 'revokedAt'>,
    render: (registration: CardholderRegistrationRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, registration.createdAt, () => {
      if (this.#sql.registration!.get(registration.id) !== undefined) {
        throw new FarthingError('conflict', 'this registration id is taken; use a fresh one', {
          details: { field: 'registrationId' },
        });
      }
      const { n } = this.#sql.registrationsInForce!.get(
        registration.cardId,
        registration.createdAt,
      ) as { n: number };
      if (n >= maxRegistrationsPerCard) throw registrationLimitReached();
      const row = this.#sql.insertRegistration!.get(
        registration.id,
        registration.accountId,
        registration.cardId,
        registration.publicKey,
        registration.serial,
        registration.certificate,
        registration.notAfter,
        registration.createdAt,
      ) as RegistrationRow;
      return render(toRegistration(row));
    });
  }

  getRegistration(id: string) {
    return this.#read(() => {
      const row = this.#sql.registration!.get(id) as RegistrationRow | undefined;
      return row === undefined ? undefined : toRegistration(row);
    });
  }

  revokeCardholderCertificate(serial: string, now: number): Promise<boolean> {
    return this.#write(undefined, now, () => this.#sql.revoke!.run(now, serial).changes > 0);
  }

  // --- gateway

  authorize<R>(
    a: CardAuthorization,
    render: (transaction: CardTransactionRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, a.now, () => {
      const card = this.#sql.cardByPan!.get(a.pan) as CardRow | undefined;
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
      const registration = this.#sql.registrationBySerial!.get(a.cardholderSerial) as
        | RegistrationRow
        | undefined;
      if (registration === undefined || registration.card_id !== card.id) {
        throw new FarthingError(
          'set_cardholder_mismatch',
          'the cardholder certificate was not issued for this card',
        );
      }
      if (registration.revoked_at !== null) {
        throw new FarthingError('set_cardholder_revoked', 'the cardholder certificate is revoked');
      }
      if (
        this.#sql.transaction!.get(a.merchantId, a.transactionId) !== undefined ||
        this.#sql.transactionByPi!.get(a.piDigest) !== undefined
      ) {
        throw new FarthingError(
          'set_transaction_replayed',
          'this payment was already authorized; a new purchase needs a new transaction',
          { details: { transactionId: a.transactionId } },
        );
      }
      const { used } = this.#sql.cardUsage!.get(card.id) as { used: number };
      if (used + a.amount > card.credit_limit) {
        throw new FarthingError('card_over_limit', 'the card has not enough credit left', {
          details: { available: Math.max(0, card.credit_limit - used) },
        });
      }
      const reference = `${a.merchantId}:${a.transactionId}`;
      this.#ledger.post({
        kind: a.capture ? 'card-sale' : 'card-authorization',
        reference,
        postings: [
          { accountId: this.#system.credit, amount: -a.amount },
          { accountId: a.capture ? a.merchantId : this.#system.holds, amount: a.amount },
        ],
        now: a.now,
      });
      const row = this.#sql.insertTransaction!.get(
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
        a.now,
      ) as TransactionRow;
      return render(toTransaction(row));
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
    return this.#write(idempotency, now, () => {
      const row = this.#sql.transaction!.get(merchantId, transactionId) as
        | TransactionRow
        | undefined;
      if (row === undefined) {
        throw new FarthingError('set_unknown_transaction', 'no such card transaction', {
          details: { transactionId },
        });
      }
      const next = this.#apply(toTransaction(row), operation, now);
      const updated = this.#sql.updateTransaction!.get(
        next.status,
        next.captured,
        next.credited,
        now,
        merchantId,
        transactionId,
      ) as TransactionRow;
      return render(toTransaction(updated));
    });
  }

  /** Checks one operation against the transaction's state, posts its transfer, returns the
   * new state. */
  #apply(t: CardTransactionRecord, op: CardOperation, now: number) {
    const reference = `${t.merchantId}:${t.transactionId}`;
    const post = (kind: string, postings: { accountId: number; amount: number }[]) =>
      this.#ledger.post({
        kind,
        reference,
        postings: postings.filter((p) => p.amount !== 0),
        now,
      });
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
        post('card-capture', [
          { accountId: this.#system.holds, amount: -t.authorized },
          { accountId: t.merchantId, amount: op.amount },
          { accountId: this.#system.credit, amount: t.authorized - op.amount },
        ]);
        return { status: 'captured' as const, captured: op.amount, credited: 0 };
      }
      case 'authorization-reversal': {
        requireStatus('authorized');
        this.#requireWhole(op.amount, t.authorized, 'authorized');
        post('card-authorization-reversal', [
          { accountId: this.#system.holds, amount: -t.authorized },
          { accountId: this.#system.credit, amount: t.authorized },
        ]);
        return { status: 'reversed' as const, captured: 0, credited: 0 };
      }
      case 'capture-reversal': {
        requireStatus('captured');
        this.#requireWhole(op.amount, t.captured, 'captured');
        if (t.credited > 0) {
          throw new FarthingError(
            'set_credit_exceeds_capture',
            'part of this capture was credited back; reverse the credits first',
          );
        }
        post('card-capture-reversal', [
          { accountId: t.merchantId, amount: -t.captured },
          { accountId: this.#system.credit, amount: t.captured },
        ]);
        return { status: 'capture_reversed' as const, captured: 0, credited: 0 };
      }
      case 'credit': {
        requireStatus('captured');
        if (this.#sql.credit!.get(t.merchantId, t.transactionId, op.creditId) !== undefined) {
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
        post('card-credit', [
          { accountId: t.merchantId, amount: -op.amount },
          { accountId: this.#system.credit, amount: op.amount },
        ]);
        this.#sql.insertCredit!.run(t.merchantId, t.transactionId, op.creditId, op.amount, now);
        return { status: t.status, captured: t.captured, credited: t.credited + op.amount };
      }
      case 'credit-reversal': {
        const credit = this.#sql.credit!.get(t.merchantId, t.transactionId, op.creditId) as
          | { amount: number; reversed_at: number | null }
          | undefined;
        if (credit === undefined) {
          throw new FarthingError('set_unknown_transaction', 'no such credit', {
            details: { creditId: op.creditId },
          });
        }
        if (credit.reversed_at !== null) {
          throw new FarthingError('set_credit_reversed', 'the credit was already reversed');
        }
        this.#requireWhole(op.amount, credit.amount, 'credited');
        // Taking a refund back lends the card that money again: within its limit, as an
        // authorization is (the card may have spent the refunded credit elsewhere meanwhile).
        const { used } = this.#sql.cardUsage!.get(t.cardId) as { used: number };
        const { credit_limit: limit } = this.#sql.cardLimit!.get(t.cardId) as {
          credit_limit: number;
        };
        if (used + credit.amount > limit) {
          throw new FarthingError('card_over_limit', 'the card has not enough credit left', {
            details: { available: Math.max(0, limit - used) },
          });
        }
        post('card-credit-reversal', [
          { accountId: this.#system.credit, amount: -credit.amount },
          { accountId: t.merchantId, amount: credit.amount },
        ]);
        this.#sql.reverseCredit!.run(now, t.merchantId, t.transactionId, op.creditId);
        return { status: t.status, captured: t.captured, credited: t.credited - credit.amount };
      }
    }
  }

  /** Reversals undo a whole step: the amount named must be the amount it moved. */
  #requireWhole(requested: number, actual: number, what: string) {
    if (requested !== actual) {
      throw new FarthingError('set_payment_mismatch', `a reversal undoes all that was ${what}`, {
        details: { expected: actual, got: requested },
      });
    }
  }

  getTransaction(merchantId: number, transactionId: string) {
    return this.#read(() => {
      const row = this.#sql.transaction!.get(merchantId, transactionId) as
        | TransactionRow
        | undefined;
      return row === undefined ? undefined : toTransaction(row);
    });
  }
}
