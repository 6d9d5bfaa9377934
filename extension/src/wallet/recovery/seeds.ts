/**
 * Seeds derived from the master secret (phrase.ts) with counters, so that the phrase alone
 * re-creates every withdrawal's seed and, through it, every coin's keys and blinding factors
 * (protocol/src/coin/derivation.ts).
 *
 * Each seed is HKDF-SHA256 (RFC 5869) of the master secret, with the fixed salt
 * `farthing/wallet-recovery` (§3.1: a salt adds domain separation even for uniform keys) and
 * an info string `signingBytes('walletRecovery', 1, purpose ‖ u32 counter)`, so different
 * purposes or counters give independent seeds.
 */
import { signingBytes, utf8Bytes } from '@farthing/protocol/encoding';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { masterSecretLength } from './phrase.ts';

export type SeedPurpose = 'withdrawal' | 'change' | 'payword-chain';

export const maxSeedCounter = 0xffff_ffff;
const salt = utf8Bytes('farthing/wallet-recovery');
const derivationVersion = 1;

export function deriveSeed(master: Uint8Array, purpose: SeedPurpose, counter: number): Uint8Array {
  if (master.length !== masterSecretLength) {
    throw new RangeError(`expected ${masterSecretLength}-byte "master", got ${master.length}`);
  }
  if (!Number.isInteger(counter) || counter < 0 || counter > maxSeedCounter) {
    throw new RangeError(`expected "counter" in 0..${maxSeedCounter}, got ${counter}`);
  }
  const info = signingBytes('walletRecovery', derivationVersion, (w) =>
    w.string(purpose, 'purpose', 32).u32(counter, 'counter'),
  );
  return hkdf(sha256, master, salt, info, 32);
}
