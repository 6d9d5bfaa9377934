/**
 * Test support: catching the `FarthingError` a call is expected to throw, so that tests assert
 * on its stable `code` and `details` (not part of the API).
 *
 * Only `*.test.ts` and `*.fixture.ts` files import this module (the layer check in
 * test/layering refuses it anywhere else; the `exports` map publishes it for other workspaces'
 * tests only). Every helper is strict: an error that is not a `FarthingError` is rethrown, so
 * a test never mistakes a `TypeError` for a refusal, and an expected failure that does not
 * happen fails the test instead of letting it pass silently.
 */
import { type ErrorCode, FarthingError, isFarthingError } from './errors.ts';

/** Runs `fn` and returns the `FarthingError` it throws; throws if it returns or throws anything else. */
export function catchFarthingError(fn: () => unknown): FarthingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FarthingError) return error;
    throw error;
  }
  throw new Error('expected a FarthingError, but nothing was thrown');
}

/**
 * The code of the `FarthingError` that `fn` throws, or `undefined` when `fn` returns, so that
 * `expect(farthingErrorCode(fn)).toBe(code)` fails for a call that succeeds. Anything else `fn`
 * throws is rethrown.
 */
export function farthingErrorCode(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof FarthingError) return error.code;
    throw error;
  }
  return undefined;
}

/**
 * Awaits `promise` and returns the `FarthingError` it rejects with; throws if it fulfils or
 * rejects with anything else.
 */
export async function rejectsWithFarthingError(
  promise: PromiseLike<unknown>,
): Promise<FarthingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FarthingError) return error;
    throw error;
  }
  throw new Error('expected a rejection with a FarthingError, but the promise fulfilled');
}

/**
 * Runs `fn` where refusing is an allowed outcome (property tests over arbitrary input): returns
 * what `fn` returns, or `undefined` if it throws a `FarthingError` (with `code`, when given).
 * Anything else it throws, failed assertions included, is rethrown.
 */
export function allowFarthingError<T>(fn: () => T, code?: ErrorCode): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (isFarthingError(error, code)) return undefined;
    throw error;
  }
}
