/**
 * Storage for SET card payments (bank/src/card/): the issuer's cards, cardholder
 * registrations, and the gateway's transactions. Like the rest of `BankStore`, each write is
 * one transaction that changes the state and posts the ledger entries paying for it, or
 * changes nothing; a write with an `IdempotencyClaim` stores its rendered result under it.
 *
 * Card credit is money the bank lends, so it cannot come from the customer's balance. Two
 * system accounts model it (sqlite/cards.ts):
 *
 *   system:card-credit  the bank's lending; the only account besides system:issued that may go
 *                       negative. Its balance is minus everything cardholders owe or have on
 *                       hold: an authorization moves the amount from here to card-holds, a
 *                       capture from card-holds to the merchant, a credit (refund) from the
 *                       merchant back here.
 *   system:card-holds   authorized, not yet captured or released amounts.
 *
 * Cardholders repaying their card (statements, direct debit) is not built yet: what they owe
 * stays as the negative balance of system:card-credit, counted against each card's limit.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { IdempotentWrite } from './idempotency-claim.ts';

export const cardSystemAccounts = {
  credit: 'system:card-credit',
  holds: 'system:card-holds',
} as const;

export interface CardRecord {
  readonly id: number;
  readonly accountId: number;
  readonly pan: string;
  /** `YYYY-MM`. */
  readonly expiry: string;
  readonly currency: string;
  readonly creditLimit: number;
  readonly createdAt: number;
}

export interface CardholderRegistrationRecord {
  readonly id: string;
  readonly accountId: number;
  readonly cardId: number;
  readonly publicKey: Uint8Array;
  /** Lower-case hex serial of the certificate. */
  readonly serial: string;
  readonly certificate: Uint8Array;
  readonly notAfter: number;
  readonly revokedAt: number | undefined;
  readonly createdAt: number;
}

export type CardTransactionStatus = 'authorized' | 'captured' | 'reversed' | 'capture_reversed';

export interface CardTransactionRecord {
  readonly merchantId: number;
  readonly transactionId: string;
  readonly cardId: number;
  readonly cardholderSerial: string;
  readonly status: CardTransactionStatus;
  readonly authorized: number;
  readonly captured: number;
  readonly credited: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What the gateway checked before the write; the write checks what needs the current state. */
export interface CardAuthorization {
  readonly merchantId: number;
  readonly transactionId: string;
  readonly pan: string;
  readonly expiry: string;
  readonly cardholderSerial: string;
  readonly amount: number;
  readonly currency: string;
  readonly oiDigest: Uint8Array;
  readonly piDigest: Uint8Array;
  /** A sale: capture at once. */
  readonly capture: boolean;
  readonly now: number;
}

/**
 * Cardholder certificates one card may have in force (not revoked, not expired): a holder
 * registers a few devices, never hundreds, and each registration stores a signed certificate.
 */
export const maxRegistrationsPerCard = 20;

export function registrationLimitReached(): FarthingError {
  return new FarthingError(
    'card_registration_limit_reached',
    `a card has at most ${maxRegistrationsPerCard} cardholder certificates in force; revoke one first`,
    { details: { max: maxRegistrationsPerCard } },
  );
}

export type CardOperation =
  | { readonly type: 'capture'; readonly amount: number }
  | { readonly type: 'authorization-reversal'; readonly amount: number }
  | { readonly type: 'capture-reversal'; readonly amount: number }
  | { readonly type: 'credit'; readonly creditId: string; readonly amount: number }
  | { readonly type: 'credit-reversal'; readonly creditId: string; readonly amount: number };

/** One operation on one of the merchant's transactions. */
export interface CardOperationRequest {
  readonly merchantId: number;
  readonly transactionId: string;
  readonly operation: CardOperation;
  readonly now: number;
}

export interface CardStore {
  // --- issuer
  issueCard: IdempotentWrite<Omit<CardRecord, 'id'>, CardRecord>;
  listCards(accountId: number): Promise<CardRecord[]>;
  findCardByPan(pan: string): Promise<CardRecord | undefined>;

  // --- cardholder CA
  insertRegistration: IdempotentWrite<
    Omit<CardholderRegistrationRecord, 'revokedAt'>,
    CardholderRegistrationRecord
  >;
  getRegistration(id: string): Promise<CardholderRegistrationRecord | undefined>;
  /** Revokes the certificate with this serial; false if there is none. */
  revokeCardholderCertificate(serial: string, now: number): Promise<boolean>;

  // --- gateway
  /**
   * Checks the card (known, not expired, this expiry, a live certificate of this card, within
   * its limit) and the transaction (not seen before), then holds the amount, or for a sale
   * pays the merchant at once.
   */
  authorize: IdempotentWrite<CardAuthorization, CardTransactionRecord>;
  /** Capture, reversals and credits on one of the merchant's transactions. */
  operate: IdempotentWrite<CardOperationRequest, CardTransactionRecord>;
  getTransaction(
    merchantId: number,
    transactionId: string,
  ): Promise<CardTransactionRecord | undefined>;
}
