/** Turning PostgreSQL rows into the store's records. */
export { type AccountRow, bytes, toAccount } from '../rows.ts';

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
