/**
 * Argument checks the PayWord modules share, on top of `assertBytes`/`assertInteger`/
 * `assertString`: each names the field in the error so a caller knows what to fix.
 */
import * as v from 'valibot';
import { type Amount, formatAmount } from '../amount.ts';
import { assertString, FarthingError, isFarthingError } from '../errors.ts';
import { identifierSchema } from '../schema.ts';

/** The same alphabet the wire schema accepts, so anything built in code can be sent. */
export function assertIdentifier(value: unknown, field: string): asserts value is string {
  assertString(value, field, 128);
  if (!v.is(identifierSchema, value)) {
    throw new FarthingError(
      'invalid_argument',
      `expected "${field}" of 1–128 characters of A–Z a–z 0–9 . _ : -`,
      { details: { field } },
    );
  }
}

export function assertObject(value: unknown, field: string): asserts value is object {
  if (typeof value !== 'object' || value === null) {
    throw new FarthingError(
      'invalid_argument',
      `expected object "${field}", got ${value === null ? 'null' : typeof value}`,
      { details: { field } },
    );
  }
}

/** Keeps the amount module's code (`unknown_currency`, `invalid_amount`, …) and adds the field. */
export function assertAmount(value: unknown, field: string): asserts value is Amount {
  assertObject(value, field);
  try {
    formatAmount(value as Amount);
  } catch (error) {
    if (!isFarthingError(error)) throw error;
    throw new FarthingError(error.code, `"${field}": ${error.shortMessage}`, {
      details: { ...error.details, field },
      cause: error,
    });
  }
}

export function assertFunction(value: unknown, field: string): void {
  if (typeof value !== 'function') {
    throw new FarthingError('invalid_argument', `expected function "${field}"`, {
      details: { field },
    });
  }
}
