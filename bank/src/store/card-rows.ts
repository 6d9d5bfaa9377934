/**
 * Rows of the card tables (migration 2) as both stores read them, turned into their records,
 * and the values of new rows in the order of both stores' INSERT column lists.
 */
import type {
  CardholderRegistrationRecord,
  CardRecord,
  CardTransactionRecord,
  CardTransactionStatus,
} from './card-store.ts';

export interface CardRow {
  id: number;
  account_id: number;
  pan: string;
  expiry: string;
  currency: string;
  credit_limit: number;
  created_at: number;
}

export interface RegistrationRow {
  id: string;
  account_id: number;
  card_id: number;
  public_key: Buffer;
  serial: string;
  certificate: Buffer;
  not_after: number;
  revoked_at: number | null;
  created_at: number;
}

export interface TransactionRow {
  merchant_id: number;
  transaction_id: string;
  card_id: number;
  cardholder_serial: string;
  status: CardTransactionStatus;
  authorized: number;
  captured: number;
  credited: number;
  created_at: number;
  updated_at: number;
}

const bytes = (value: Buffer): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();

export const toCard = (row: CardRow): CardRecord => ({
  id: row.id,
  accountId: row.account_id,
  pan: row.pan,
  expiry: row.expiry,
  currency: row.currency,
  creditLimit: row.credit_limit,
  createdAt: row.created_at,
});

export const toRegistration = (row: RegistrationRow): CardholderRegistrationRecord => ({
  id: row.id,
  accountId: row.account_id,
  cardId: row.card_id,
  publicKey: bytes(row.public_key),
  serial: row.serial,
  certificate: bytes(row.certificate),
  notAfter: row.not_after,
  revokedAt: row.revoked_at ?? undefined,
  createdAt: row.created_at,
});

export const toTransaction = (row: TransactionRow): CardTransactionRecord => ({
  merchantId: row.merchant_id,
  transactionId: row.transaction_id,
  cardId: row.card_id,
  cardholderSerial: row.cardholder_serial,
  status: row.status,
  authorized: row.authorized,
  captured: row.captured,
  credited: row.credited,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** A new `cards` row: account_id, pan, expiry, currency, credit_limit, created_at. */
export const cardValues = (card: Omit<CardRecord, 'id'>): unknown[] => [
  card.accountId,
  card.pan,
  card.expiry,
  card.currency,
  card.creditLimit,
  card.createdAt,
];

/**
 * A new `cardholder_registrations` row: id, account_id, card_id, public_key, serial,
 * certificate, not_after, created_at.
 */
export const registrationValues = (
  registration: Omit<CardholderRegistrationRecord, 'revokedAt'>,
): unknown[] => [
  registration.id,
  registration.accountId,
  registration.cardId,
  registration.publicKey,
  registration.serial,
  registration.certificate,
  registration.notAfter,
  registration.createdAt,
];
