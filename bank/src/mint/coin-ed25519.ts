/**
 * Ed25519 verification of coin signatures (deposit permissions, change requests): the
 * deposit workers' largest cost.
 *
 * libsodium (`sodium-native`, prebuilt N-API addon) when it loads, ~50 µs a verification
 * here against ~115 µs for OpenSSL 3.0 with its key import (`bank.compare.ed25519_*_us` in
 * bench/bank.bench.ts); Node's OpenSSL otherwise, exactly as before.
 *
 * Both are strict RFC 8032 §5.1.7 verifiers: S < L, R compared as its canonical encoding, the
 * cofactorless equation [S]B = R + [k]A. libsodium also refuses what OpenSSL lets through:
 * a small-order or non-canonically encoded public key, and a small-order R. Signatures made
 * with such keys prove nothing (anyone can make them: A = identity, R = identity, S = 0
 * "signs" every message), no wallet derives such a key, and the protocol's reference verifier
 * (noble with `zip215: false`, the wallet's) refuses them too — so the bank now agrees with
 * the wallet where OpenSSL did not (coin-ed25519.test.ts checks the three side by side).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { ed25519PublicKeyLength, ed25519SignatureLength } from '@farthing/protocol/ed25519';

/** `signature` over `message` by `publicKey`; false for anything malformed. */
export type CoinEd25519Verify = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

interface Sodium {
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
}

/** `FARTHING_BANK_ED25519=openssl` skips libsodium (for comparisons; production wants it). */
function loadSodium(): Sodium | undefined {
  if (process.env.FARTHING_BANK_ED25519 === 'openssl') return undefined;
  try {
    return createRequire(import.meta.url)('sodium-native') as Sodium;
  } catch {
    return undefined; // no prebuilt binary for this platform: OpenSSL does the job, slower
  }
}

const sodium = loadSodium();

const asBuffer = (bytes: Uint8Array) =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const opensslEd25519Verify: CoinEd25519Verify = (signature, message, publicKey) => {
  if (signature.length !== ed25519SignatureLength || publicKey.length !== ed25519PublicKeyLength) {
    return false;
  }
  try {
    // A JWK import (~7 µs) is the cheapest way into OpenSSL (protocol/src/node/ed25519.ts).
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: asBuffer(publicKey).toString('base64url') },
      format: 'jwk',
    });
    return nodeVerify(null, message, key, signature);
  } catch {
    return false; // not a point on the curve, or a signature OpenSSL reports as an error
  }
};

export const sodiumEd25519Verify: CoinEd25519Verify | undefined =
  sodium === undefined
    ? undefined
    : (signature, message, publicKey) =>
        signature.length === ed25519SignatureLength &&
        publicKey.length === ed25519PublicKeyLength &&
        sodium.crypto_sign_verify_detached(
          asBuffer(signature),
          asBuffer(message),
          asBuffer(publicKey),
        );

export type CoinEd25519Library = 'libsodium' | 'openssl';

/** The verifier the bank uses, and its name for logs and benchmarks. */
export const coinEd25519: { readonly library: CoinEd25519Library; verify: CoinEd25519Verify } =
  sodiumEd25519Verify === undefined
    ? { library: 'openssl', verify: opensslEd25519Verify }
    : { library: 'libsodium', verify: sodiumEd25519Verify };
