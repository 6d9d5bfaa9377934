/**
 * The purse's field kinds: how each is written in canonical bytes (encoding.ts), checked on the
 * way in, and read back strictly (canonical-reader.ts) on the way out. A structure is a table
 * from field name to kind, in byte order; the signed structures (signed.ts) and the card
 * commands (card-commands.ts) are each declared once as such a table, and their encoding and
 * decoding follow from it, so the two directions never disagree.
 */
import { type Amount, formatAmount } from '../amount.ts';
import { type CanonicalReader, readAll } from '../canonical-reader.ts';
import { CanonicalWriter } from '../encoding.ts';
import { assertInteger, FarthingError } from '../errors.ts';
import { assertCardId, isCardId } from './card-certificate.ts';

export interface PurseField<T> {
  /** Checks `value` (`invalid_argument`/`invalid_amount` naming `field`), then writes it. */
  write(writer: CanonicalWriter, value: T, field: string): void;
  /** Reads it back; `invalid_encoding` naming `field`. */
  read(reader: CanonicalReader, field: string): T;
}

/** A table of field kinds, in the order they are written. */
export type PurseFieldTable = { readonly [name: string]: PurseField<unknown> };

/** The structure a table of kinds declares: each field of the type its kind reads. */
export type PurseValue<F> = {
  readonly [K in keyof F]: F[K] extends PurseField<infer V> ? V : never;
};

export const u32: PurseField<number> = {
  write: (w, value, field) => w.u32(value, field),
  read: (r, field) => r.u32(field),
};

/** A card sequence number: 1 for the card's first payment (a zero is never written). */
export const sequenceNumber: PurseField<number> = {
  write: (w, value, field) => {
    assertInteger(value, field, 1, 0xffffffff);
    w.u32(value, field);
  },
  read: (r, field) => r.u32(field),
};

export const u64: PurseField<number> = {
  write: (w, value, field) => w.u64(value, field),
  read: (r, field) => r.u64(field),
};

export const amount: PurseField<Amount> = {
  write: (w, value, field) => w.amount(value, field),
  read: (r, field) => r.amount(field),
};

/** An amount that moves money: more than zero both ways. */
export const positiveAmount: PurseField<Amount> = {
  write: (w, value, field) => {
    formatAmount(value);
    if (value.minor <= 0) {
      throw new FarthingError('invalid_amount', `"${field}" must be more than zero`, {
        details: { field },
      });
    }
    w.amount(value, field);
  },
  read: (r, field) => {
    const value = r.amount(field);
    if (value.minor === 0) {
      throw new FarthingError('invalid_encoding', `"${field}" is zero`, { details: { field } });
    }
    return value;
  },
};

/** 16 lower-case hex digits, as printed on the card. */
export const cardId: PurseField<string> = {
  write: (w, value, field) => {
    assertCardId(value, field);
    w.string(value, field, 16);
  },
  read: (r, field) => {
    const value = r.string(field, 16);
    if (!isCardId(value)) {
      throw new FarthingError('invalid_encoding', `"${field}" is not a card id`, {
        details: { field },
      });
    }
    return value;
  },
};

export function text(maxLength: number): PurseField<string> {
  return {
    write: (w, value, field) => w.string(value, field, maxLength),
    read: (r, field) => r.string(field, maxLength),
  };
}

/** Bytes of a length both sides know (keys, nonces, ids). */
export function fixed(length: number): PurseField<Uint8Array> {
  return {
    write: (w, value, field) => w.fixed(value, length, field),
    read: (r, field) => r.fixed(length, field),
  };
}

/** Length-prefixed bytes, at most `maxLength` when read. */
export function bytes(maxLength: number): PurseField<Uint8Array> {
  return {
    write: (w, value, field) => w.bytes(value, field),
    read: (r, field) => r.bytes(field, maxLength),
  };
}

/** Writes every field of `value` in table order, each named by its key in errors. */
export function writeFields<F extends PurseFieldTable>(
  writer: CanonicalWriter,
  fields: F,
  value: PurseValue<F>,
): void {
  for (const [name, kind] of Object.entries(fields)) {
    kind.write(writer, (value as Record<string, unknown>)[name], name);
  }
}

/** Reads every field in table order, each named `${prefix}${key}` in errors. */
export function readFields<F extends PurseFieldTable>(
  reader: CanonicalReader,
  fields: F,
  prefix: string,
): PurseValue<F> {
  const value: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(fields)) {
    value[name] = kind.read(reader, `${prefix}${name}`);
  }
  return value as PurseValue<F>;
}

export interface PurseRecord<T> {
  encode(value: T): Uint8Array;
  /** Strict: every field, nothing after; `invalid_encoding` naming the field. */
  decode(bytes: Uint8Array): T;
}

/**
 * An unsigned structure that travels as its fields alone (a card command's data or answer).
 * `what` names it in decoding errors, its fields as `${what}.${field}` unless `prefix` says
 * otherwise.
 */
export function purseRecord<F extends PurseFieldTable>(
  what: string,
  fields: F,
  prefix = `${what}.`,
): PurseRecord<PurseValue<F>> {
  return {
    encode(value) {
      const writer = new CanonicalWriter();
      writeFields(writer, fields, value);
      return writer.finish();
    },
    decode: (bytes) => readAll(bytes, what, (r) => readFields(r, fields, prefix)),
  };
}
