/**
 * The card tables (migration 2) and the ledger postings of SET card payments; see
 * `card-store.ts` for how card credit is modelled. Every method runs inside the caller's
 * transaction.
 *
 * Only the SQL (and its locking) lives here: what an authorization checks and what an
 * operation posts and leaves are ../card-rules.ts's, shared by both stores.
 */

import { FarthingError } from '@farthing/protocol/errors';
import * as rules from '../card-rules.ts';
import {
  type CardStore,
  cardSystemAccounts,
  maxRegistrationsPerCard,
  registrationLimitReached,
} from '../card-store.ts';
import type { SqliteArea } from './area.ts';
import {
  type CardRow,
  type RegistrationRow,
  type TransactionRow,
  toCard,
  toRegistration,
  toTransaction,
} from './card-rows.ts';
import type { Ledger } from './ledger.ts';

export class SqliteCardStore implements CardStore {
  readonly #ledger: Ledger;
  readonly #write: SqliteArea['write'];
  readonly #read: SqliteArea['read'];
  readonly #system: { credit: number; holds: number };
  readonly #sql;

  constructor(area: SqliteArea) {
    const { db, accounts } = area;
    this.#ledger = area.ledger;
    this.#write = area.write;
    this.#read = area.read;
    this.#system = db.transaction(() => {
      const ensure = (name: string, displayName: string) =>
        accounts.ensureSystem(name, displayName, area.currency);
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
        `INSERT INTO card_transactions (${rules.transactionColumns})
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

  readonly issueCard: CardStore['issueCard'] = (card, render, idempotency) =>
    this.#write(idempotency, card.createdAt, () => {
      const row = this.#sql.insertCard.get(
        card.accountId,
        card.pan,
        card.expiry,
        card.currency,
        card.creditLimit,
        card.createdAt,
      ) as CardRow;
      return render(toCard(row));
    });

  listCards(accountId: number) {
    return this.#read(() => (this.#sql.cardsOf.all(accountId) as CardRow[]).map(toCard));
  }

  findCardByPan(pan: string) {
    return this.#read(() => {
      const row = this.#sql.cardByPan.get(pan) as CardRow | undefined;
      return row === undefined ? undefined : toCard(row);
    });
  }

  // --- cardholder CA

  readonly insertRegistration: CardStore['insertRegistration'] = (
    registration,
    render,
    idempotency,
  ) =>
    this.#write(idempotency, registration.createdAt, () => {
      if (this.#sql.registration.get(registration.id) !== undefined) {
        throw new FarthingError('conflict', 'this registration id is taken; use a fresh one', {
          details: { field: 'registrationId' },
        });
      }
      const { n } = this.#sql.registrationsInForce.get(
        registration.cardId,
        registration.createdAt,
      ) as { n: number };
      if (n >= maxRegistrationsPerCard) throw registrationLimitReached();
      const row = this.#sql.insertRegistration.get(
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

  getRegistration(id: string) {
    return this.#read(() => {
      const row = this.#sql.registration.get(id) as RegistrationRow | undefined;
      return row === undefined ? undefined : toRegistration(row);
    });
  }

  revokeCardholderCertificate(serial: string, now: number): Promise<boolean> {
    return this.#write(undefined, now, () => this.#sql.revoke.run(now, serial).changes > 0);
  }

  // --- gateway

  readonly authorize: CardStore['authorize'] = (a, render, idempotency) =>
    this.#write(idempotency, a.now, () => {
      const card = this.#sql.cardByPan.get(a.pan) as CardRow | undefined;
      rules.checkCard(card, a);
      rules.checkCardholder(
        this.#sql.registrationBySerial.get(a.cardholderSerial) as RegistrationRow | undefined,
        card,
      );
      if (
        this.#sql.transaction.get(a.merchantId, a.transactionId) !== undefined ||
        this.#sql.transactionByPi.get(a.piDigest) !== undefined
      ) {
        throw rules.transactionReplayed(a);
      }
      rules.checkCredit(this.#usedBy(card.id), card.credit_limit, a.amount);
      this.#ledger.post(rules.authorizationTransfer(a, this.#system));
      const row = this.#sql.insertTransaction.get(
        ...rules.transactionValues(a, card.id),
      ) as TransactionRow;
      return render(toTransaction(row));
    });

  #usedBy(cardId: number): number {
    return (this.#sql.cardUsage.get(cardId) as { used: number }).used;
  }

  readonly operate: CardStore['operate'] = (params, render, idempotency) => {
    const { merchantId, transactionId, operation: op, now } = params;
    return this.#write(idempotency, now, () => {
      const row = this.#sql.transaction.get(merchantId, transactionId) as
        | TransactionRow
        | undefined;
      if (row === undefined) throw rules.unknownTransaction(transactionId);
      const t = toTransaction(row);
      const credit =
        op.type === 'credit' || op.type === 'credit-reversal'
          ? (this.#sql.credit.get(merchantId, transactionId, op.creditId) as
              | rules.CreditRow
              | undefined)
          : undefined;
      const card =
        op.type === 'credit-reversal'
          ? {
              used: this.#usedBy(t.cardId),
              limit: (this.#sql.cardLimit.get(t.cardId) as { credit_limit: number }).credit_limit,
            }
          : undefined;
      const { next, ...transfer } = rules.cardStep(t, op, this.#system, credit, card);
      this.#ledger.post({ ...transfer, now });
      if (op.type === 'credit') {
        this.#sql.insertCredit.run(merchantId, transactionId, op.creditId, op.amount, now);
      } else if (op.type === 'credit-reversal') {
        this.#sql.reverseCredit.run(now, merchantId, transactionId, op.creditId);
      }
      const updated = this.#sql.updateTransaction.get(
        next.status,
        next.captured,
        next.credited,
        now,
        merchantId,
        transactionId,
      ) as TransactionRow;
      return render(toTransaction(updated));
    });
  };

  getTransaction(merchantId: number, transactionId: string) {
    return this.#read(() => {
      const row = this.#sql.transaction.get(merchantId, transactionId) as
        | TransactionRow
        | undefined;
      return row === undefined ? undefined : toTransaction(row);
    });
  }
}
