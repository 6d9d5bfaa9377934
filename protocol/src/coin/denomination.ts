/**
 * Denominations (DESIGN.md "E-cash (Chaum, online)"): one RSA-2048 key per coin value and
 * validity period. The mint publishes them in a key set signed by its master key
 * (mint-key-set.ts).
 *
 * A denomination's id is SHA-256 of its canonical bytes (tag `farthing/denomination`,
 * version 1: value, cipher, n, e, validFrom, withdrawUntil, depositUntil), so an id names
 * exactly one key, value and window, and coins carry the id rather than the key.
 *
 * Windows are half-open, in milliseconds since the Unix epoch: withdraw while
 * `validFrom ≤ now < withdrawUntil`, deposit while `validFrom ≤ now < depositUntil`, with
 * `withdrawUntil ≤ depositUntil` so every coin withdrawn can still be spent for a while.
 *
 * Wire JSON (`DenominationWire`):
 *
 *   { "value": "EUR 0.01", "publicKey": { "n": "<256 bytes b64u>", "e": "AQAB" },
 *     "cipher": "RSABSSA-SHA384-PSS-Randomized",
 *     "validFrom": 1700000000000, "withdrawUntil": …, "depositUntil": … }
 *
 * `n` and `e` are the big-endian magnitudes without leading zero bytes, as in a JWK
 * (RFC 7518 §6.3.1), so the key also loads directly as `{ kty: 'RSA', n, e }`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { formatAmount } from '../amount.ts';
import { type CanonicalWriter, signingBytes, toBase64url } from '../encoding.ts';
import { assertInteger, FarthingError, invalidArgument, isFarthingError } from '../errors.ts';
import { amountSchema, bytesSchema, codedTransform, timestampSchema } from '../schema.ts';

/** RFC 9474 §5: the variant with a random message prefix, SHA-384, PSS, salt of 48 bytes. */
export const denominationCipher = 'RSABSSA-SHA384-PSS-Randomized';
/** RSA-2048 (DESIGN.md "Decisions already taken"). */
export const denominationModulusLength = 256;
export const denominationIdLength = 32;
export const denominationVersion = 1;

/** A denomination's fields as they travel (`DenominationWire`) and as held (`Denomination`). */
const denominationFieldsSchema = v.strictObject({
  /** What one coin of this denomination is worth; more than zero. */
  value: v.pipe(
    amountSchema,
    v.check((value) => value.minor > 0, 'expected a value above zero'),
  ),
  /** An RSA public key in wire form: unsigned big-endian magnitudes. */
  publicKey: v.pipe(
    v.strictObject({
      n: bytesSchema(denominationModulusLength),
      e: bytesSchema(),
    }),
    v.readonly(),
  ),
  cipher: v.literal(denominationCipher),
  validFrom: timestampSchema,
  withdrawUntil: timestampSchema,
  depositUntil: timestampSchema,
});

export type Denomination = Readonly<v.InferOutput<typeof denominationFieldsSchema>>;
export type DenominationPublicKey = Denomination['publicKey'];

/** What a denomination key may be used for at a given time. */
export type DenominationUse = 'withdraw' | 'deposit';

function checkPublicKey(key: DenominationPublicKey, field: string): string | undefined {
  const { n, e } = key;
  if (!(n instanceof Uint8Array) || n.length !== denominationModulusLength) {
    return `${field}.n`;
  }
  // Exactly 2048 bits (top bit set) and odd, as every RSA modulus is.
  if (n[0]! < 0x80 || (n[n.length - 1]! & 1) === 0) return `${field}.n`;
  // RFC 8017 §3.1: 3 ≤ e < n, odd; no leading zero so the bytes are canonical.
  if (!(e instanceof Uint8Array) || e.length === 0 || e.length > 8 || e[0] === 0) {
    return `${field}.e`;
  }
  if ((e[e.length - 1]! & 1) === 0 || (e.length === 1 && e[0]! < 3)) return `${field}.e`;
  return undefined;
}

/** Throws `invalid_argument` naming the first field of `denomination` that breaks a rule. */
export function assertDenomination(denomination: Denomination, field = 'denomination'): void {
  if (typeof denomination !== 'object' || denomination === null) {
    throw invalidArgument(field, 'must be an object');
  }
  formatAmount(denomination.value);
  if (denomination.value.minor === 0)
    throw invalidArgument(`${field}.value`, 'must be more than zero');
  if (typeof denomination.publicKey !== 'object' || denomination.publicKey === null) {
    throw invalidArgument(`${field}.publicKey`, 'must be an object');
  }
  const badKey = checkPublicKey(denomination.publicKey, `${field}.publicKey`);
  if (badKey !== undefined) throw invalidArgument(badKey, 'is not part of an RSA-2048 public key');
  if (denomination.cipher !== denominationCipher) {
    throw invalidArgument(`${field}.cipher`, `must be ${denominationCipher}`);
  }
  assertInteger(denomination.validFrom, `${field}.validFrom`);
  assertInteger(denomination.withdrawUntil, `${field}.withdrawUntil`);
  assertInteger(denomination.depositUntil, `${field}.depositUntil`);
  if (denomination.withdrawUntil <= denomination.validFrom) {
    throw invalidArgument(`${field}.withdrawUntil`, 'must be after validFrom');
  }
  if (denomination.depositUntil < denomination.withdrawUntil) {
    throw invalidArgument(`${field}.depositUntil`, 'must not be before withdrawUntil');
  }
}

