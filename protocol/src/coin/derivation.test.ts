import { createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey } from '../ed25519.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import {
  deriveCoinBlindingSource,
  deriveCoinMessagePrefix,
  deriveCoinSecretKey,
  deriveCoinSecrets,
  maxCoinIndex,
  payerCodeHash,
  randomPayerCode,
  randomWithdrawalSeed,
} from './derivation.ts';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** The HKDF info string, rebuilt by hand from the documented layout. */
function info(purpose: string, index: number): Buffer {
  const tag = Buffer.from('farthing/withdrawal-seed');
  return Buffer.concat([
    u32(tag.length),
    tag,
    Buffer.of(0, 1),
    u32(purpose.length),
    Buffer.from(purpose),
    u32(index),
  ]);
}

/** HKDF-SHA256 without salt, by OpenSSL. */
function opensslHkdf(purpose: string, index: number, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', seed, Buffer.alloc(0), info(purpose, index), length));
}

describe('coin derivation', () => {
  it('matches HKDF-SHA256 (RFC 5869) computed by OpenSSL over the documented info', () => {
    for (const index of [0, 1, 7, maxCoinIndex]) {
      expect(deriveCoinSecretKey(seed, index)).toEqual(opensslHkdf('coin-secret-key', index, 32));
      expect(deriveCoinMessagePrefix(seed, index)).toEqual(
        opensslHkdf('message-prefix', index, 32),
      );
    }
  });

  it('streams HMAC-SHA256(K, u64 counter) blocks for the blinding factor', () => {
    const key = opensslHkdf('blinding-stream', 3, 32);
    const expected = Buffer.concat(
      [0n, 1n, 2n].map((counter) => {
        const block = Buffer.alloc(8);
        block.writeBigUInt64BE(counter);
        return createHmac('sha256', key).update(block).digest();
      }),
    );
    expect(deriveCoinBlindingSource(seed, 3)(96)).toEqual(new Uint8Array(expected));
  });

  it('is deterministic: the same seed and index give the same secrets', () => {
    const a = deriveCoinSecrets(seed, 5);
    const b = deriveCoinSecrets(seed.slice(), 5);
    expect(a).toEqual(b);
    expect(a.publicKey).toEqual(ed25519PublicKey(a.secretKey));
    expect(deriveCoinBlindingSource(seed, 5)(300)).toEqual(deriveCoinBlindingSource(seed, 5)(300));
  });

  it('continues the stream across draws, whatever their sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 }),
        (sizes) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const whole = deriveCoinBlindingSource(seed, 2)(total);
          const source = deriveCoinBlindingSource(seed, 2);
          const pieces = Buffer.concat(sizes.map((size) => source(size)));
          expect(new Uint8Array(pieces)).toEqual(whole);
        },
      ),
    );
  });

  it('gives independent keys, prefixes and streams to different indices and seeds', () => {
    const seen = new Set<string>();
    const seeds = [seed, randomWithdrawalSeed()];
    for (const s of seeds) {
      for (let index = 0; index < 50; index++) {
        const secrets = deriveCoinSecrets(s, index);
        for (const value of [
          secrets.secretKey,
          secrets.publicKey,
          secrets.messagePrefix,
          deriveCoinBlindingSource(s, index)(32),
        ]) {
          seen.add(Buffer.from(value).toString('hex'));
        }
      }
    }
    expect(seen.size).toBe(seeds.length * 50 * 4);
  });

  it.each<[string, () => unknown]>([
    ['a short seed', () => deriveCoinSecrets(new Uint8Array(31), 0)],
    ['a negative index', () => deriveCoinSecretKey(seed, -1)],
    ['an index past 2^32 − 1', () => deriveCoinMessagePrefix(seed, maxCoinIndex + 1)],
    ['a fractional index', () => deriveCoinBlindingSource(seed, 0.5)],
    ['an empty draw', () => deriveCoinBlindingSource(seed, 0)(0)],
    ['a huge draw', () => deriveCoinBlindingSource(seed, 0)(1 << 20)],
  ])('refuses %s with invalid_argument', (_, call) => {
    expect(farthingErrorCode(call)).toBe('invalid_argument');
  });
});

describe('payer code', () => {
  it('is 32 random bytes', () => {
    expect(randomPayerCode()).toHaveLength(32);
    expect(randomPayerCode()).not.toEqual(randomPayerCode());
  });

  it('hashes as SHA-256 of the tagged code', () => {
    const code = new Uint8Array(32).fill(0xaa);
    const tag = Buffer.from('farthing/payer-code');
    const expected = createHash('sha256')
      .update(Buffer.concat([u32(tag.length), tag, Buffer.of(0, 1), code]))
      .digest();
    expect(payerCodeHash(code)).toEqual(new Uint8Array(expected));
    expect(farthingErrorCode(() => payerCodeHash(new Uint8Array(16)))).toBe('invalid_argument');
  });
});
