import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signingTags, toBase64url } from '../encoding.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import {
  chainEnd,
  checkpointSpacing,
  createPaywordChain,
  hashWord,
  hashWordTimes,
  maxPaywordChainLength,
  restorePaywordChain,
} from './chain.ts';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);

/** Every word, computed independently with node:crypto: the reference the chain must match. */
function naiveChain(chainSeed: Uint8Array, length: number): Uint8Array[] {
  const label = Buffer.from('farthing/payword/chain-end');
  const n = Buffer.alloc(4);
  n.writeUInt32BE(length);
  const words = new Array<Uint8Array>(length + 1);
  words[length] = new Uint8Array(
    createHmac('sha256', chainSeed)
      .update(Buffer.concat([label, n]))
      .digest(),
  );
  const prefix = Buffer.concat([Buffer.from(signingTags.paywordWord), Buffer.of(1)]);
  for (let i = length - 1; i >= 0; i--) {
    words[i] = new Uint8Array(
      createHash('sha256')
        .update(Buffer.concat([prefix, words[i + 1]!]))
        .digest(),
    );
  }
  return words;
}

describe('the payword hash', () => {
  it('keeps the domain-separated input within one SHA-256 block', () => {
    // 55 bytes is the most a single 64-byte block holds after padding and the length field.
    expect(signingTags.paywordWord.length + 1 + 32).toBeLessThanOrEqual(55);
  });

  it('agrees with SHA-256(tag ‖ 0x01 ‖ w) computed by node:crypto', () => {
    const words = naiveChain(seed, 3);
    expect(hashWord(words[3]!)).toEqual(words[2]);
    expect(hashWordTimes(words[3]!, 3)).toEqual(words[0]);
  });

  it('returns a copy of the word for zero applications', () => {
    const word = new Uint8Array(32).fill(9);
    const result = hashWordTimes(word, 0);
    expect(result).toEqual(word);
    expect(result).not.toBe(word);
  });

  it('rejects words that are not 32 bytes and negative counts', () => {
    expect(farthingErrorCode(() => hashWord(new Uint8Array(31)))).toBe('invalid_argument');
    expect(farthingErrorCode(() => hashWordTimes(new Uint8Array(32), -1))).toBe('invalid_argument');
  });
});

describe('chain derivation', () => {
  it('derives w_n as HMAC-SHA256(seed, label ‖ u32 n)', () => {
    expect(chainEnd(seed, 10)).toEqual(naiveChain(seed, 10)[10]);
  });

  it('gives unrelated chains for the same seed and different lengths', () => {
    expect(chainEnd(seed, 10)).not.toEqual(chainEnd(seed, 11));
    expect(createPaywordChain(seed, 10).wordAt(9)).not.toEqual(
      createPaywordChain(seed, 11).wordAt(9),
    );
  });

  it('pins the root for a fixed seed, so stored commitments stay valid across releases', () => {
    expect(toBase64url(createPaywordChain(seed, 4).root)).toBe(
      toBase64url(naiveChain(seed, 4)[0]!),
    );
    expect(toBase64url(createPaywordChain(seed, 4).root)).toMatchInlineSnapshot(
      `"duQPzqgQU3ee9QDjFPEbgYZJofKG6sf6bXV4PXlAxaM"`,
    );
  });

  it('rejects a short seed and lengths outside 1..2^20', () => {
    expect(farthingErrorCode(() => createPaywordChain(new Uint8Array(31), 10))).toBe(
      'invalid_argument',
    );
    expect(farthingErrorCode(() => createPaywordChain(seed, 0))).toBe('invalid_argument');
    expect(farthingErrorCode(() => createPaywordChain(seed, maxPaywordChainLength + 1))).toBe(
      'invalid_argument',
    );
    expect(farthingErrorCode(() => createPaywordChain(seed, 1.5))).toBe('invalid_argument');
  });
});

