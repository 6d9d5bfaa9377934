/** What a wallet's recovery reads (mint/recovery.ts): an account's latest withdrawals, and
 * spent coin keys by prefix. */
import type Database from 'better-sqlite3';
import { bytes } from '../rows.ts';
import { idPrefixRange, prefixRange, sortedPrefixes } from '../spent-prefixes.ts';

export class RecoveryQueries {
  readonly #sql;

  constructor(db: Database.Database) {
    const change = (op: string) =>
      db.prepare(
        `SELECT id FROM issuances WHERE kind = 'change' AND id ${op} ? AND id < ? ORDER BY id LIMIT ?`,
      );
    this.#sql = {
      withdrawalIds: db.prepare(
        `SELECT id FROM issuances WHERE account_id = ? AND kind = 'withdrawal'
         ORDER BY row_id DESC LIMIT ? OFFSET ?`,
      ),
      changeFrom: change('>='),
      changeAfter: change('>'),
      spentInRange: db.prepare(
        'SELECT coin_pub FROM spent_coins WHERE coin_pub > ? AND coin_pub < ? ORDER BY coin_pub LIMIT ?',
      ),
    };
  }

  changeIdsWithPrefixes(
    prefixes: readonly string[],
    after: string | undefined,
    limit: number,
  ): string[] {
    const found: string[] = [];
    for (const prefix of [...new Set(prefixes)].sort()) {
      if (found.length >= limit) break;
      const { from, inclusive, below } = idPrefixRange(prefix, after);
      const rows = (inclusive ? this.#sql.changeFrom : this.#sql.changeAfter).all(
        from,
        below,
        limit - found.length,
      ) as { id: string }[];
      for (const row of rows) found.push(row.id);
    }
    return found;
  }

  /** Newest first. */
  withdrawalIds(accountId: number, offset: number, limit: number): string[] {
    return (this.#sql.withdrawalIds.all(accountId, limit, offset) as { id: string }[]).map(
      (row) => row.id,
    );
  }

  spentWithPrefixes(
    prefixes: readonly Uint8Array[],
    after: Uint8Array | undefined,
    limit: number,
  ): Uint8Array[] {
    const found: Uint8Array[] = [];
    for (const prefix of sortedPrefixes(prefixes)) {
      if (found.length >= limit) break;
      const { above, below } = prefixRange(prefix, after);
      for (const row of this.#sql.spentInRange.all(above, below, limit - found.length) as {
        coin_pub: Buffer;
      }[]) {
        found.push(bytes(row.coin_pub));
      }
    }
    return found;
  }
}
