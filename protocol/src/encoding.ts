/**
 * Bytes on the wire and bytes under a signature.
 *
 * - JSON carries bytes as unpadded base64url (RFC 4648 §5), decoded strictly: no padding, no
 *   characters outside the alphabet, no non-zero trailing bits (so every byte string has
 *   exactly one text form and a signature over the text cannot be malleated).
 * - Anything signed is signed over an explicit canonical encoding, never over JSON: a domain
 *   separation tag naming the structure and its version, then the fields in a fixed order,
 *   each with a fixed width or a length prefix. Two different values of a structure never
 *   encode to the same bytes, and bytes of one structure never parse as another.
 */
import { base64urlnopad } from '@scure/base';
import { type Amount, formatAmount } from './amount.ts';
import { assertBytes, assertInteger, assertString, FarthingError } from './errors.ts';

// --- base64url

/**
 * Node's `Buffer`, where there is one: its base64url is native, several times faster than the
 * JavaScript codec for the short values of a payment (keys, words, hashes), which the
 * merchant's and bank's hot paths encode and decode many times per request. Browsers use
 * `@scure/base`. Both give the same results: encoding is unambiguous, and decoding here stays
 * strict (the alphabet and length checked first, then the text compared with the encoding of
 * what it decoded to, which refuses non-zero trailing bits); a test holds them to each other.
 */
interface NodeBuffer extends Uint8Array {
  toString(encoding?: 'base64url'): string;
}
const nodeBuffer = (
  globalThis as {
    Buffer?: {
      from(bytes: ArrayBufferLike, offset: number, length: number): NodeBuffer;
      from(text: string, encoding: 'base64url'): NodeBuffer;
    };
  }
).Buffer;

const base64urlAlphabet = /^[A-Za-z0-9_-]*$/;

/** The JavaScript codec (browsers); exported for the test that compares it with Node's. */
export const scureBase64url = {
  encode: (bytes: Uint8Array): string => base64urlnopad.encode(bytes),
  decode: (text: string): Uint8Array => base64urlnopad.decode(text),
};

const codec =
  nodeBuffer === undefined
    ? scureBase64url
    : {
        encode: (bytes: Uint8Array): string =>
          nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url'),
        decode: (text: string): Uint8Array => {
          if (text.length % 4 === 1 || !base64urlAlphabet.test(text)) {
            throw new Error('not unpadded base64url');
          }
          const decoded = nodeBuffer.from(text, 'base64url');
          if (decoded.toString('base64url') !== text) throw new Error('non-zero trailing bits');
          // A copy: Node hands small decodings out as views of one shared pool.
          return new Uint8Array(decoded);
        },
      };

export function toBase64url(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return codec.encode(bytes);
}

/**
 * Decodes unpadded base64url. `field` names the value in the error; `length`, when given, is
 * the exact number of bytes expected.
 */
