/**
 * What a SET card write does, given the rows it read: the checks an authorization passes, and
 * for an operation on a transaction (capture, reversals, credits) its checks, its ledger
 * transfer and the transaction's next state. sqlite/cards.ts and postgres/cards.ts read and
 * write the rows (each with its own locking) and call these, so the two apply one set of
 * rules; card-store.ts says how card credit is modelled.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { cardExpiresAt } from '@farthing/protocol/set/card-account';
import type { CardRow, RegistrationRow, TransactionRow } from './card-rows.ts';
import {
  type CardAuthorization,
  type CardOperation,
  type CardTransactionRecord,
  type CardTransactionStatus,
  maxRegistrationsPerCard,
  registrationLimitReached,
} from './card-store.ts';
import type { Posting } from './transfer.ts';

/** The ids of system:card-credit and system:card-holds. */
export interface CardSystemIds {
  readonly credit: number;
  readonly holds: number;
}

/** A registration id names one registration: `conflict` when `taken`. */
export function checkRegistrationIdFree(taken: boolean): void {
  if (taken) {
    throw new FarthingError('conflict', 'this registration id is taken; use a fresh one', {
      details: { field: 'registrationId' },
    });
  }
}

/** `card_registration_limit_reached` when the card has `inForce` certificates, its most. */
export function checkRegistrationRoom(inForce: number): void {
  if (inForce >= maxRegistrationsPerCard) throw registrationLimitReached();
}

/** The card named by an authorization: known, this expiry, not expired, its currency. */
export function checkCard(card: CardRow | undefined, a: CardAuthorization): asserts card {
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
}

/** The cardholder certificate an authorization names: this card's, not revoked. */
export function checkCardholder(registration: RegistrationRow | undefined, card: CardRow): void {
  if (registration === undefined || registration.card_id !== card.id) {
    throw new FarthingError(
      'set_cardholder_mismatch',
      'the cardholder certificate was not issued for this card',
    );
  }
  if (registration.revoked_at !== null) {
    throw new FarthingError('set_cardholder_revoked', 'the cardholder certificate is revoked');
  }
}

export function transactionReplayed(a: CardAuthorization): FarthingError {
  return new FarthingError(
    'set_transaction_replayed',
    'this payment was already authorized; a new purchase needs a new transaction',
    { details: { transactionId: a.transactionId } },
  );
}

/**
 * What the card has lent or holds now (`used`: open holds plus captured money not credited
 * back) must leave room for `amount` within its limit.
 */
export function checkCredit(used: number, limit: number, amount: number): void {
  if (used + amount > limit) {
    throw new FarthingError('card_over_limit', 'the card has not enough credit left', {
      details: { available: Math.max(0, limit - used) },
    });
  }
}

/** An authorization holds the amount, or for a sale pays the merchant at once. */
export function authorizationTransfer(a: CardAuthorization, system: CardSystemIds) {
  return {
    kind: a.capture ? 'card-sale' : 'card-authorization',
    reference: `${a.merchantId}:${a.transactionId}`,
    postings: move(system.credit, a.capture ? a.merchantId : system.holds, a.amount),
    now: a.now,
  };
}

/** The values of a new `card_transactions` row, in the order of `transactionColumns`. */
export const transactionColumns = `merchant_id, transaction_id, card_id, cardholder_serial,
  status, authorized, captured, oi_digest, pi_digest, created_at, updated_at`;
export const transactionValues = (a: CardAuthorization, cardId: number): unknown[] => [
  a.merchantId,
  a.transactionId,
  cardId,
  a.cardholderSerial,
  a.capture ? 'captured' : 'authorized',
  a.amount,
  a.capture ? a.amount : 0,
  a.oiDigest,
  a.piDigest,
  a.now,
  a.now,
];

export const unknownTransaction = (transactionId: string): FarthingError =>
  new FarthingError('set_unknown_transaction', 'no such card transaction', {
    details: { transactionId },
  });

/** A credit already given on a transaction, as `card_credits` keeps it. */
export interface CreditRow {
  readonly amount: number;
  readonly reversed_at: number | null;
}

/** What an operation does: the transfer it posts and the transaction's state after it. */
export interface CardStep {
  readonly kind: string;
  readonly reference: string;
  /** Without zero amounts (a capture of the whole hold returns nothing to credit). */
  readonly postings: Posting[];
  readonly next: Pick<TransactionRow, 'status' | 'captured' | 'credited'>;
}

