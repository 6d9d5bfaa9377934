/**
 * Ed25519 (RFC 8032) for coin keys, PayWord commitments, offers, receipts and statements.
 *
 * Verification is synchronous and pluggable: the default is @noble/curves (runs everywhere,
 * including the extension's service worker); servers plug in Node's native verifier
 * (`@farthing/protocol/node/ed25519`), measured ~14× faster. Both are strict RFC 8032
 * verifiers (noble with `zip215: false`), so a signature one accepts the other accepts too.
 *
 * Signing goes through `Ed25519Signer`, which may be asynchronous, so the wallet can sign with
 * non-extractable WebCrypto keys whose secret never reaches JavaScript.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { assertBytes } from './errors.ts';

export const ed25519PublicKeyLength = 32;
export const ed25519SecretKeyLength = 32;
export const ed25519SignatureLength = 64;

/**
 * Verifies a detached signature over `message` under a public key of type `K`; never throws
 * on a bad signature, only returns false.
 */
export type DetachedVerify<K> = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: K,
) => boolean;

export type Ed25519Verify = DetachedVerify<Uint8Array>;

export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * An `Ed25519Verify` around a curve library's check: the argument checks, the length test and
 * the "never throws on a bad signature" rule are the same for every library, so they live here
 * and `check` only runs the curve arithmetic on a signature and key of the right sizes.
 */
export function ed25519Verifier(
  check: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean,
): Ed25519Verify {
  return (signature, message, publicKey) => {
    assertBytes(signature, 'signature');
    assertBytes(message, 'message');
    assertBytes(publicKey, 'publicKey');
    if (
      signature.length !== ed25519SignatureLength ||
      publicKey.length !== ed25519PublicKeyLength
    ) {
      return false;
    }
    try {
      return check(signature, message, publicKey);
    } catch {
      return false; // malformed point encodings
    }
  };
}

export const nobleEd25519Verify: Ed25519Verify = ed25519Verifier((signature, message, publicKey) =>
  ed25519.verify(signature, message, publicKey, { zip215: false }),
);

/** Public key of a 32-byte RFC 8032 secret key (seed). */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', ed25519SecretKeyLength);
  return ed25519.getPublicKey(secretKey);
}

/** Synchronous signature with a secret key held in memory (coin keys, tests, servers). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  assertBytes(secretKey, 'secretKey', ed25519SecretKeyLength);
  return ed25519.sign(message, secretKey);
}

/** A signer over a secret key held in memory. */
export function ed25519Signer(secretKey: Uint8Array): Ed25519Signer {
  const publicKey = ed25519PublicKey(secretKey);
  const secret = secretKey.slice();
  return {
    publicKey,
    sign: async (message) => ed25519Sign(message, secret),
  };
}

export function randomSecretKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(ed25519SecretKeyLength));
}
