/**
 * The resource an offer, receipt or access grant is for: a path (and optional query) on the
 * merchant's origin, in one normal form, so the resource under a signature and the resource a
 * request asks for compare as plain strings.
 *
 * The rule (`normalizeResource`):
 * 1. The input is an absolute path: it starts with exactly one `/` (`//host` would name
 *    another host), has no fragment (`#…` never reaches the server) and, once parsed, stays on
 *    the merchant's origin (WHATWG URL turns `/\host` into `//host`; that is refused).
 * 2. It is parsed with the WHATWG URL parser against the origin: dot segments are removed
 *    (including `%2e` forms), characters outside the URL code points are percent-encoded as
 *    UTF-8, an empty query (`/a?`) is dropped.
 * 3. Then RFC 3986 §6.2.2 normalisation: percent-encodings of unreserved characters
 *    (ALPHA / DIGIT / `-` `.` `_` `~`) are decoded (§6.2.2.2), every other percent-encoding
 *    is written with upper-case hex digits (§6.2.2.1).
 * 4. Nothing else changes: paths are case-sensitive, `/a/` and `/a` are different resources,
 *    and the query is kept byte for byte (its order is the merchant's business).
 *
 * Signed structures only accept a resource already in this form (`isCanonicalResource`), so
 * the same resource always has the same bytes under a signature.
 */
import { assertString, FarthingError } from './errors.ts';

export const maxResourceLength = 2048;

// A host that cannot exist (RFC 6761 §6.4), only used to resolve the path.
const base = 'https://resource.invalid';

const percentEncoded = /%[0-9A-Fa-f]{2}/g;

/** Whether a byte is an RFC 3986 §2.3 unreserved character (`A-Z a-z 0-9 - . _ ~`). */
export function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

function refuse(reason: string, input: string): never {
  throw new FarthingError('invalid_argument', `"resource" ${reason}`, {
    details: { field: 'resource', got: input.slice(0, 64) },
  });
}

/** Brings a path such as `/articles/./7?x=%7e` to its normal form (`/articles/7?x=~`). */
export function normalizeResource(input: string): string {
  assertString(input, 'resource', maxResourceLength);
  if (!input.startsWith('/') || input.startsWith('//')) {
    refuse('must be an absolute path starting with a single "/"', input);
  }
  if (input.includes('#')) refuse('must not have a fragment', input);
  const url = new URL(input, base);
  if (url.origin !== base) refuse('must stay on the merchant origin', input);
  const normal = (url.pathname + url.search).replace(percentEncoded, (encoded) => {
    const code = Number.parseInt(encoded.slice(1), 16);
    return isUnreserved(code) ? String.fromCharCode(code) : encoded.toUpperCase();
  });
  if (normal.length > maxResourceLength) {
    refuse(`exceeds ${maxResourceLength} characters once normalised`, input);
  }
  return normal;
}

/** True when `value` is a resource already in normal form. */
export function isCanonicalResource(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return normalizeResource(value) === value;
  } catch {
    return false;
  }
}

/** Throws `invalid_argument` naming `field` unless `value` is a resource in normal form. */
export function assertCanonicalResource(value: unknown, field: string): asserts value is string {
  if (!isCanonicalResource(value)) {
    throw new FarthingError(
      'invalid_argument',
      `"${field}" must be an absolute path in normal form (see normalizeResource)`,
      { details: { field } },
    );
  }
}
