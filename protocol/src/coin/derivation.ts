/**
 * Everything secret about a coin comes from the withdrawal seed and the coin's index
 * (DESIGN.md "E-cash", withdraw): a wallet that crashed between sending blinded coins and
 * storing the signatures re-derives the same keys, prefixes and blinding factors, fetches the
 * same blind signatures from the mint again and unblinds them — no coin is lost.
 *
 * Each value is HKDF-SHA256 (RFC 5869) of the seed, without salt (§3.1: the seed is already
 * uniformly random), with an info string made by `signingBytes('withdrawalSeed', 1, …)`: the
 * domain tag `farthing/withdrawal-seed`, the version, what the value is for, and the index.
 * Different purposes or indices give independent values.
 *
 * RFC 9474 §4.2 Blind draws the PSS salt and then the blinding factor r, by rejection
 * sampling, from its random source (`blind(…, { random })` in blind-rsa/rsabssa.ts), so the
 * coin's source must be an unbounded stream rather than a fixed number of bytes: block j is
 * HMAC-SHA256(K, u64 j) with K from HKDF (a PRF in counter mode). Re-deriving gives the same
 * salt, r and blinded message, so the mint recognises the withdrawal it already signed.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519PublicKey } from '../ed25519.ts';
import { signingBytes } from '../encoding.ts';
import { assertBytes, assertInteger } from '../errors.ts';

export const withdrawalSeedLength = 32;
export const coinMessagePrefixLength = 32;
export const payerCodeLength = 32;
export const payerCodeHashLength = 32;
export const maxCoinIndex = 0xffff_ffff;
const derivationVersion = 1;
/** Large enough for any r of RFC 9474 (the modulus length) many times over. */
const maxDrawLength = 1 << 16;

/** Draws the next `length` bytes of a deterministic stream. */
export type ByteSource = (length: number) => Uint8Array;

type Purpose = 'coin-secret-key' | 'message-prefix' | 'blinding-stream';

export interface CoinSecrets {
  readonly index: number;
  /** RFC 8032 secret key (seed) of the coin's Ed25519 key. */
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** RFC 9474 §4.1 `msg_prefix` of the randomized variant. */
  readonly messagePrefix: Uint8Array;
}

export function randomWithdrawalSeed(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(withdrawalSeedLength));
}

function derive(seed: Uint8Array, purpose: Purpose, index: number, length: number): Uint8Array {
  const info = signingBytes('withdrawalSeed', derivationVersion, (w) =>
    w.string(purpose, 'purpose', 32).u32(index, 'index'),
  );
  return hkdf(sha256, seed, undefined, info, length);
}

function checkSeedAndIndex(seed: Uint8Array, index: number): void {
  assertBytes(seed, 'seed', withdrawalSeedLength);
  assertInteger(index, 'index', 0, maxCoinIndex);
}

/** The coin's Ed25519 secret key. */
export function deriveCoinSecretKey(seed: Uint8Array, index: number): Uint8Array {
  checkSeedAndIndex(seed, index);
  return derive(seed, 'coin-secret-key', index, 32);
}

/** The coin's RFC 9474 message prefix. */
export function deriveCoinMessagePrefix(seed: Uint8Array, index: number): Uint8Array {
  checkSeedAndIndex(seed, index);
  return derive(seed, 'message-prefix', index, coinMessagePrefixLength);
}

/**
 * A deterministic stream for the coin's blinding factor. Successive draws continue the
 * stream; two sources made from the same seed and index yield the same bytes.
 */
export function deriveCoinBlindingSource(seed: Uint8Array, index: number): ByteSource {
  checkSeedAndIndex(seed, index);
  const key = derive(seed, 'blinding-stream', index, 32);
  let block = 0;
  let buffered = new Uint8Array(0);
  return (length) => {
    assertInteger(length, 'length', 1, maxDrawLength);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (buffered.length === 0) {
        const counter = new Uint8Array(8);
        new DataView(counter.buffer).setBigUint64(0, BigInt(block));
        block++;
        buffered = hmac(sha256, key, counter);
      }
      const take = Math.min(buffered.length, length - filled);
      out.set(buffered.subarray(0, take), filled);
      buffered = buffered.subarray(take);
      filled += take;
    }
    return out;
  };
}

/**
 * The coin's keys and message prefix. The blinding stream is separate
 * (`deriveCoinBlindingSource`): a stream is consumed as it is read, so each blinding attempt
 * opens its own.
 */
export function deriveCoinSecrets(seed: Uint8Array, index: number): CoinSecrets {
  const secretKey = deriveCoinSecretKey(seed, index);
  return Object.freeze({
    index,
    secretKey,
    publicKey: ed25519PublicKey(secretKey),
    messagePrefix: deriveCoinMessagePrefix(seed, index),
  });
}

// --- payer code (DESIGN.md "E-cash": the payer proves a payment later by revealing it)

/** A fresh secret per payment; the wallet keeps it, the deposit permissions carry its hash. */
export function randomPayerCode(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(payerCodeLength));
}

/** SHA-256 of `signingBytes('payerCode', 1, code)`: the tag keeps it apart from other hashes. */
export function payerCodeHash(code: Uint8Array): Uint8Array {
  assertBytes(code, 'payerCode', payerCodeLength);
  return sha256(signingBytes('payerCode', 1, (w) => w.fixed(code, payerCodeLength, 'payerCode')));
}
