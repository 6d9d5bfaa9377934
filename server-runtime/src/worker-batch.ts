/**
 * A batch of byte strings for a worker thread (the bank's deposit checks, the merchant's
 * signing thread), packed back to back into one fresh buffer: `postMessage` can then transfer
 * that buffer instead of copying each view by structured clone. Item `i` is
 * `buffer[ends[i - 1] ?? 0, ends[i])`.
 */
export interface PackedBatch {
  /** Owned by the batch alone, so it can go in `postMessage`'s transfer list. */
  readonly buffer: ArrayBuffer;
  readonly ends: number[];
}

export function packBatch(items: readonly Uint8Array[]): PackedBatch {
  let length = 0;
  for (const item of items) length += item.byteLength;
  const bytes = new Uint8Array(length);
  const ends: number[] = [];
  let offset = 0;
  for (const item of items) {
    bytes.set(item, offset);
    offset += item.byteLength;
    ends.push(offset);
  }
  return { buffer: bytes.buffer, ends };
}
