/**
 * Double-entry postings on PostgreSQL: one statement inserts the transfer, moves every
 * balance and writes the entries, so the account rows it locks are held for one round trip
 * less than a statement per posting would hold them. Runs inside the caller's transaction.
 *
 * `balance = balance + $amount` takes the row lock and re-reads the latest committed balance
 * even at READ COMMITTED, so concurrent postings to one account never lose an update; the
 * accounts table's CHECK (`accounts_no_overdraft`) refuses a balance below zero whichever
 * process posts.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { assertBalanced, type TransferParams } from '../transfer.ts';
import { isPostgresError, type Sql } from './database.ts';

const checkViolation = '23514';

export async function postTransfer(sql: Sql, transfer: TransferParams): Promise<number> {
  assertBalanced(transfer);
  const { kind, reference, postings, now } = transfer;
  const accounts = new Set<number>();
  for (const { accountId } of postings) {
    // One UPDATE … FROM moves each account once; two postings to one account would lose one.
    if (accounts.has(accountId)) throw new Error(`two postings to account ${accountId}`);
    accounts.add(accountId);
  }
  // Lock the accounts in id order first: the UPDATE below locks them in whatever order its
  // plan visits them, and two transfers between the same accounts locking in opposite orders
  // deadlock (measured: ~9 % of concurrent deposits from two processes, each costing the
  // 1 s deadlock_timeout before the retry). NO KEY UPDATE is the lock the UPDATE takes; a
  // plain FOR UPDATE would also wait for the KEY SHARE locks that foreign keys to the account
  // (a deposit's merchant_id) hold, and deadlock on those instead.
  await sql.query(
    'SELECT id FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE',
    [postings.map((p) => p.accountId)],
  );
  let rows: { transfer_id: number }[];
  try {
    rows = await sql.query<{ transfer_id: number }>(
      `WITH transfer AS (
         INSERT INTO transfers (kind, reference, created_at) VALUES ($1, $2, $3) RETURNING id
       ), moved AS (
         UPDATE accounts a SET balance = a.balance + p.amount
         FROM unnest($4::bigint[], $5::bigint[]) WITH ORDINALITY AS p (account_id, amount, n)
         WHERE a.id = p.account_id
         RETURNING a.id, p.amount, a.balance, p.n
       )
       INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after)
       SELECT transfer.id, moved.id, moved.amount, moved.balance
       FROM transfer CROSS JOIN moved ORDER BY moved.n
       RETURNING transfer_id`,
      [kind, reference, now, postings.map((p) => p.accountId), postings.map((p) => p.amount)],
    );
  } catch (error) {
    if (isPostgresError(error, checkViolation) && error.constraint === 'accounts_no_overdraft') {
      throw new FarthingError('insufficient_funds', 'the account balance is too low', {
        details: { shortfall: true },
      });
    }
    throw error;
  }
  if (rows.length !== postings.length) {
    throw new Error(`ledger posting to an unknown account in ${kind} ${reference}`);
  }
  return rows[0]!.transfer_id;
}
