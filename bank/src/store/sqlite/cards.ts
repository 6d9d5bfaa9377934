/**
 * The card tables (migration 2) and the ledger postings of SET card payments; see
 * `card-store.ts` for how card credit is modelled. Every method runs inside the caller's
 * transaction.
 *
 * Only the SQL (and its locking) lives here: what an authorization checks and what an
 * operation posts and leaves are ../card-rules.ts's, shared by both stores.
 */

import * as records from '../card-rows.ts';
import * as rules from '../card-rules.ts';
import { type CardStore, cardSystemAccounts } from '../card-store.ts';
import type { SqliteArea } from './area.ts';

export class SqliteCardStore implements CardStore {
  readonly #area: SqliteArea;
  readonly #system: { credit: number; holds: number };
  readonly #sql;

  constructor(area: SqliteArea) {
    const { db, accounts } = area;
    this.#area = area;
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

  readonly issueCard: CardStore['issueCard'] = (card, ...reply) =>
    this.#area.writeReply(card.createdAt, reply, () => {
      const row = this.#sql.insertCard.get(...records.cardValues(card)) as records.CardRow;
      return records.toCard(row);
    });

  listCards(accountId: number) {
    return this.#area.read(() =>
      (this.#sql.cardsOf.all(accountId) as records.CardRow[]).map(records.toCard),
    );
  }

  findCardByPan(pan: string) {
    return this.#area.read(() => {
      const row = this.#sql.cardByPan.get(pan) as records.CardRow | undefined;
      return row === undefined ? undefined : records.toCard(row);
    });
  }

  // --- cardholder CA

  readonly insertRegistration: CardStore['insertRegistration'] = (registration, ...reply) =>
    this.#area.writeReply(registration.createdAt, reply, () => {
      rules.checkRegistrationIdFree(this.#sql.registration.get(registration.id) !== undefined);
      const { n } = this.#sql.registrationsInForce.get(
        registration.cardId,
        registration.createdAt,
      ) as { n: number };
      rules.checkRegistrationRoom(n);
      const row = this.#sql.insertRegistration.get(
        ...records.registrationValues(registration),
      ) as records.RegistrationRow;
      return records.toRegistration(row);
    });

  getRegistration(id: string) {
    return this.#area.read(() => {
      const row = this.#sql.registration.get(id) as records.RegistrationRow | undefined;
      return row === undefined ? undefined : records.toRegistration(row);
    });
  }

  revokeCardholderCertificate(serial: string, now: number): Promise<boolean> {
    return this.#area.write(undefined, now, () => this.#sql.revoke.run(now, serial).changes > 0);
  }

  // --- gateway

  readonly authorize: CardStore['authorize'] = (a, ...reply) =>
    this.#area.writeReply(a.now, reply, () => {
      const card = this.#sql.cardByPan.get(a.pan) as records.CardRow | undefined;
      rules.checkCard(card, a);
      rules.checkCardholder(
        this.#sql.registrationBySerial.get(a.cardholderSerial) as
          | records.RegistrationRow
          | undefined,
        card,
      );
      if (
        this.#sql.transaction.get(a.merchantId, a.transactionId) !== undefined ||
        this.#sql.transactionByPi.get(a.piDigest) !== undefined
      ) {
        throw rules.transactionReplayed(a);
      }
      rules.checkCredit(this.#usedBy(card.id), card.credit_limit, a.amount);
      this.#area.ledger.post(rules.authorizationTransfer(a, this.#system));
      const row = this.#sql.insertTransaction.get(
        ...rules.transactionValues(a, card.id),
      ) as records.TransactionRow;
      return records.toTransaction(row);
    });

  #usedBy(cardId: number): number {
    return (this.#sql.cardUsage.get(cardId) as { used: number }).used;
  }

  readonly operate: CardStore['operate'] = (params, ...reply) => {
    const { merchantId, transactionId, operation: op, now } = params;
    return this.#area.writeReply(now, reply, () => {
      const row = this.#sql.transaction.get(merchantId, transactionId) as
        | records.TransactionRow
        | undefined;
      if (row === undefined) throw rules.unknownTransaction(transactionId);
      const t = records.toTransaction(row);
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
      this.#area.ledger.post({ ...transfer, now });
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
      ) as records.TransactionRow;
      return records.toTransaction(updated);
    });
  };

  getTransaction(merchantId: number, transactionId: string) {
    return this.#area.read(() => {
      const row = this.#sql.transaction.get(merchantId, transactionId) as
        | records.TransactionRow
        | undefined;
      return row === undefined ? undefined : records.toTransaction(row);
    });
  }
}