/**
 * Checks one operation against the transaction's state and returns its step. `credit` is the
 * stored credit the operation names (credit and credit reversal); `card` what the card uses
 * and may use (a credit reversal lends the refunded money again, within the card's limit, as
 * an authorization does: the card may have spent it elsewhere meanwhile).
 */
export function cardStep(
  t: CardTransactionRecord,
  op: CardOperation,
  system: CardSystemIds,
  credit: CreditRow | undefined,
  card: { used: number; limit: number } | undefined,
): CardStep {
  const step = (kind: string, postings: Posting[], next: CardStep['next']): CardStep => ({
    kind,
    reference: `${t.merchantId}:${t.transactionId}`,
    postings: postings.filter((p) => p.amount !== 0),
    next,
  });
  switch (op.type) {
    case 'capture': {
      requireStatus(t, 'authorized');
      if (op.amount > t.authorized) {
        throw new FarthingError(
          'set_capture_exceeds_authorization',
          'the capture is above the authorized amount',
          { details: { authorized: t.authorized } },
        );
      }
      // The hold goes: the captured part to the merchant, the rest back to credit.
      return step(
        'card-capture',
        [
          { accountId: system.holds, amount: -t.authorized },
          { accountId: t.merchantId, amount: op.amount },
          { accountId: system.credit, amount: t.authorized - op.amount },
        ],
        { status: 'captured', captured: op.amount, credited: 0 },
      );
    }
    case 'authorization-reversal': {
      requireStatus(t, 'authorized');
      requireWhole(op.amount, t.authorized, 'authorized');
      return step('card-authorization-reversal', move(system.holds, system.credit, t.authorized), {
        status: 'reversed',
        captured: 0,
        credited: 0,
      });
    }
    case 'capture-reversal': {
      requireStatus(t, 'captured');
      requireWhole(op.amount, t.captured, 'captured');
      if (t.credited > 0) {
        throw new FarthingError(
          'set_credit_exceeds_capture',
          'part of this capture was credited back; reverse the credits first',
        );
      }
      return step('card-capture-reversal', move(t.merchantId, system.credit, t.captured), {
        status: 'capture_reversed',
        captured: 0,
        credited: 0,
      });
    }
    case 'credit': {
      requireStatus(t, 'captured');
      if (credit !== undefined) {
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
      return step('card-credit', move(t.merchantId, system.credit, op.amount), {
        status: t.status,
        captured: t.captured,
        credited: t.credited + op.amount,
      });
    }
    case 'credit-reversal': {
      if (credit === undefined) {
        throw new FarthingError('set_unknown_transaction', 'no such credit', {
          details: { creditId: op.creditId },
        });
      }
      if (credit.reversed_at !== null) {
        throw new FarthingError('set_credit_reversed', 'the credit was already reversed');
      }
      requireWhole(op.amount, credit.amount, 'credited');
      if (card === undefined) throw new Error('a credit reversal needs the card’s credit');
      checkCredit(card.used, card.limit, credit.amount);
      return step('card-credit-reversal', move(system.credit, t.merchantId, credit.amount), {
        status: t.status,
        captured: t.captured,
        credited: t.credited - credit.amount,
      });
    }
  }
}

/** Postings moving `amount` from one account to another. */
const move = (from: number, to: number, amount: number): Posting[] => [
  { accountId: from, amount: -amount },
  { accountId: to, amount },
];

function requireStatus(t: CardTransactionRecord, status: CardTransactionStatus): void {
  if (t.status === status) return;
  if (t.status === 'reversed' || t.status === 'capture_reversed') {
    throw new FarthingError('set_authorization_reversed', 'the payment was reversed');
  }
  if (t.status === 'captured') {
    throw new FarthingError('set_already_captured', 'the authorization was already captured');
  }
  throw new FarthingError('set_not_captured', 'the authorization has not been captured');
}

/** Reversals undo a whole step: the amount named must be the amount it moved. */
function requireWhole(requested: number, actual: number, what: string): void {
  if (requested !== actual) {
    throw new FarthingError('set_payment_mismatch', `a reversal undoes all that was ${what}`, {
      details: { expected: actual, got: requested },
    });
  }
}
