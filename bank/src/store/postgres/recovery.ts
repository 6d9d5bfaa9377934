/** What a wallet's recovery reads (mint/recovery.ts), as ../sqlite/recovery.ts does. */
import { idPrefixRange, prefixRange, sortedPrefixes } from '../spent-prefixes.ts';
import type { Sql } from './database.ts';
import { bytes } from './rows.ts';

/** Newest first. */
export async function withdrawalIds(
  sql: Sql,
  accountId: number,
  offset: number,
  limit: number,
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM issuances WHERE account_id = $1 AND kind = 'withdrawal'
     ORDER BY row_id DESC LIMIT $2 OFFSET $3`,
    [accountId, limit, offset],
  );
  return rows.map((row) => row.id);
}

/**
 * At most `limit` keys, the sorted prefixes' ranges one after the other: `page` reads at most
 * `room` keys of one prefix's range, in key order.
 */
async function byPrefix<Prefix, Key>(
  prefixes: Iterable<Prefix>,
  limit: number,
  page: (prefix: Prefix, room: number) => Promise<Key[]>,
): Promise<Key[]> {
  const found: Key[] = [];
  for (const prefix of prefixes) {
    if (found.length >= limit) break;
    found.push(...(await page(prefix, limit - found.length)));
  }
  return found;
}

export function spentWithPrefixes(
  sql: Sql,
  prefixes: readonly Uint8Array[],
  after: Uint8Array | undefined,
  limit: number,
): Promise<Uint8Array[]> {
  return byPrefix(sortedPrefixes(prefixes), limit, async (prefix, room) => {
    const { above, below } = prefixRange(prefix, after);
    const rows = await sql.query<{ coin_pub: Uint8Array }>(
      'SELECT coin_pub FROM spent_coins WHERE coin_pub > $1 AND coin_pub < $2 ORDER BY coin_pub LIMIT $3',
      [above, below, room],
    );
    return rows.map((row) => bytes(row.coin_pub));
  });
}

export function changeIdsWithPrefixes(
  sql: Sql,
  prefixes: readonly string[],
  after: string | undefined,
  limit: number,
): Promise<string[]> {
  return byPrefix([...new Set(prefixes)].sort(), limit, async (prefix, room) => {
    const { from, inclusive, below } = idPrefixRange(prefix, after);
    // COLLATE "C": compare bytewise, as the range assumes, whatever the database's locale.
    const rows = await sql.query<{ id: string }>(
      `SELECT id FROM issuances
       WHERE kind = 'change' AND id ${inclusive ? '>=' : '>'} $1 COLLATE "C" AND id < $2 COLLATE "C"
       ORDER BY id COLLATE "C" LIMIT $3`,
      [from, below, room],
    );
    return rows.map((row) => row.id);
  });
}
