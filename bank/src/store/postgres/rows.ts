/** Turning PostgreSQL rows into the store's records. */
import type { AccountKind, AccountRecord } from '../store.ts';

/** A plain Uint8Array view of a BYTEA value (pg returns Buffers). */
export const bytes = (value: Uint8Array): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

export interface AccountRow {
  readonly id: number;
  readonly kind: AccountKind;
  readonly name: string;
  readonly display_name: string;
  readonly currency: string;
  readonly balance: number;
  readonly password_hash: string | null;
  readonly created_at: number;
}

export function toAccount(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    displayName: row.display_name,
    currency: row.currency,
    balance: row.balance,
    passwordHash: row.password_hash ?? undefined,
    createdAt: row.created_at,
  };
}
