/**
 * The key range of a coin-key prefix, for the recovery's "which of these are spent" search
 * (mint/recovery.ts): every 32-byte key starting with `prefix` lies strictly between `prefix`
 * itself (shorter, so smaller) and `prefix` followed by 0xff up to 33 bytes (longer than any
 * key with that prefix). Both SQLite BLOBs and PostgreSQL bytea compare bytewise, then by
 * length, so one index range scan per prefix finds them.
 */
export const coinPubLength = 32;

export function prefixRange(
  prefix: Uint8Array,
  after: Uint8Array | undefined,
): { readonly above: Uint8Array; readonly below: Uint8Array } {
  const below = new Uint8Array(coinPubLength + 1).fill(0xff);
  below.set(prefix);
  const above = after !== undefined && Buffer.compare(after, prefix) > 0 ? after : prefix;
  return { above, below };
}

/**
 * The id range of an issuance-id prefix: ids are base64url (A–Z a–z 0–9 - _), all below '~',
 * so every id starting with `prefix` lies in [prefix, prefix + '~'), compared bytewise.
 */
export function idPrefixRange(
  prefix: string,
  after: string | undefined,
): { readonly from: string; readonly inclusive: boolean; readonly below: string } {
  const below = `${prefix}~`;
  return after !== undefined && after >= prefix
    ? { from: after, inclusive: false, below }
    : { from: prefix, inclusive: true, below };
}

/** Sorted, without duplicates: the ranges are then disjoint and visited in key order. */
export function sortedPrefixes(prefixes: readonly Uint8Array[]): Uint8Array[] {
  const sorted = [...prefixes].sort((a, b) => Buffer.compare(a, b));
  return sorted.filter((prefix, i) => i === 0 || Buffer.compare(prefix, sorted[i - 1]!) !== 0);
}
