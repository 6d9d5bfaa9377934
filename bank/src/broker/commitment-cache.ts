/**
 * Commitments the broker has already verified, by commitment id. PayWord's point (Rivest &
 * Shamir 1996, §4.4) is that a vendor redeems one chain several times as it is spent: the
 * commitment's two signatures (broker over the certificate, user over the commitment) need
 * checking once, after which each incremental redemption costs only hashes.
 *
 * In memory and bounded: a miss only costs the signature checks again, so nothing here has to
 * survive a restart. Insertion order of a `Map` gives the LRU order: a hit moves the entry to
 * the end, an insert past the limit drops the first.
 */
import type { VerifiedPaywordCommitment } from '@farthing/protocol/payword/commitment';

export const defaultCommitmentCacheSize = 4096;

export class VerifiedCommitmentCache {
  readonly #limit: number;
  readonly #entries = new Map<string, VerifiedPaywordCommitment>();

  constructor(limit = defaultCommitmentCacheSize) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`expected a positive integer "limit", got ${limit}`);
    }
    this.#limit = limit;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): VerifiedPaywordCommitment | undefined {
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, entry);
    }
    return entry;
  }

  set(id: string, verified: VerifiedPaywordCommitment): void {
    this.#entries.delete(id);
    if (this.#entries.size >= this.#limit) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(id, verified);
  }
}
