/**
 * The inverse of `CanonicalWriter` (encoding.ts), for the structures that travel as their
 * signing bytes plus a signature (offer tokens, access-grant tokens).
 *
 * Reading is strict, so that every structure has exactly one byte form: lengths must fit,
 * strings must be well-formed UTF-8, optional markers are 0 or 1, and `end()` refuses
 * trailing bytes. Every failure is `invalid_encoding` naming the field.
 */
import { type Amount, amount } from './amount.ts';
import { type SigningTagName, signingTags, utf8Bytes } from './encoding.ts';
import { FarthingError, isFarthingError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(field: string, reason: string, cause?: unknown): FarthingError {
  return new FarthingError('invalid_encoding', `"${field}" ${reason}`, {
    details: { field },
    ...(cause === undefined ? {} : { cause }),
  });
}

export class CanonicalReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(length: number, field: string): Uint8Array {
    if (length > this.remaining) throw malformed(field, 'is truncated');
    const out = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  u8(field: string): number {
    return this.#take(1, field)[0]!;
  }

  u16(field: string): number {
    this.#take(2, field);
    return this.#view.getUint16(this.#offset - 2);
  }

  u32(field: string): number {
    this.#take(4, field);
    return this.#view.getUint32(this.#offset - 4);
  }

  /** A u64 that must fit a safe integer, as every u64 the writer produces does. */
  u64(field: string): number {
    this.#take(8, field);
    const value = this.#view.getBigUint64(this.#offset - 8);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(field, 'exceeds 2^53 − 1');
    return Number(value);
  }

  /** A copy, so the result does not keep the whole input alive or alias it. */
  fixed(length: number, field: string): Uint8Array {
    return this.#take(length, field).slice();
  }

  bytes(field: string, maxLength = this.remaining): Uint8Array {
    const length = this.u32(`${field}.length`);
    if (length > maxLength) throw malformed(field, `is longer than ${maxLength} bytes`);
    return this.fixed(length, field);
  }

  string(field: string, maxLength = 2048): string {
    // A string of n UTF-16 code units takes at most 3n bytes of UTF-8.
    const bytes = this.bytes(field, maxLength * 3);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (cause) {
      throw malformed(field, 'is not well-formed UTF-8', cause);
    }
    if (text.length === 0 || text.length > maxLength) {
      throw malformed(field, `must be 1 to ${maxLength} characters`);
    }
    return text;
  }

  amount(field: string): Amount {
    const currency = this.fixed(3, `${field}.currency`);
    const minor = this.u64(`${field}.minor`);
    let code: string;
    try {
      code = utf8.decode(currency);
    } catch (cause) {
      throw malformed(`${field}.currency`, 'is not a currency code', cause);
    }
    try {
      return amount(code, minor);
    } catch (cause) {
      if (!isFarthingError(cause)) throw cause;
      throw malformed(field, cause.shortMessage, cause);
    }
  }

  list<T>(field: string, maxItems: number, read: (reader: this, index: number) => T): T[] {
    const count = this.u32(`${field}.length`);
    if (count > maxItems) throw malformed(field, `has more than ${maxItems} items`);
    const items: T[] = [];
    for (let index = 0; index < count; index++) items.push(read(this, index));
    return items;
  }

  optional<T>(field: string, read: (reader: this) => T): T | undefined {
    const marker = this.u8(field);
    if (marker === 0) return undefined;
    if (marker !== 1) throw malformed(field, 'has an optional marker other than 0 or 1');
    return read(this);
  }

  /** Refuses trailing bytes. */
  end(what: string): void {
    if (this.remaining !== 0) throw malformed(what, `has ${this.remaining} trailing bytes`);
  }
}

/** Reads all of `bytes` with `read`; bytes left over are `invalid_encoding` naming `what`. */
export function readAll<T>(
  bytes: Uint8Array,
  what: string,
  read: (reader: CanonicalReader) => T,
): T {
  const reader = new CanonicalReader(bytes);
  const value = read(reader);
  reader.end(what);
  return value;
}

/**
 * Reads the `len(tag) ‖ tag ‖ u16 version` header `signingBytes` writes. A different tag is
 * `invalid_encoding` (bytes of one structure never parse as another); a version other than
 * `version` is `unsupported_version`.
 */
export function readSigningHeader(
  reader: CanonicalReader,
  tag: SigningTagName,
  version: number,
  what: string,
): void {
  const expected = utf8Bytes(signingTags[tag]);
  const actual = reader.bytes(`${what}.tag`, 256);
  if (actual.length !== expected.length || !actual.every((byte, i) => byte === expected[i])) {
    throw malformed(`${what}.tag`, `is not a ${what}`);
  }
  const got = reader.u16(`${what}.version`);
  if (got !== version) {
    throw new FarthingError('unsupported_version', `${what} version ${got} is not supported`, {
      details: { field: `${what}.version`, expected: version, got },
    });
  }
}
