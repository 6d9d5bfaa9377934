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

export async function spentWithPrefixes(
  sql: Sql,
  prefixes: readonly Uint8Array[],
  after: Uint8Array | undefined,
  limit: number,
): Promise<Uint8Array[]> {
  const found: Uint8Array[] = [];
  for (const prefix of sortedPrefixes(prefixes)) {
    if (found.length >= limit) break;
    const { above, below } = prefixRange(prefix, after);
    const rows = await sql.query<{ coin_pub: Uint8Array }>(
      'SELECT coin_pub FROM spent_coins WHERE coin_pub > $1 AND coin_pub < $2 ORDER BY coin_pub LIMIT $3',
      [above, below, limit - found.length],
    );
    for (const row of rows) found.push(bytes(row.coin_pub));
  }
  return found;
}

export async function changeIdsWithPrefixes(
  sql: Sql,
  prefixes: readonly string[],
  after: string | undefined,
  limit: number,
): Promise<string[]> {
  const found: string[] = [];
  for (const prefix of [...new Set(prefixes)].sort()) {
    if (found.length >= limit) break;
    const { from, inclusive, below } = idPrefixRange(prefix, after);
    // COLLATE "C": compare bytewise, as the range assumes, whatever the database's locale.
    const rows = await sql.query<{ id: string }>(
      `SELECT id FROM issuances
       WHERE kind = 'change' AND id ${inclusive ? '>=' : '>'} $1 COLLATE "C" AND id < $2 COLLATE "C"
       ORDER BY id COLLATE "C" LIMIT $3`,
      [from, below, limit - found.length],
    );
    for (const row of rows) found.push(row.id);
  }
  return found;
}
