/**
 * Money as integer minor units of an ISO 4217 currency. Never a float: parsing goes from the
 * decimal text straight to an integer, and every operation checks currency, sign and range.
 *
 * Text form (wire and display): `EUR 0.05` — the code, one space, the value with exactly the
 * currency's number of decimals. `parseAmount` also takes fewer decimals (`EUR 1.5`) from
 * people, but never more, never a sign, exponent, grouping or leading zeros.
 */
import { minorUnitExponents } from './currencies.ts';
import { FarthingError } from './errors.ts';

export interface Amount {
  /** ISO 4217 alphabetic code, upper case. */
  readonly currency: string;
  /** Integer count of minor units (cents for EUR), 0 ≤ minor ≤ `maxMinorUnits`. */
  readonly minor: number;
}

/** Largest representable value: integers above 2^53 − 1 lose precision in JavaScript. */
export const maxMinorUnits = Number.MAX_SAFE_INTEGER;

/** The number of decimals of `currency`, e.g. 2 for EUR, 0 for JPY, 3 for KWD. */
export function currencyExponent(currency: string): number {
  const exponent = typeof currency === 'string' ? minorUnitExponents.get(currency) : undefined;
  if (exponent === undefined) {
    throw new FarthingError(
      'unknown_currency',
      `"${String(currency)}" is not an ISO 4217 currency code`,
      {
        details: { field: 'currency', got: String(currency).slice(0, 16) },
      },
    );
  }
  return exponent;
}

/** Builds an amount from minor units, checking the currency and the range. */
export function amount(currency: string, minor: number): Amount {
  currencyExponent(currency);
  if (typeof minor !== 'number' || !Number.isInteger(minor)) {
    throw new FarthingError(
      'invalid_amount',
      `expected an integer number of minor units, got ${String(minor)}`,
      {
        details: { field: 'minor' },
      },
    );
  }
  if (minor < 0) {
    throw new FarthingError('amount_negative', `amounts cannot be negative, got ${minor}`, {
      details: { field: 'minor', got: minor },
    });
  }
  if (minor > maxMinorUnits) {
    throw new FarthingError('amount_overflow', `amount exceeds ${maxMinorUnits} minor units`, {
      details: { field: 'minor' },
    });
  }
  return Object.freeze({ currency, minor });
}

export function zero(currency: string): Amount {
  return amount(currency, 0);
}

const amountText = /^([A-Z]{3}) (0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** Parses `EUR 0.05` (also `EUR 5`, `EUR 1.5`); see the module comment for what is refused. */
export function parseAmount(text: string): Amount {
  if (typeof text !== 'string' || text.length > 64) {
    throw new FarthingError('invalid_amount', 'expected an amount like "EUR 0.05"', {
      details: { field: 'amount' },
    });
  }
  const match = amountText.exec(text);
  if (match === null) {
    throw new FarthingError('invalid_amount', `"${text}" is not an amount like "EUR 0.05"`, {
      details: { field: 'amount', got: text },
    });
  }
  const [, currency = '', whole = '', fraction = ''] = match;
  const exponent = currencyExponent(currency);
  if (fraction.length > exponent) {
    throw new FarthingError(
      'invalid_amount',
      `${currency} has ${exponent} decimal${exponent === 1 ? '' : 's'}, "${text}" has ${fraction.length}`,
      { details: { field: 'amount', got: text, decimals: exponent } },
    );
  }
  // Digits are joined as text and converted once: no float ever holds a fractional value.
  const digits = BigInt(whole + fraction.padEnd(exponent, '0'));
  if (digits > BigInt(maxMinorUnits)) {
    throw new FarthingError('amount_overflow', `"${text}" exceeds the largest amount`, {
      details: { field: 'amount', got: text },
    });
  }
  return amount(currency, Number(digits));
}

/** The canonical text form, e.g. `EUR 0.05`, `JPY 500`. */
export function formatAmount(value: Amount): string {
  const exponent = currencyExponent(value.currency);
  checkMinor(value);
  if (exponent === 0) return `${value.currency} ${value.minor}`;
  const digits = value.minor.toString().padStart(exponent + 1, '0');
  return `${value.currency} ${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

function checkMinor(value: Amount): void {
  if (!Number.isSafeInteger(value.minor) || value.minor < 0) {
    throw new FarthingError(
      'invalid_amount',
      `not a valid amount: ${String(value.minor)} minor units`,
      {
        details: { field: 'minor' },
      },
    );
  }
}

function sameCurrency(a: Amount, b: Amount): void {
  if (a.currency !== b.currency) {
    throw new FarthingError(
      'currency_mismatch',
      `cannot combine ${a.currency} with ${b.currency}`,
      {
        details: { expected: a.currency, got: b.currency },
      },
    );
  }
  checkMinor(a);
  checkMinor(b);
}

export function addAmounts(a: Amount, b: Amount): Amount {
  sameCurrency(a, b);
  const total = a.minor + b.minor;
  if (total > maxMinorUnits) {
    throw new FarthingError('amount_overflow', 'sum exceeds the largest amount', {
      details: { currency: a.currency },
    });
  }
  return amount(a.currency, total);
}

/** `a − b`; throws `amount_negative` when b > a (money never goes below zero). */
export function subtractAmounts(a: Amount, b: Amount): Amount {
  sameCurrency(a, b);
  if (b.minor > a.minor) {
    throw new FarthingError(
      'amount_negative',
      `${formatAmount(b)} is more than ${formatAmount(a)}`,
      { details: { currency: a.currency, minuend: a.minor, subtrahend: b.minor } },
    );
  }
  return amount(a.currency, a.minor - b.minor);
}

/** `value × factor` for a non-negative integer factor (e.g. paywords × value per word). */
export function multiplyAmount(value: Amount, factor: number): Amount {
  checkMinor(value);
  if (!Number.isSafeInteger(factor) || factor < 0) {
    throw new FarthingError(
      'invalid_argument',
      `expected a non-negative integer factor, got ${String(factor)}`,
      {
        details: { field: 'factor' },
      },
    );
  }
  const product = BigInt(value.minor) * BigInt(factor);
  if (product > BigInt(maxMinorUnits)) {
    throw new FarthingError('amount_overflow', 'product exceeds the largest amount', {
      details: { currency: value.currency },
    });
  }
  return amount(value.currency, Number(product));
}

/** Sum of a list in one currency; an empty list sums to zero of `currency`. */
export function sumAmounts(values: readonly Amount[], currency: string): Amount {
  let total = zero(currency);
  for (const value of values) total = addAmounts(total, value);
  return total;
}

/** −1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareAmounts(a: Amount, b: Amount): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.minor < b.minor ? -1 : a.minor > b.minor ? 1 : 0;
}

export function equalAmounts(a: Amount, b: Amount): boolean {
  return a.currency === b.currency && a.minor === b.minor;
}