function writeDenomination(w: CanonicalWriter, d: Denomination): void {
  w.amount(d.value, 'value')
    .string(d.cipher, 'cipher', 64)
    .bytes(d.publicKey.n, 'publicKey.n')
    .bytes(d.publicKey.e, 'publicKey.e')
    .u64(d.validFrom, 'validFrom')
    .u64(d.withdrawUntil, 'withdrawUntil')
    .u64(d.depositUntil, 'depositUntil');
}

interface IdMemo {
  readonly snapshot: readonly unknown[];
  readonly n: Uint8Array;
  readonly e: Uint8Array;
  readonly id: Uint8Array;
}

/**
 * Ids are memoised per descriptor object, because the mint checks one on every deposit and
 * hashing costs more than the rest of the deposit bookkeeping. A memo is used only while
 * every field still equals the copy taken when it was made, so a mutated descriptor is hashed
 * afresh.
 */
const idMemos = new WeakMap<Denomination, IdMemo>();

function scalarFields(d: Denomination): unknown[] {
  return [d.value.currency, d.value.minor, d.cipher, d.validFrom, d.withdrawUntil, d.depositUntil];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function memoHolds(memo: IdMemo, d: Denomination): boolean {
  const fields = scalarFields(d);
  return (
    fields.every((value, i) => value === memo.snapshot[i]) &&
    sameBytes(memo.n, d.publicKey.n) &&
    sameBytes(memo.e, d.publicKey.e)
  );
}

/** SHA-256 of the denomination's canonical bytes. */
export function denominationId(denomination: Denomination): Uint8Array {
  assertDenomination(denomination);
  const memo = idMemos.get(denomination);
  if (memo !== undefined && memoHolds(memo, denomination)) return memo.id.slice();
  const id = sha256(
    signingBytes('denomination', denominationVersion, (w) => writeDenomination(w, denomination)),
  );
  idMemos.set(denomination, {
    snapshot: scalarFields(denomination),
    n: denomination.publicKey.n.slice(),
    e: denomination.publicKey.e.slice(),
    id,
  });
  return id.slice();
}

/**
 * Throws unless the denomination may be used for `use` at `now`:
 * `denomination_not_yet_valid` before `validFrom`, `denomination_expired` from
 * `withdrawUntil` (withdraw) or `depositUntil` (deposit) on.
 */
export function checkDenominationUsable(
  denomination: Denomination,
  use: DenominationUse,
  now: number,
): void {
  assertDenomination(denomination);
  assertInteger(now, 'now');
  if (now < denomination.validFrom) {
    throw new FarthingError('denomination_not_yet_valid', 'this coin key is not valid yet', {
      details: { field: 'validFrom', validFrom: denomination.validFrom, now },
    });
  }
  let until: number;
  let field: string;
  switch (use) {
    case 'withdraw':
      until = denomination.withdrawUntil;
      field = 'withdrawUntil';
      break;
    case 'deposit':
      until = denomination.depositUntil;
      field = 'depositUntil';
      break;
    default: {
      const unknown: never = use;
      throw invalidArgument('use', `must be "withdraw" or "deposit", got ${String(unknown)}`);
    }
  }
  if (now >= until) {
    throw new FarthingError(
      'denomination_expired',
      use === 'withdraw'
        ? 'this coin key no longer signs coins; refresh the mint keys'
        : 'coins of this key can no longer be deposited',
      { details: { field, [field]: until, now } },
    );
  }
}

// --- wire

export type DenominationWire = Readonly<v.InferInput<typeof denominationFieldsSchema>>;

export const denominationSchema = v.pipe(
  denominationFieldsSchema,
  codedTransform((d: Denomination) => {
    asMessageError(() => assertDenomination(d));
    return Object.freeze({ ...d, publicKey: Object.freeze({ ...d.publicKey }) });
  }),
);

export function denominationToWire(denomination: Denomination): DenominationWire {
  assertDenomination(denomination);
  return {
    value: formatAmount(denomination.value),
    publicKey: {
      n: toBase64url(denomination.publicKey.n),
      e: toBase64url(denomination.publicKey.e),
    },
    cipher: denomination.cipher,
    validFrom: denomination.validFrom,
    withdrawUntil: denomination.withdrawUntil,
    depositUntil: denomination.depositUntil,
  };
}

/** Runs a check on received data, reporting a broken rule as `invalid_message`. */
function asMessageError(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!isFarthingError(error, 'invalid_argument')) throw error;
    throw new FarthingError('invalid_message', error.shortMessage, {
      details: error.details,
      cause: error,
    });
  }
}
