/**
 * The kinds of field a signed message's table (message-fields.ts) is made of: each says how a
 * value handed to a function is checked (`invalid_argument` naming the field), how it is
 * written into the signing bytes, how it is parsed from the wire (its valibot schema) and how
 * it is written to the wire.
 */
import * as v from 'valibot';
import { type Amount, formatAmount } from './amount.ts';
import { type CanonicalWriter, toBase64url } from './encoding.ts';
import { assertBytes, assertInteger, invalidArgument } from './errors.ts';
import {
  assertCanonicalResource,
  isCanonicalResource,
  maxResourceLength,
} from './offer-resource.ts';
import { amountSchema, bytesSchema, identifierSchema, timestampSchema } from './schema.ts';

/** One field: value `T` in memory, `W` in wire JSON, parsed by the schema `S`. */
export interface MessageField<T, W, S extends v.GenericSchema<W, T> = v.GenericSchema<W, T>> {
  /** Throws `invalid_argument` naming `field` unless `value` is a valid value of this field. */
  readonly assert: (value: unknown, field: string) => void;
  /** Writes a checked value into the signing bytes. */
  readonly write: (writer: CanonicalWriter, value: T, field: string) => void;
  readonly schema: S;
  readonly toWire: (value: T) => W;
  /** Set by `optionalField`: the member may be absent. */
  readonly optional?: true;
}

const same = <T>(value: T): T => value;

/** Exactly `length` bytes; base64url on the wire. */
export function bytesField(length: number): MessageField<Uint8Array, string> {
  return {
    assert: (value, field) => assertBytes(value, field, length),
    write: (writer, value, field) => writer.fixed(value, length, field),
    schema: bytesSchema(length),
    toWire: toBase64url,
  };
}

/** A party's identifier (schema.ts `identifierSchema`): merchant, refund, broker ids. */
export const identifierField: MessageField<string, string> = {
  assert(value, field) {
    if (!v.is(identifierSchema, value)) {
      throw invalidArgument(field, 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
    }
  },
  write: (writer, value, field) => writer.string(value, field, 128),
  schema: identifierSchema,
  toWire: same,
};

/** Milliseconds since the Unix epoch, as u64. */
export const timestampField: MessageField<number, number> = {
  assert: (value, field) => assertInteger(value, field),
  write: (writer, value, field) => writer.u64(value, field),
  schema: timestampSchema,
  toWire: same,
};

/** An amount; `EUR 0.05` on the wire. */
export const amountField: MessageField<Amount, string> = {
  assert: (value) => formatAmount(value as Amount),
  write: (writer, value, field) => writer.amount(value, field),
  schema: amountSchema,
  toWire: formatAmount,
};

/** An amount above zero: what a payment or refund moves. */
export const positiveAmountField: MessageField<Amount, string> = {
  ...amountField,
  assert(value, field) {
    amountField.assert(value, field);
    if ((value as Amount).minor === 0) throw invalidArgument(field, 'must be more than zero');
  },
  schema: v.pipe(
    amountSchema,
    v.check((value) => value.minor > 0, 'expected an amount above zero'),
  ),
};

/** A path (and query) on the merchant's origin, in the normal form of offer-resource.ts. */
export const resourceField: MessageField<string, string> = {
  assert: assertCanonicalResource,
  write: (writer, value, field) => writer.string(value, field),
  schema: v.pipe(
    v.string(),
    v.maxLength(maxResourceLength),
    v.check((text) => isCanonicalResource(text), 'expected an absolute path in normal form'),
  ),
  toWire: same,
};

/** One of `choices` (instrument names and the like), each at most 16 characters. */
export function choiceField<const C extends string>(
  choices: readonly C[],
): MessageField<C, string> {
  return {
    assert(value, field) {
      if (!(choices as readonly unknown[]).includes(value)) {
        throw invalidArgument(field, `must be one of ${choices.join(', ')}`);
      }
    },
    write: (writer, value, field) => writer.string(value, field, 16),
    schema: v.picklist(choices),
    toWire: same,
  };
}

/** A member that may be absent: one byte 0 when it is, 1 then the value when it is not. */
export function optionalField<T, W>(
  inner: MessageField<T, W>,
): MessageField<
  T | undefined,
  W | undefined,
  v.OptionalSchema<v.GenericSchema<W, T>, undefined>
> & {
  readonly optional: true;
} {
  return {
    optional: true,
    assert(value, field) {
      if (value !== undefined) inner.assert(value, field);
    },
    write: (writer, value, field) =>
      writer.optional(value, field, (w, present) => inner.write(w, present, field)),
    schema: v.optional(inner.schema),
    toWire: (value) => (value === undefined ? undefined : inner.toWire(value)),
  };
}

export interface ListFieldOptions {
  /** The most items; there is always at least one. */
  readonly max: number;
  /** What an item is called in errors, plural: "origins". */
  readonly items: string;
  /** Set when no item may stand twice (compared with `===`). */
  readonly distinct?: true;
}

const isDistinct = (list: readonly unknown[]) => new Set(list).size === list.length;

/** 1 to `max` items of `item`, each named `field.index`; signed behind a u32 count. */
export function listField<T, W>(
  item: MessageField<T, W>,
  { max, items, distinct }: ListFieldOptions,
): MessageField<readonly T[], W[]> {
  return {
    assert(value, field) {
      if (!Array.isArray(value) || value.length === 0 || value.length > max) {
        throw invalidArgument(field, `must list 1 to ${max} ${items}`);
      }
      for (const [index, entry] of value.entries()) item.assert(entry, `${field}.${index}`);
      if (distinct && !isDistinct(value)) throw invalidArgument(field, 'must not repeat');
    },
    write: (writer, value, field) =>
      writer.list(value, field, (w, entry, index) => item.write(w, entry, `${field}.${index}`)),
    schema: v.pipe(
      v.array(item.schema),
      v.minLength(1, `expected at least one of the ${items}`),
      v.maxLength(max, `expected at most ${max} ${items}`),
      v.check((list) => !distinct || isDistinct(list), `expected none of the ${items} twice`),
    ),
    toWire: (value) => value.map(item.toWire),
  };
}
