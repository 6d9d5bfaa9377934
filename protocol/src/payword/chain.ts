/**
 * PayWord hash chains (Rivest & Shamir, "PayWord and MicroMint", 1996, §4.2): the user picks
 * w_n, computes w_{i-1} = H(w_i) down to the root w_0 and signs w_0 in a commitment. The i-th
 * payment reveals w_i; whoever holds w_{i-1} checks it with one hash, and nobody can compute
 * w_{i+1} from what has been revealed (one-wayness).
 *
 * H(w) = SHA-256(tag ‖ 0x01 ‖ w) with tag = `signingTags.paywordWord` and 0x01 the version.
 * The paper uses plain h(w). The prefix makes the chain a hash of its own: no SHA-256 output
 * computed elsewhere in Farthing (commitment and certificate ids, dual-signature hashes) is a
 * payword and no payword is one of those. The input is fixed-size, so no length prefix is
 * needed, and it starts with 'f' where canonical signing bytes start with a 0x00 length byte.
 * 22 + 32 = 54 bytes still fit one SHA-256 block (≤ 55 bytes of message), so the prefix costs
 * no compression: measured here with @noble/hashes one-shot, 1.04 M/s plain vs 1.01 M/s
 * prefixed, and nothing at all with the primed hasher below; a 64-byte input needs a second
 * block (0.69 M/s). That is also why no per-position tweak (index, chain id) is added: it
 * would cost the second block, and with 256-bit outputs a multi-target preimage search over
 * every word ever issued (say 2^40) still needs ~2^216 work.
 *
 * The wallet does not keep n words (3.2 MB at n = 100,000). w_n is derived from a secret seed,
 * w_n = HMAC-SHA256(seed, "farthing/payword/chain-end" ‖ u32 n), and the chain keeps the words
 * at every s-th index, s = ⌈√n⌉, plus the one segment between two checkpoints it is spending
 * from. Trade-off: memory ≤ 2√n + 2 words (≈ 20 KB at n = 100,000); revealing any word costs at
 * most s hashes (s − 1 to rebuild a segment, one to check it against the lower checkpoint);
 * spending in order costs about n + n/s hashes over the chain's life, ~1 per word. Creating a
 * chain costs n hashes (the root must be computed anyway). Pebbling (Jakobsson 2002) would cut
 * memory to O(log n) words at O(log n) hashes per reveal and far more state to persist; at
 * these lengths √n words are small enough for IndexedDB.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, signingTags, utf8Bytes } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import { assertObject } from './arguments.ts';

export const paywordWordLength = 32;
export const paywordSeedLength = 32;
/** Longest chain accepted anywhere; a commitment's length is a u32 on the wire. */
export const maxPaywordChainLength = 1 << 20;

const wordPrefix = concatBytes(utf8Bytes(signingTags.paywordWord), Uint8Array.of(1));
// One hasher primed with the prefix and one scratch hasher, reused for every hash:
// `_cloneInto` copies the primed state without allocating a hasher per word. Measured here
// (bench/payword.bench.ts): 1.65 M hashes/s against 0.8–0.9 M/s for the one-shot
// `sha256(prefix ‖ w)`, 0.6–0.8 M/s for node:crypto `createHash` (a native call per update and
// per digest) and 0.8–1.3 M/s for node:crypto's one-shot `hash()`: the server gains nothing
// from native hashing at this size. `digest()` wipes the scratch buffer, so no word lingers.
// `_cloneInto` is noble's own cloning hook (HMAC uses it); the version is pinned and the
// tests check every word against node:crypto.
const primedHasher = sha256.create().update(wordPrefix);
const scratchHasher = sha256.create();
const chainEndLabel = utf8Bytes('farthing/payword/chain-end');

