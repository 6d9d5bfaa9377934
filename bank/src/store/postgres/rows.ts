/** Turning PostgreSQL rows into the store's records. */
export { type AccountRow, bytes, sameBytes, toAccount } from '../rows.ts';
