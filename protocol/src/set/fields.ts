/**
 * SET's field kinds, and the structures made of them (the wire messages of messages.ts, OI and
 * PI of purchase.ts). A structure is a table from field name to kind; from that one table come
 * its valibot schema that checks it at the edge, its canonical bytes under a signature or a
 * digest (the fields in table order), and its JSON wire form, so the three never disagree.
 */
import * as v from 'valibot';
import { type Amount, formatAmount } from '../amount.ts';
import { type CanonicalWriter, toBase64url } from '../encoding.ts';
import { amountSchema, bytesSchema, identifierSchema, timestampSchema } from '../schema.ts';
import { cardSecretLength, isCardExpiry, isPan } from './card-account.ts';
import { encapsulatedKeyLength, type SealedEnvelope } from './hpke.ts';

export const digestLength = 32;
export const nonceLength = 32;
export const dualSignatureLength = 64;
const maxCertificates = 4;

export const sealedEnvelopeSchema = v.object({
  enc: bytesSchema(encapsulatedKeyLength),
  ciphertext: v.pipe(
    bytesSchema(),
    v.check((b) => b.length <= 4096, 'envelope too large'),
  ),
});

interface Kind<T, W> {
  readonly schema: v.GenericSchema<W, T>;
  write(writer: CanonicalWriter, value: T, field: string): void;
  toWire(value: T): W;
}

const b64 = (bytes: Uint8Array) => toBase64url(bytes);

/** Text that travels as it is and is signed as a length-prefixed string. */
function text(schema: v.GenericSchema<string, string>): Kind<string, string> {
  return {
    schema,
    write: (w, value, field) => w.string(value, field),
    toWire: (value) => value,
  };
}

/** Bytes of a length both sides know (digests, nonces, keys, signatures). */
function fixedBytes(length: number): Kind<Uint8Array, string> {
  return {
    schema: bytesSchema(length),
    write: (w, value, field) => w.fixed(value, length, field),
    toWire: b64,
  };
}

const kinds = {
  id: text(identifierSchema),
  status: text(v.pipe(v.string(), v.regex(/^[a-z][a-z_-]{0,31}$/))),
  pan: text(
    v.pipe(
      v.string(),
      v.maxLength(19),
      v.check((t: string) => isPan(t), 'expected a card number (13–19 digits, Luhn)'),
    ),
  ),
  expiry: text(
    v.pipe(
      v.string(),
      v.length(7),
      v.check((t: string) => isCardExpiry(t), 'expected YYYY-MM'),
    ),
  ),
  amount: {
    schema: amountSchema,
    write: (w, value, field) => w.amount(value, field),
    toWire: formatAmount,
  } satisfies Kind<Amount, string>,
  time: {
    schema: timestampSchema,
    write: (w, value, field) => w.u64(value, field),
    toWire: (value) => value,
  } satisfies Kind<number, number>,
  flag: {
    schema: v.boolean(),
    write: (w, value, field) => w.bool(value, field),
    toWire: (value) => value,
  } satisfies Kind<boolean, boolean>,
  digest: fixedBytes(digestLength),
  nonce: fixedBytes(nonceLength),
  key: fixedBytes(32),
  cardSecret: fixedBytes(cardSecretLength),
  dualSignature: fixedBytes(dualSignatureLength),
  certificates: {
    schema: v.pipe(v.array(bytesSchema()), v.minLength(1), v.maxLength(maxCertificates)),
    write: (w, value, field) => w.list(value, field, (l, der, i) => l.bytes(der, `${field}.${i}`)),
    toWire: (value) => value.map(b64),
  } satisfies Kind<Uint8Array[], string[]>,
  envelope: {
    schema: sealedEnvelopeSchema,
    write: (w, value, field) =>
      w.fixed(value.enc, encapsulatedKeyLength, `${field}.enc`).bytes(value.ciphertext, field),
    toWire: (value) => ({ enc: b64(value.enc), ciphertext: b64(value.ciphertext) }),
  } satisfies Kind<SealedEnvelope, { enc: string; ciphertext: string }>,
} as const;

export type SetFieldKind = keyof typeof kinds;
export type SetFieldValue<K extends SetFieldKind> =
  (typeof kinds)[K] extends Kind<infer T, unknown> ? T : never;

/** A structure's fields in signing order. */
export type SetFields = Readonly<Record<string, SetFieldKind>>;

/** The structure a table declares: each field of the type its kind holds. */
export type SetFieldsValue<F extends SetFields> = { readonly [K in keyof F]: SetFieldValue<F[K]> };

/** The kinds whose value is exactly `T`. */
type KindOf<T> = {
  [K in SetFieldKind]: [SetFieldValue<K>] extends [T]
    ? [T] extends [SetFieldValue<K>]
      ? K
      : never
    : never;
}[SetFieldKind];

/** A table for the fields of `T`, each of a kind whose value is that field's type. */
export type SetFieldsOf<T> = { readonly [F in keyof T]-?: KindOf<T[F]> };

const resolved = new WeakMap<SetFields, readonly [string, Kind<unknown, unknown>][]>();

/** The table's fields with their kinds, looked up once per table. */
function entries(fields: SetFields): readonly [string, Kind<unknown, unknown>][] {
  let list = resolved.get(fields);
  if (list === undefined) {
    list = Object.entries(fields).map(([field, kind]) => [
      field,
      kinds[kind] as Kind<unknown, unknown>,
    ]);
    resolved.set(fields, list);
  }
  return list;
}

/** The valibot entries of a structure, for `v.object` or `v.strictObject`. */
export function setFieldSchemas(fields: SetFields): Record<string, v.GenericSchema> {
  const schemas: Record<string, v.GenericSchema> = {};
  for (const [field, kind] of entries(fields)) schemas[field] = kind.schema;
  return schemas;
}

/** The schema of a structure `T` in its wire form (unknown keys dropped, as `v.object` does). */
export function setObjectSchema<T>(fields: SetFieldsOf<T>): v.GenericSchema<unknown, T> {
  return v.object(setFieldSchemas(fields)) as v.GenericSchema<unknown, unknown> as v.GenericSchema<
    unknown,
    T
  >;
}

/** Writes every field in table order; errors name the field as `${prefix}${name}`. */
export function writeSetFields(
  writer: CanonicalWriter,
  fields: SetFields,
  values: object,
  prefix = '',
): void {
  const record = values as Record<string, unknown>;
  for (const [field, kind] of entries(fields)) kind.write(writer, record[field], prefix + field);
}

/** The JSON form of a structure, its fields in table order. */
export function setFieldsToWire(fields: SetFields, values: object): Record<string, unknown> {
  const record = values as Record<string, unknown>;
  const wire: Record<string, unknown> = {};
  for (const [field, kind] of entries(fields)) wire[field] = kind.toWire(record[field]);
  return wire;
}
