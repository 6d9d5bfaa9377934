import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packBatch } from './worker-batch.ts';

describe('packBatch', () => {
  it('puts the items back to back, each ending at its ends entry', () => {
    const source = new Uint8Array([9, 1, 2, 3, 9]);
    const items = [source.subarray(1, 4), new Uint8Array(0), new Uint8Array([4, 5])];
    const { buffer, ends } = packBatch(items);
    expect(ends).toEqual([3, 3, 5]);
    expect([...new Uint8Array(buffer)]).toEqual([1, 2, 3, 4, 5]);
    const unpacked = ends.map((end, i) => [
      ...new Uint8Array(buffer, ends[i - 1] ?? 0, end - (ends[i - 1] ?? 0)),
    ]);
    expect(unpacked).toEqual([[1, 2, 3], [], [4, 5]]);
  });

  it('packs an empty batch into an empty buffer', () => {
    const { buffer, ends } = packBatch([]);
    expect(buffer.byteLength).toBe(0);
    expect(ends).toEqual([]);
  });

  it('copies the items, so transferring the buffer leaves them whole', () => {
    const item = new Uint8Array([7, 8]);
    const { buffer } = packBatch([item]);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(buffer, [buffer]);
    port1.close();
    port2.close();
    expect(buffer.byteLength).toBe(0); // detached: it was transferred, not cloned
    expect([...item]).toEqual([7, 8]);
  });
});