describe('revealing words from checkpoints', () => {
  it('gives the same words as the full chain for short and awkward lengths', () => {
    for (const length of [1, 2, 3, 4, 5, 15, 16, 17, 99, 100, 101]) {
      const naive = naiveChain(seed, length);
      const chain = createPaywordChain(seed, length);
      expect(chain.root).toEqual(naive[0]);
      for (let i = 0; i <= length; i++) expect(chain.wordAt(i)).toEqual(naive[i]);
      for (let i = length; i >= 0; i--) expect(chain.wordAt(i)).toEqual(naive[i]);
    }
  });

  it('gives the same words as the full chain in any order (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (chainSeed, length, picks) => {
          const naive = naiveChain(chainSeed, length);
          const chain = createPaywordChain(chainSeed, length);
          const restored = restorePaywordChain(chain.toRecord());
          for (const pick of picks) {
            const index = pick % (length + 1);
            expect(chain.wordAt(index)).toEqual(naive[index]);
            expect(restored.wordAt(index)).toEqual(naive[index]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps ⌈n/s⌉ + 1 checkpoints with s = ⌈√n⌉', () => {
    const chain = createPaywordChain(seed, 10_000);
    expect(chain.spacing).toBe(100);
    expect(checkpointSpacing(10_000)).toBe(100);
    expect(checkpointSpacing(10_001)).toBe(101);
    expect(chain.toRecord().checkpoints).toHaveLength(101);
  });

  it('costs n hashes to create and at most ⌈√n⌉ hashes for any one reveal', () => {
    const length = 10_000;
    const chain = createPaywordChain(seed, length);
    expect(chain.hashCount).toBe(length);
    const indices = [length, length - 1, 1, 9_999, 5_050, 101, 199, 200, 4_321, 1];
    for (let i = 0; i < 40; i++) indices.push(Math.floor(Math.random() * (length + 1)));
    for (const index of indices) {
      const before = chain.hashCount;
      chain.wordAt(index);
      expect(chain.hashCount - before).toBeLessThanOrEqual(chain.spacing);
    }
  });

  it('spends a whole chain in order for about one hash per word', () => {
    const length = 10_000;
    const chain = createPaywordChain(seed, length);
    const before = chain.hashCount;
    for (let index = 1; index <= length; index++) chain.wordAt(index);
    // Segment 1 comes free with creation; every later segment costs s hashes, once.
    expect(chain.hashCount - before).toBe(length - chain.spacing);
  });

  it('rejects indices outside 0..n', () => {
    const chain = createPaywordChain(seed, 10);
    expect(farthingErrorCode(() => chain.wordAt(11))).toBe('invalid_argument');
    expect(farthingErrorCode(() => chain.wordAt(-1))).toBe('invalid_argument');
    expect(farthingErrorCode(() => chain.wordAt(2.5))).toBe('invalid_argument');
  });

  it('hands out copies, so a caller cannot corrupt the chain', () => {
    const chain = createPaywordChain(seed, 10);
    chain.wordAt(5).fill(0);
    chain.root.fill(0);
    expect(chain.wordAt(5)).toEqual(naiveChain(seed, 10)[5]);
    expect(chain.root).toEqual(naiveChain(seed, 10)[0]);
  });

  it('refuses to reveal anything after being wiped', () => {
    const chain = createPaywordChain(seed, 10);
    chain.wipe();
    expect(farthingErrorCode(() => chain.wordAt(3))).toBe('invalid_argument');
    expect(farthingErrorCode(() => chain.toRecord())).toBe('invalid_argument');
  });
});

describe('restoring a stored chain', () => {
  it('does not walk the chain again', () => {
    const restored = restorePaywordChain(createPaywordChain(seed, 10_000).toRecord());
    expect(restored.hashCount).toBe(0);
    restored.wordAt(1);
    expect(restored.hashCount).toBeLessThanOrEqual(restored.spacing);
  });

  it('rejects a record whose last checkpoint is not the seed’s w_n', () => {
    const record = createPaywordChain(seed, 100).toRecord();
    const checkpoints = record.checkpoints.slice();
    checkpoints[checkpoints.length - 1] = new Uint8Array(32);
    expect(farthingErrorCode(() => restorePaywordChain({ ...record, checkpoints }))).toBe(
      'invalid_argument',
    );
  });

  it('rejects a record with the wrong number of checkpoints', () => {
    const record = createPaywordChain(seed, 100).toRecord();
    const checkpoints = record.checkpoints.slice(1);
    expect(farthingErrorCode(() => restorePaywordChain({ ...record, checkpoints }))).toBe(
      'invalid_argument',
    );
  });

  it('detects a corrupted inner checkpoint when its segment is first used', () => {
    const record = createPaywordChain(seed, 100).toRecord();
    const checkpoints = record.checkpoints.slice();
    checkpoints[3] = new Uint8Array(32).fill(1);
    const restored = restorePaywordChain({ ...record, checkpoints });
    expect(restored.wordAt(95)).toEqual(naiveChain(seed, 100)[95]);
    // The segment above checkpoint 3 ends on it; the one below starts from it.
    expect(farthingErrorCode(() => restored.wordAt(35))).toBe('invalid_argument');
    expect(farthingErrorCode(() => restored.wordAt(25))).toBe('invalid_argument');
  });
});
