/**
 * The card account as SET names it: a primary account number (PAN), its expiry, and a secret
 * the cardholder keeps. The cardholder certificate carries only a salted digest of the three
 * (SET Book 2 §7.4: the certificate's subject holds a hash of PAN, expiry and a secret, so it
 * links to a card only for whoever knows the secret); the PAN itself travels only inside HPKE
 * envelopes to the bank.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { signingBytes } from '../encoding.ts';
import { assertBytes, FarthingError } from '../errors.ts';

/** Bytes of the cardholder's card secret (SET's PANSecret), random, kept in the wallet. */
export const cardSecretLength = 32;

/** ISO/IEC 7812-1 §B: the Luhn mod-10 check over every digit, the check digit included. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The digit that makes `partial` followed by it Luhn-valid. */
export function luhnCheckDigit(partial: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    if (luhnValid(`${partial}${digit}`)) return String(digit);
  }
  throw new Error('unreachable: one of ten digits always completes the Luhn sum');
}

/** ISO/IEC 7812-1: 8 to 19 digits; we take 13–19 as card networks issue, Luhn-valid. */
export function isPan(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9]{13,19}$/.test(value) && luhnValid(value);
}

/** Card expiry as `YYYY-MM`; the card is valid through the last day of that month (UTC). */
export function isCardExpiry(value: unknown): value is string {
  return typeof value === 'string' && /^20[0-9]{2}-(0[1-9]|1[0-2])$/.test(value);
}

/** The first millisecond after the card's expiry month. */
export function cardExpiresAt(expiry: string): number {
  assertCardExpiry(expiry);
  const [year, month] = expiry.split('-').map(Number) as [number, number];
  return Date.UTC(year, month, 1);
}

export function assertPan(pan: unknown, field = 'pan'): asserts pan is string {
  if (!isPan(pan)) {
    throw new FarthingError(
      'card_invalid',
      `"${field}" is not a card number (13–19 digits, Luhn)`,
      {
        details: { field },
      },
    );
  }
}

export function assertCardExpiry(expiry: unknown, field = 'expiry'): asserts expiry is string {
  if (!isCardExpiry(expiry)) {
    throw new FarthingError('card_invalid', `"${field}" must be a month as YYYY-MM`, {
      details: { field },
    });
  }
}

export interface CardAccount {
  readonly pan: string;
  readonly expiry: string;
  readonly cardSecret: Uint8Array;
}

/** SHA-256 over the canonical bytes of (PAN, expiry, card secret): what the certificate holds. */
export function cardAccountDigest(account: CardAccount): Uint8Array {
  assertPan(account?.pan);
  assertCardExpiry(account.expiry);
  assertBytes(account.cardSecret, 'cardSecret', cardSecretLength);
  return sha256(
    signingBytes('setCardAccount', 1, (w) =>
      w
        .string(account.pan, 'pan')
        .string(account.expiry, 'expiry')
        .fixed(account.cardSecret, cardSecretLength, 'cardSecret'),
    ),
  );
}

/** `4000 0012 3456 7899` → `•••• 7899`, for screens and logs that must not show the PAN. */
export function maskPan(pan: string): string {
  return `•••• ${pan.slice(-4)}`;
}