/** H^times(word): `times` applications of H, so `hashWordTimes(w_i, k)` is w_{i−k}. */
export function hashWordTimes(word: Uint8Array, times: number): Uint8Array {
  assertBytes(word, 'word', paywordWordLength);
  assertInteger(times, 'times', 0, maxPaywordChainLength);
  if (times === 0) return word.slice();
  let current = word;
  for (let i = 0; i < times; i++) {
    current = primedHasher._cloneInto(scratchHasher).update(current).digest();
  }
  return current;
}

/** H(w): the word one step closer to the root. */
export function hashWord(word: Uint8Array): Uint8Array {
  return hashWordTimes(word, 1);
}

function assertChainLength(length: unknown, field: string): asserts length is number {
  assertInteger(length, field, 1, maxPaywordChainLength);
}

/** w_n for a chain of `length` words. Binding n means one seed never yields two related chains. */
export function chainEnd(seed: Uint8Array, length: number): Uint8Array {
  assertBytes(seed, 'seed', paywordSeedLength);
  assertChainLength(length, 'length');
  const message = new Uint8Array(chainEndLabel.length + 4);
  message.set(chainEndLabel);
  new DataView(message.buffer).setUint32(chainEndLabel.length, length);
  return hmac(sha256, seed, message);
}

export function randomChainSeed(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(paywordSeedLength));
}

/** s = ⌈√n⌉: the distance between checkpoints and the most hashes one reveal may cost. */
export function checkpointSpacing(length: number): number {
  assertChainLength(length, 'length');
  return Math.ceil(Math.sqrt(length));
}

function checkpointCount(length: number, spacing: number): number {
  return Math.ceil(length / spacing) + 1;
}

/** What the wallet persists to resume a chain without recomputing it (all of it is secret). */
export interface PaywordChainRecord {
  readonly seed: Uint8Array;
  readonly length: number;
  /** w at indices 0, s, 2s, …, and n last. */
  readonly checkpoints: readonly Uint8Array[];
}

export interface PaywordChain {
  /** n: the chain pays for words 1..n. */
  readonly length: number;
  /** w_0, the value the commitment signs. */
  readonly root: Uint8Array;
  readonly spacing: number;
  /** Hashes computed so far, including creation: makes the reveal cost observable. */
  readonly hashCount: number;
  /** w_index, for 0 ≤ index ≤ n. */
  wordAt(index: number): Uint8Array;
  toRecord(): PaywordChainRecord;
  /** Overwrites the seed and every word held, for when the chain is spent or abandoned. */
  wipe(): void;
}

class CheckpointedChain implements PaywordChain {
  readonly length: number;
  readonly spacing: number;
  readonly #seed: Uint8Array;
  readonly #checkpoints: Uint8Array[];
  /** Checkpoint number j whose segment (index (j−1)s, index js) is cached; 0 when none. */
  #segmentOf = 0;
  #segment: Uint8Array[] = [];
  #hashCount = 0;
  #wiped = false;

  constructor(seed: Uint8Array, length: number, checkpoints: Uint8Array[] | undefined) {
    this.#seed = seed.slice();
    this.length = length;
    this.spacing = Math.ceil(Math.sqrt(length));
    this.#checkpoints = checkpoints ?? this.#build();
  }

  /** Walks w_n → w_0 once, keeping checkpoints and, for free, the first segment to be spent. */
  #build(): Uint8Array[] {
    const { length, spacing } = this;
    const checkpoints = new Array<Uint8Array>(checkpointCount(length, spacing));
    let word = chainEnd(this.#seed, length);
    checkpoints[checkpoints.length - 1] = word;
    for (let index = length - 1; index >= 0; index--) {
      word = hashWordTimes(word, 1);
      this.#hashCount++;
      if (index % spacing === 0) checkpoints[index / spacing] = word;
      else if (index < spacing) this.#segment[index - 1] = word;
    }
    if (length > 1) this.#segmentOf = 1;
    return checkpoints;
  }

  get root(): Uint8Array {
    return this.#word(0);
  }

  get hashCount(): number {
    return this.#hashCount;
  }

  wordAt(index: number): Uint8Array {
    assertInteger(index, 'index', 0, this.length);
    return this.#word(index);
  }