export function fromBase64url(text: unknown, field = 'value', length?: number): Uint8Array {
  if (typeof text !== 'string') {
    throw new FarthingError('invalid_encoding', `expected base64url string "${field}"`, {
      details: { field },
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = codec.decode(text);
  } catch (cause) {
    throw new FarthingError('invalid_encoding', `"${field}" is not canonical unpadded base64url`, {
      details: { field },
      cause,
    });
  }
  if (length !== undefined && bytes.length !== length) {
    throw new FarthingError(
      'invalid_encoding',
      `expected ${length} bytes in "${field}", got ${bytes.length}`,
      { details: { field, expected: length, got: bytes.length } },
    );
  }
  return bytes;
}

// --- byte helpers

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Constant-time comparison for secrets and MACs; length is not secret. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const utf8 = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

// --- canonical signing bytes

/**
 * Every signed structure has one tag. Listing them in one place keeps them distinct: a
 * signature made for one structure can never verify as another.
 */
export const signingTags = {
  offer: 'farthing/offer',
  receipt: 'farthing/receipt',
  accessGrant: 'farthing/access-grant',
  depositPermission: 'farthing/deposit-permission',
  coinPublicKey: 'farthing/coin-public-key',
  payerCode: 'farthing/payer-code',
  denomination: 'farthing/denomination',
  mintKeySet: 'farthing/mint-key-set',
  paywordUserCertificate: 'farthing/payword/user-certificate',
  paywordCommitment: 'farthing/payword/commitment',
  paywordWord: 'farthing/payword/word',
  withdrawalSeed: 'farthing/withdrawal-seed',
  changeRequest: 'farthing/change-request',
  merchantRegistration: 'farthing/merchant-registration',
  purseLoadRequest: 'farthing/purse/load-request',
  purseLoadAuthorization: 'farthing/purse/load-authorization',
  purseChallenge: 'farthing/purse/challenge',
  purseProof: 'farthing/purse/proof',
  // SET card payments (set/)
  setCardAccount: 'farthing/set/card-account',
  setOrderInformation: 'farthing/set/order-information',
  setPaymentInformation: 'farthing/set/payment-information',
  setDualSignature: 'farthing/set/dual-signature',
  setEnvelopeContext: 'farthing/set/envelope-context',
  setMessage: 'farthing/set/message',
  // merchant origins and revocation (x509/origin-challenge.ts, x509/merchant-revocations.ts)
  originChallenge: 'farthing/origin-challenge',
  merchantRevocations: 'farthing/merchant-revocations',
  // SET card payments, part 2: the order the wallet shows (set/order.ts)
  setOrder: 'farthing/set/order',
  // refunds (refund.ts, coin/refund-refresh.ts)
  refund: 'farthing/refund',
  refundRefresh: 'farthing/refund-refresh',
  // the wallet's recovery phrase: seeds derived from it (extension/src/wallet/recovery/)
  walletRecovery: 'farthing/wallet-recovery',
  // the mint's statement that a payment was deposited (coin/payment-statement.ts)
  paymentStatement: 'farthing/payment-statement',
} as const;

export type SigningTagName = keyof typeof signingTags;

/** Appends fields to a canonical encoding; all integers big-endian. */
export class CanonicalWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): this {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  u8(value: number, field: string): this {
    assertInteger(value, field, 0, 0xff);
    return this.#push(Uint8Array.of(value));
  }

  u16(value: number, field: string): this {
    assertInteger(value, field, 0, 0xffff);
    return this.#push(Uint8Array.of(value >>> 8, value & 0xff));
  }

  u32(value: number, field: string): this {
    assertInteger(value, field, 0, 0xffff_ffff);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value);
    return this.#push(out);
  }

  /** A non-negative safe integer as 8 bytes (amounts, timestamps in milliseconds). */
  u64(value: number, field: string): this {
    assertInteger(value, field);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value));
    return this.#push(out);
  }

  bool(value: boolean, field: string): this {
    if (typeof value !== 'boolean') {
      throw new FarthingError('invalid_argument', `expected boolean "${field}"`, {
        details: { field },
      });
    }
    return this.#push(Uint8Array.of(value ? 1 : 0));
  }

  /** Bytes whose length both sides know from the structure (keys, hashes, signatures). */
  fixed(value: Uint8Array, length: number, field: string): this {
    assertBytes(value, field, length);
    return this.#push(value);
  }

  /** Bytes of varying length, prefixed with their length as u32. */
  bytes(value: Uint8Array, field: string): this {
    assertBytes(value, field);
    this.u32(value.length, `${field}.length`);
    return this.#push(value);
  }

  /** A well-formed string as UTF-8 with a u32 length prefix (lone surrogates are refused,
   * since TextEncoder would map different strings to the same bytes). */
  string(value: string, field: string, maxLength?: number): this {
    assertString(value, field, maxLength);
    return this.bytes(utf8.encode(value), field);
  }

  /** An amount as the 3-letter currency code then the minor units as u64. */
  amount(value: Amount, field: string): this {
    formatAmount(value); // validates currency and range
    return this.fixed(utf8.encode(value.currency), 3, `${field}.currency`).u64(
      value.minor,
      `${field}.minor`,
    );
  }

  /** A list: u32 count, then each item written by `write`. */
  list<T>(
    items: readonly T[],
    field: string,
    write: (writer: this, item: T, index: number) => void,
  ): this {
    if (!Array.isArray(items)) {
      throw new FarthingError('invalid_argument', `expected array "${field}"`, {
        details: { field },
      });
    }
    this.u32(items.length, `${field}.length`);
    for (const [index, item] of items.entries()) write(this, item, index);
    return this;
  }

  /** An optional value: 0x00 when absent, 0x01 then the value when present. */
  optional<T>(value: T | undefined, field: string, write: (writer: this, value: T) => void): this {
    if (value === undefined) return this.u8(0, field);
    this.u8(1, field);
    write(this, value);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/**
 * The bytes a signature covers: `len(tag) ‖ tag ‖ u16 version ‖ fields`.
 *
 * ```ts
 * const bytes = signingBytes('offer', 1, (w) => w.string(offer.resource, 'resource').u64(...));
 * ```
 */
export function signingBytes(
  tag: SigningTagName,
  version: number,
  writeFields: (writer: CanonicalWriter) => void,
): Uint8Array {
  const name = signingTags[tag];
  if (name === undefined) {
    throw new FarthingError('invalid_argument', `unknown signing tag "${String(tag)}"`, {
      details: { field: 'tag' },
    });
  }
  const writer = new CanonicalWriter();
  writer.bytes(utf8.encode(name), 'tag').u16(version, 'version');
  writeFields(writer);
  return writer.finish();
}

/** Byte-wise order (shorter first on a common prefix): the one order sorted keys agree on. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}
