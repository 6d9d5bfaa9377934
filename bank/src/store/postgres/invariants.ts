/**
 * The books check on PostgreSQL: the same rules as the SQLite check (../sqlite/invariants.ts,
 * which lists them), read from the raw tables in one REPEATABLE READ READ ONLY transaction, so
 * every sum comes from one snapshot while other processes keep writing.
 */
import { cardSystemAccounts } from '../card-store.ts';
import { type InvariantReport, systemAccounts } from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';
import { checkRefundInvariants } from './refund-invariants.ts';

export async function checkInvariants(db: PostgresDatabase): Promise<InvariantReport> {
  return db.transaction({ isolation: 'repeatable read', readOnly: true }, async (sql) => {
    const problems: string[] = [];
    const totals = await checkBooks(sql, problems);
    return { ok: problems.length === 0, problems, totals };
  });
}

async function checkBooks(sql: Sql, problems: string[]): Promise<Record<string, number>> {
  const all = <T extends object>(text: string, values: unknown[] = []) =>
    sql.query<T>(text, values);
  const sum = async (text: string): Promise<number> =>
    (await all<{ total: number | null }>(text))[0]?.total ?? 0;
  const balanceOf = async (name: string): Promise<number> =>
    (await all<{ balance: number }>('SELECT balance FROM accounts WHERE name = $1', [name]))[0]
      ?.balance ?? 0;

  for (const row of await all<{ transfer_id: number; total: number }>(
    'SELECT transfer_id, SUM(amount) AS total FROM ledger_entries GROUP BY transfer_id HAVING SUM(amount) <> 0',
  )) {
    problems.push(`transfer ${row.transfer_id} does not balance: entries sum to ${row.total}`);
  }
  for (const row of await all<{ name: string; balance: number; total: number | null }>(
    `SELECT a.name, a.balance, (SELECT SUM(amount) FROM ledger_entries e WHERE e.account_id = a.id) AS total
     FROM accounts a ORDER BY a.id`,
  )) {
    if (row.balance !== (row.total ?? 0)) {
      problems.push(
        `account ${row.name}: balance ${row.balance} but entries sum to ${row.total ?? 0}`,
      );
    }
  }
  for (const row of await all<{ name: string; balance: number }>(
    "SELECT name, balance FROM accounts WHERE kind <> 'system' AND balance < 0",
  )) {
    problems.push(`account ${row.name} is below zero: ${row.balance}`);
  }
  const customers = await sum(
    "SELECT SUM(balance) AS total FROM accounts WHERE kind IN ('customer', 'merchant')",
  );
  const coins = await balanceOf(systemAccounts.coins);
  const holds = await balanceOf(systemAccounts.paywordHolds);
  const issued = -(await balanceOf(systemAccounts.issued));
  const shadows = await sum(
    'SELECT SUM(a.balance) AS total FROM purse_cards c JOIN accounts a ON a.id = c.shadow_account_id',
  );
  const purseFees = await balanceOf('system:purse-fees');
  const cardHolds = await balanceOf(cardSystemAccounts.holds);
  const cardCredit = await balanceOf(cardSystemAccounts.credit);
  const { coinRefunds, refreshed } = await checkRefundInvariants(sql, problems);
  if (
    customers + coins + holds + shadows + purseFees + cardHolds + cardCredit + coinRefunds !==
    issued
  ) {
    problems.push(
      `account balances ${customers} + outstanding coins ${coins} + PayWord holds ${holds} + purse shadows ${shadows} + purse fees ${purseFees} + card holds ${cardHolds} + card credit ${cardCredit} + coin refunds ${coinRefunds} ≠ issued ${issued}`,
    );
  }
  for (const row of await all<{ card_id: string; balance: number; expected: number }>(
    `SELECT c.card_id, a.balance,
       (SELECT COALESCE(SUM(amount), 0) FROM purse_loads l WHERE l.card_id = c.card_id)
       - (SELECT COALESCE(SUM(amount), 0) FROM purse_clearings p WHERE p.card_id = c.card_id)
       - c.refunded AS expected
     FROM purse_cards c JOIN accounts a ON a.id = c.shadow_account_id`,
  )) {
    if (row.balance !== row.expected || row.balance < 0) {
      problems.push(
        `purse card ${row.card_id}: shadow balance ${row.balance} but loads − cleared − refunded = ${row.expected}`,
      );
    }
  }
  const fees = await sum('SELECT SUM(fee) AS total FROM purse_clearings');
  if (fees !== purseFees) problems.push(`purse fees ${fees} ≠ system:purse-fees ${purseFees}`);
  const [card] = await all<{ held: number; owed: number }>(
    `SELECT COALESCE(SUM(CASE WHEN status = 'authorized' THEN authorized ELSE 0 END), 0) AS held,
            COALESCE(SUM(CASE WHEN status = 'captured' THEN captured - credited ELSE 0 END), 0) AS owed
     FROM card_transactions`,
  );
  if (card!.held !== cardHolds) {
    problems.push(`open card authorizations ${card!.held} ≠ system:card-holds ${cardHolds}`);
  }
  if (card!.held + card!.owed !== -cardCredit) {
    problems.push(
      `card holds ${card!.held} + captured not credited ${card!.owed} ≠ lent (−system:card-credit) ${-cardCredit}`,
    );
  }
  for (const row of await all<{
    merchant_id: number;
    transaction_id: string;
    credited: number;
    live: number;
  }>(
    `SELECT t.merchant_id, t.transaction_id, t.credited,
            (SELECT COALESCE(SUM(amount), 0) FROM card_credits c
             WHERE c.merchant_id = t.merchant_id AND c.transaction_id = t.transaction_id
               AND c.reversed_at IS NULL) AS live
     FROM card_transactions t`,
  )) {
    if (row.credited !== row.live) {
      problems.push(
        `card transaction ${row.merchant_id}:${row.transaction_id}: credited ${row.credited} but live credits sum to ${row.live}`,
      );
    }
  }
  const signed = (await sum('SELECT SUM(value) AS total FROM issued_coins')) + refreshed;
  const spent = await sum('SELECT SUM(value) AS total FROM spent_coins');
  if (signed - spent !== coins) {
    problems.push(`coins signed ${signed} − spent ${spent} ≠ system:coins ${coins}`);
  }
  const open = await sum(
    'SELECT SUM(credit_limit - redeemed) AS total FROM payword_certificates WHERE released_at IS NULL',
  );
  if (open !== holds) problems.push(`open PayWord credit ${open} ≠ system:payword-holds ${holds}`);
  for (const row of await all<{ id: string; total: number; coins: number | null }>(
    `SELECT i.id, i.total, (SELECT SUM(value) FROM issued_coins c WHERE c.issuance_id = i.id) AS coins
     FROM issuances i`,
  )) {
    if (row.total !== (row.coins ?? 0)) {
      problems.push(
        `issuance ${row.id}: total ${row.total} but its coins sum to ${row.coins ?? 0}`,
      );
    }
  }
  for (const row of await all<{ id: string; total: number; spent: number | null }>(
    `SELECT i.id, i.total, (SELECT SUM(value) FROM spent_coins s WHERE s.kind = 'change' AND s.spent_by = i.id) AS spent
     FROM issuances i WHERE i.kind = 'change'`,
  )) {
    if (row.total !== (row.spent ?? 0)) {
      problems.push(`change ${row.id}: issued ${row.total} for a coin worth ${row.spent ?? 0}`);
    }
  }
  const duplicates = await sum(
    'SELECT COUNT(*) AS total FROM (SELECT coin_pub FROM spent_coins GROUP BY coin_pub HAVING COUNT(*) > 1) d',
  );
  if (duplicates > 0) problems.push(`${duplicates} coins are spent more than once`);
  return {
    customers,
    coins,
    holds,
    shadows,
    purseFees,
    cardHolds,
    cardCredit,
    coinRefunds,
    issued,
    signed,
    spent,
  };
}