  #assertLive(): void {
    if (this.#wiped) {
      throw new FarthingError('invalid_argument', 'this PayWord chain has been wiped', {
        details: { field: 'chain' },
      });
    }
  }

  #word(index: number): Uint8Array {
    this.#assertLive();
    const { spacing } = this;
    if (index % spacing === 0) return this.#checkpoints[index / spacing]!.slice();
    if (index === this.length) return this.#checkpoints[this.#checkpoints.length - 1]!.slice();
    const upper = Math.ceil(index / spacing);
    if (this.#segmentOf !== upper) this.#fillSegment(upper);
    return this.#segment[index - (upper - 1) * spacing - 1]!.slice();
  }

  #fillSegment(upper: number): void {
    const lowerIndex = (upper - 1) * this.spacing;
    const upperIndex = Math.min(upper * this.spacing, this.length);
    const segment = new Array<Uint8Array>(upperIndex - lowerIndex - 1);
    let word = this.#checkpoints[upper]!;
    for (let index = upperIndex - 1; index > lowerIndex; index--) {
      word = hashWordTimes(word, 1);
      segment[index - lowerIndex - 1] = word;
    }
    // One more hash must land on the lower checkpoint: this is what catches a corrupted
    // record handed to `restorePaywordChain`, whose inner checkpoints are not checked up front.
    const lower = hashWordTimes(word, 1);
    this.#hashCount += upperIndex - lowerIndex;
    if (!equalBytes(lower, this.#checkpoints[upper - 1]!)) {
      throw new FarthingError(
        'invalid_argument',
        `PayWord chain checkpoints ${upper - 1} and ${upper} do not belong to one chain`,
        { details: { field: 'checkpoints', index: upper } },
      );
    }
    for (const old of this.#segment) old?.fill(0);
    this.#segment = segment;
    this.#segmentOf = upper;
  }

  toRecord(): PaywordChainRecord {
    this.#assertLive();
    return {
      seed: this.#seed.slice(),
      length: this.length,
      checkpoints: this.#checkpoints.map((word) => word.slice()),
    };
  }

  wipe(): void {
    this.#seed.fill(0);
    for (const word of this.#checkpoints) word.fill(0);
    for (const word of this.#segment) word?.fill(0);
    this.#segment = [];
    this.#segmentOf = 0;
    this.#wiped = true;
  }
}

/** Derives and walks a new chain: n hashes, e.g. ~0.1 s at n = 100,000. */
export function createPaywordChain(seed: Uint8Array, length: number): PaywordChain {
  assertBytes(seed, 'seed', paywordSeedLength);
  assertChainLength(length, 'length');
  return new CheckpointedChain(seed, length, undefined);
}

/**
 * Resumes a chain from a stored record without walking it. The top checkpoint is checked
 * against the seed here; each inner one when its segment is first rebuilt.
 */
export function restorePaywordChain(record: PaywordChainRecord): PaywordChain {
  assertObject(record, 'record');
  const { seed, length, checkpoints } = record;
  assertBytes(seed, 'record.seed', paywordSeedLength);
  assertChainLength(length, 'record.length');
  const expected = checkpointCount(length, Math.ceil(Math.sqrt(length)));
  if (!Array.isArray(checkpoints) || checkpoints.length !== expected) {
    throw new FarthingError(
      'invalid_argument',
      `expected ${expected} checkpoints for a chain of ${length} words`,
      { details: { field: 'record.checkpoints', expected } },
    );
  }
  const copies = checkpoints.map((word: unknown, index) => {
    assertBytes(word, `record.checkpoints[${index}]`, paywordWordLength);
    return word.slice();
  });
  if (!equalBytes(copies[copies.length - 1]!, chainEnd(seed, length))) {
    throw new FarthingError('invalid_argument', 'the last checkpoint is not this seed’s w_n', {
      details: { field: 'record.checkpoints' },
    });
  }
  return new CheckpointedChain(seed, length, copies);
}
