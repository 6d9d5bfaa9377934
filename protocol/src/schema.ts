/**
 * Validation of everything that arrives from another party, with one schema library
 * (valibot: small enough for the extension, typed, tree-shakeable). Schemas describe the wire
 * form (JSON); `parseMessage` runs one and turns the first problem into a coded
 * `FarthingError` naming the field, so callers never see a library-specific error.
 */
import * as v from 'valibot';
import { type Amount, parseAmount } from './amount.ts';
import { fromBase64url } from './encoding.ts';
import { type ErrorCode, FarthingError, isErrorCode, isFarthingError } from './errors.ts';

/**
 * Parses `input` with `schema`; on failure throws `invalid_message` (or the code a transform
 * raised, e.g. `invalid_amount`) with the dotted path of the offending field.
 */
export function parseMessage<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? what;
  const coded = codedCause(issue);
  const code: ErrorCode = coded?.code ?? 'invalid_message';
  const reason = coded?.shortMessage ?? issue.message;
  throw new FarthingError(code, `invalid ${what}: "${field}": ${reason}`, {
    details: { field, message: what },
  });
}

// A coded transform records its error code in the issue's `expected` member (valibot issues
// carry no free-form fields), marked so it cannot be confused with a schema expectation.
const codeMarker = 'farthing-error:';

function codedCause(issue: v.BaseIssue<unknown>): FarthingError | undefined {
  const expected = issue.expected ?? '';
  if (!expected.startsWith(codeMarker)) return undefined;
  const code = expected.slice(codeMarker.length);
  return isErrorCode(code) ? new FarthingError(code, issue.message) : undefined;
}

/**
 * A transform step that calls a throwing parser and records a `FarthingError` as the issue,
 * keeping its code (so `EUR 0.005` stays `invalid_amount`, not a generic message error).
 */
export function codedTransform<I, O>(parse: (input: I) => O) {
  return v.rawTransform<I, O>(({ dataset, addIssue, NEVER }) => {
    try {
      return parse(dataset.value);
    } catch (error) {
      if (!isFarthingError(error)) throw error;
      addIssue({ message: error.shortMessage, expected: `${codeMarker}${error.code}` });
      return NEVER;
    }
  });
}

/** Unpadded base64url text → bytes (exactly `length` bytes when given). */
export function bytesSchema(length?: number) {
  return v.pipe(
    v.string(),
    v.maxLength(1 << 20),
    codedTransform((text: string) => fromBase64url(text, 'bytes', length)),
  );
}

/** `EUR 0.05` → Amount. */
export const amountSchema: v.GenericSchema<string, Amount> = v.pipe(
  v.string(),
  v.maxLength(64),
  codedTransform(parseAmount),
);

/** A point in time as integer milliseconds since the Unix epoch. */
export const timestampSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** A non-negative safe integer (counts, indices, sequence numbers). */
export const countSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/**
 * Identifiers chosen by a party (merchant ids, offer ids): 1–128 characters of a conservative
 * alphabet, so they are safe in URLs, logs and headers without escaping.
 */
export const identifierSchema = v.pipe(
  v.string(),
  v.maxLength(128),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    'expected 1–128 characters of A–Z a–z 0–9 . _ : -',
  ),
);

/** An absolute http(s) origin such as `https://shop.example` (no path, no trailing slash). */
export const originSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
    } catch {
      return false;
    }
  }, 'expected an origin such as "https://shop.example"'),
);
