/**
 * A mint denomination's RSA public key: the plain integers `{ n, e }` in memory, a JWK
 * (RFC 7517/7518 §6.3.1, `kty: "RSA"`) on the wire, which WebCrypto and Node import directly
 * as an RSA-PSS verification key.
 */
import { fromBase64url, toBase64url } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { bitLength, i2osp, os2ip } from './bigint.ts';

export interface BlindRsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
}

export interface BlindRsaPublicKeyJwk {
  readonly kty: 'RSA';
  /** Modulus, unpadded base64url of its minimal big-endian bytes (RFC 7518 §6.3.1.1). */
  readonly n: string;
  /** Public exponent, same encoding (RFC 7518 §6.3.1.2). */
  readonly e: string;
}

/** The project issues 2048-bit keys; RFC 9474's Appendix A vectors use 4096. */
export const minModulusBits = 2048;
export const maxModulusBits = 4096;

/** What every operation needs from a key, computed once per key object. */
export interface KeyContext {
  readonly n: bigint;
  readonly e: bigint;
  readonly modulusBits: number;
  /** kLen (RFC 9474 §2: `modulus_len`), the byte length of n and of every RSA value. */
  readonly modulusLength: number;
  /** EMSA-PSS emBits = modBits − 1 (RFC 8017 §8.1.1 step 1, §8.1.2 step 2c). */
  readonly emBits: number;
}

const contexts = new WeakMap<object, KeyContext>();

function invalidKey(shortMessage: string, field: string): FarthingError {
  return new FarthingError('invalid_key', shortMessage, { details: { field } });
}

function validate(n: bigint, e: bigint, field: string): KeyContext {
  const modulusBits = bitLength(n);
  if (modulusBits < minModulusBits || modulusBits > maxModulusBits) {
    throw invalidKey(
      `expected an RSA modulus of ${minModulusBits} to ${maxModulusBits} bits in "${field}", got ${modulusBits}`,
      `${field}.n`,
    );
  }
  // RFC 8017 §3.1: n is a product of odd primes, and 3 <= e <= n - 1 with e odd (coprime to
  // the even λ(n)).
  if ((n & 1n) === 0n) throw invalidKey(`RSA modulus "${field}.n" is even`, `${field}.n`);
  if (e <= 1n || (e & 1n) === 0n || e >= n) {
    throw invalidKey(`RSA exponent "${field}.e" must be odd, > 1 and < n`, `${field}.e`);
  }
  return { n, e, modulusBits, modulusLength: Math.ceil(modulusBits / 8), emBits: modulusBits - 1 };
}

/**
 * Validates `publicKey` at the boundary of every operation. The result is cached per object,
 * re-checked against the object's current `n` and `e` so a mutated key cannot reuse a stale one.
 */
export function keyContext(publicKey: unknown, field = 'publicKey'): KeyContext {
  if (typeof publicKey !== 'object' || publicKey === null) {
    throw new FarthingError('invalid_argument', `expected RSA public key object "${field}"`, {
      details: { field },
    });
  }
  const { n, e } = publicKey as Partial<Record<'n' | 'e', unknown>>;
  if (typeof n !== 'bigint' || typeof e !== 'bigint') {
    throw new FarthingError(
      'invalid_argument',
      `expected bigint "${field}.n" and "${field}.e", got ${typeof n} and ${typeof e}`,
      { details: { field } },
    );
  }
  const cached = contexts.get(publicKey);
  if (cached !== undefined && cached.n === n && cached.e === e) return cached;
  const context = validate(n, e, field);
  contexts.set(publicKey, context);
  return context;
}

/** Checks `n` and `e` and returns a frozen key object. */
export function blindRsaPublicKey(params: { n: bigint; e: bigint }): BlindRsaPublicKey {
  const key = Object.freeze({ n: params?.n, e: params?.e }) as BlindRsaPublicKey;
  keyContext(key);
  return key;
}

function minimalBytes(value: bigint): Uint8Array {
  return i2osp(value, Math.ceil(bitLength(value) / 8))!;
}

export function publicKeyToJwk(publicKey: BlindRsaPublicKey): BlindRsaPublicKeyJwk {
  const { n, e } = keyContext(publicKey);
  return { kty: 'RSA', n: toBase64url(minimalBytes(n)), e: toBase64url(minimalBytes(e)) };
}

function jwkInteger(text: unknown, field: string): bigint {
  const bytes = fromBase64url(text, field);
  // RFC 7518 §6.3.1.1: "MUST utilize the minimum number of octets", so one key has one form.
  if (bytes.length === 0 || bytes[0] === 0) {
    throw invalidKey(`"${field}" is not a minimal big-endian integer`, field);
  }
  return os2ip(bytes);
}

/** Parses and validates a key received from another party. */
export function publicKeyFromJwk(jwk: unknown, field = 'publicKey'): BlindRsaPublicKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalidKey(`expected an RSA JWK object "${field}"`, field);
  }
  const record = jwk as Record<string, unknown>;
  if (record.kty !== 'RSA') throw invalidKey(`expected "${field}.kty" to be "RSA"`, `${field}.kty`);
  const key = Object.freeze({
    n: jwkInteger(record.n, `${field}.n`),
    e: jwkInteger(record.e, `${field}.e`),
  });
  keyContext(key, field);
  return key;
}
