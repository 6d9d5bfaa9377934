/**
 * Test-only helpers for the blind RSA tests: the RFC 9474 Appendix A vectors, a BigInt RSA
 * private operation with CRT (to sign without Node), and fresh 2048-bit keys.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@noble/hashes/utils.js';
import { bitLength, i2osp, modInverse, modPow, os2ip } from './bigint.ts';
import { type BlindRsaPublicKey, blindRsaPublicKey } from './public-key.ts';
import type { BlindRsaSigner, BlindRsaVariant, RandomSource } from './rsabssa.ts';

export interface Rfc9474Vector {
  readonly section: string;
  readonly name: BlindRsaVariant;
  readonly msg: string;
  readonly msg_prefix: string;
  readonly prepared_msg: string;
  readonly salt: string;
  readonly encoded_msg: string;
  readonly inv: string;
  readonly blinded_msg: string;
  readonly blind_sig: string;
  readonly sig: string;
}

export interface Rfc9474Vectors {
  readonly source: string;
  readonly key: Readonly<Record<'p' | 'q' | 'n' | 'e' | 'd', string>>;
  readonly vectors: readonly Rfc9474Vector[];
}

export const rfc9474: Rfc9474Vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/rfc9474/vectors.json', import.meta.url), 'utf8'),
);

export const hex = (text: string): Uint8Array => hexToBytes(text);
export const int = (text: string): bigint => BigInt(`0x${text}`);

export interface PrivateKeyIntegers {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
}

export const vectorKey: PrivateKeyIntegers = {
  n: int(rfc9474.key.n),
  e: int(rfc9474.key.e),
  d: int(rfc9474.key.d),
  p: int(rfc9474.key.p),
  q: int(rfc9474.key.q),
};

/** RSASP1 with the Chinese remainder theorem (RFC 8017 §5.1.2 step 2b), in BigInt. */
export function bigintSigner(key: PrivateKeyIntegers): BlindRsaSigner {
  const { n, e, d, p, q } = key;
  const dp = d % (p - 1n);
  const dq = d % (q - 1n);
  const qInv = modInverse(q, p)!;
  const length = Math.ceil(bitLength(n) / 8);
  return {
    publicKey: blindRsaPublicKey({ n, e }),
    privateOperation: (input) => {
      const c = os2ip(input);
      const m1 = modPow(c, dp, p);
      const m2 = modPow(c, dq, q);
      const h = (qInv * (m1 - m2 + p)) % p;
      return i2osp(m2 + h * q, length)!;
    },
  };
}

/** A random source that hands out `chunks` in order, for replaying a test vector. */
export function replay(...chunks: Uint8Array[]): RandomSource {
  const queue = [...chunks];
  return (length) => {
    const next = queue.shift();
    if (next === undefined || next.length !== length) {
      throw new Error(`replay: asked for ${length} bytes, had ${next?.length ?? 'nothing'}`);
    }
    return next.slice();
  };
}

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKeyObject: KeyObject;
  readonly publicKey: BlindRsaPublicKey;
  readonly integers: PrivateKeyIntegers;
}

function jwkInt(value: string | undefined): bigint {
  return os2ip(Buffer.from(value ?? '', 'base64url'));
}

export function generateTestKey(modulusLength = 2048): TestKey {
  const { privateKey, publicKey: publicKeyObject } = generateKeyPairSync('rsa', {
    modulusLength,
    publicExponent: 65537,
  });
  const jwk = privateKey.export({ format: 'jwk' });
  const integers = {
    n: jwkInt(jwk.n),
    e: jwkInt(jwk.e),
    d: jwkInt(jwk.d),
    p: jwkInt(jwk.p),
    q: jwkInt(jwk.q),
  };
  const publicKey = blindRsaPublicKey({ n: integers.n, e: integers.e });
  return { privateKey, publicKeyObject, publicKey, integers };
}

export const variants: readonly BlindRsaVariant[] = [
  'RSABSSA-SHA384-PSS-Randomized',
  'RSABSSA-SHA384-PSSZERO-Randomized',
  'RSABSSA-SHA384-PSS-Deterministic',
  'RSABSSA-SHA384-PSSZERO-Deterministic',
];
