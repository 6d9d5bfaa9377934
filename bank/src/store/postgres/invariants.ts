/**
 * The books check on PostgreSQL: the same rules as the SQLite check (../sqlite/invariants.ts,
 * which lists them), read from the raw tables in one REPEATABLE READ READ ONLY transaction, so
 * every sum comes from one snapshot while other processes keep writing.
 */
import * as books from '../books.ts';
import type { InvariantReport } from '../store.ts';
import type { PostgresDatabase } from './database.ts';
import { checkRefundInvariants } from './refund-invariants.ts';

export async function checkInvariants(db: PostgresDatabase): Promise<InvariantReport> {
  return db.transaction({ isolation: 'repeatable read', readOnly: true }, async (sql) => {
    const problems: string[] = [];
    for (const check of books.rowChecks) {
      books.rowProblems(check, await sql.query<never>(check.sql), problems);
    }
    const [sums] = await sql.query<books.Sums>(books.sumsSql);
    const balances = await sql.query<{ name: string; balance: number }>(books.systemBalancesSql);
    const totals = books.checkTotals(
      sums!,
      new Map(balances.map((row) => [row.name, row.balance])),
      await checkRefundInvariants(sql, problems),
      problems,
    );
    return { ok: problems.length === 0, problems, totals };
  });
}
