/**
 * The books check's rules, as data both stores read from their raw tables
 * (sqlite/invariants.ts lists them; it and postgres/invariants.ts only run these queries, each
 * in one snapshot), used as `books.rowChecks` and so on. The SQL is written once, in the part of SQL both dialects run alike.
 * Refunds (items 9 and 10) have their own checks beside each store (refund-invariants.ts).
 */
import { cardSystemAccounts } from './card-store.ts';
import { purseFeesAccount } from './purse-rules.ts';
import { systemAccounts } from './store.ts';

/** A query whose every row breaks a rule, and what to report for it. */
export interface RowCheck {
  readonly sql: string;
  /** The problem one row shows, or undefined when the row is right. */
  readonly problem: (row: never) => string | undefined;
}

const rowCheck = <Row>(sql: string, problem: (row: Row) => string | undefined): RowCheck => ({
  sql,
  problem,
});

export const rowChecks: readonly RowCheck[] = [
  // 1. every transfer's entries sum to zero
  rowCheck<{ transfer_id: number; total: number }>(
    'SELECT transfer_id, SUM(amount) AS total FROM ledger_entries GROUP BY transfer_id HAVING SUM(amount) <> 0',
    (row) => `transfer ${row.transfer_id} does not balance: entries sum to ${row.total}`,
  ),
  // 2. each balance is the sum of its entries
  rowCheck<{ name: string; balance: number; total: number | null }>(
    `SELECT a.name, a.balance, (SELECT SUM(amount) FROM ledger_entries e WHERE e.account_id = a.id) AS total
     FROM accounts a ORDER BY a.id`,
    (row) =>
      row.balance === (row.total ?? 0)
        ? undefined
        : `account ${row.name}: balance ${row.balance} but entries sum to ${row.total ?? 0}`,
  ),
  // 6. no customer or merchant below zero
  rowCheck<{ name: string; balance: number }>(
    "SELECT name, balance FROM accounts WHERE kind <> 'system' AND balance < 0",
    (row) => `account ${row.name} is below zero: ${row.balance}`,
  ),
  // 7. each purse card's shadow account
  rowCheck<{ card_id: string; balance: number; expected: number }>(
    `SELECT c.card_id, a.balance,
       (SELECT COALESCE(SUM(amount), 0) FROM purse_loads l WHERE l.card_id = c.card_id)
       - (SELECT COALESCE(SUM(amount), 0) FROM purse_clearings p WHERE p.card_id = c.card_id)
       - c.refunded AS expected
     FROM purse_cards c JOIN accounts a ON a.id = c.shadow_account_id`,
    (row) =>
      row.balance === row.expected && row.balance >= 0
        ? undefined
        : `purse card ${row.card_id}: shadow balance ${row.balance} but loads − cleared − refunded = ${row.expected}`,
  ),
  // 8. a card transaction's credits
  rowCheck<{ merchant_id: number; transaction_id: string; credited: number; live: number }>(
    `SELECT t.merchant_id, t.transaction_id, t.credited,
            (SELECT COALESCE(SUM(amount), 0) FROM card_credits c
             WHERE c.merchant_id = t.merchant_id AND c.transaction_id = t.transaction_id
               AND c.reversed_at IS NULL) AS live
     FROM card_transactions t`,
    (row) =>
      row.credited === row.live
        ? undefined
        : `card transaction ${row.merchant_id}:${row.transaction_id}: credited ${row.credited} but live credits sum to ${row.live}`,
  ),
  // 6. every issuance's coins, and every change's spent coin
  rowCheck<{ id: string; total: number; coins: number | null }>(
    `SELECT i.id, i.total, (SELECT SUM(value) FROM issued_coins c WHERE c.issuance_id = i.id) AS coins
     FROM issuances i`,
    (row) =>
      row.total === (row.coins ?? 0)
        ? undefined
        : `issuance ${row.id}: total ${row.total} but its coins sum to ${row.coins ?? 0}`,
  ),
  rowCheck<{ id: string; total: number; spent: number | null }>(
    `SELECT i.id, i.total, (SELECT SUM(value) FROM spent_coins s WHERE s.kind = 'change' AND s.spent_by = i.id) AS spent
     FROM issuances i WHERE i.kind = 'change'`,
    (row) =>
      row.total === (row.spent ?? 0)
        ? undefined
        : `change ${row.id}: issued ${row.total} for a coin worth ${row.spent ?? 0}`,
  ),
];

/** Adds to `problems` what each of the rows `check.sql` found shows. */
export function rowProblems(check: RowCheck, rows: readonly never[], problems: string[]): void {
  for (const row of rows) {
    const problem = check.problem(row);
    if (problem !== undefined) problems.push(problem);
  }
}

/** One row of sums over the raw tables, each 0 when there is nothing to sum. */
export const sumsSql = `SELECT
  (SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE kind IN ('customer', 'merchant')) AS customers,
  (SELECT COALESCE(SUM(a.balance), 0) FROM purse_cards c JOIN accounts a ON a.id = c.shadow_account_id) AS shadows,
  (SELECT COALESCE(SUM(fee), 0) FROM purse_clearings) AS fees,
  (SELECT COALESCE(SUM(value), 0) FROM issued_coins) AS signed,
  (SELECT COALESCE(SUM(value), 0) FROM spent_coins) AS spent,
  (SELECT COALESCE(SUM(credit_limit - redeemed), 0) FROM payword_certificates WHERE released_at IS NULL) AS open,
  (SELECT COUNT(*) FROM (SELECT coin_pub FROM spent_coins GROUP BY coin_pub HAVING COUNT(*) > 1) d) AS duplicates,
  (SELECT COALESCE(SUM(CASE WHEN status = 'authorized' THEN authorized ELSE 0 END), 0) FROM card_transactions) AS held,
  (SELECT COALESCE(SUM(CASE WHEN status = 'captured' THEN captured - credited ELSE 0 END), 0) FROM card_transactions) AS owed`;

export interface Sums {
  readonly customers: number;
  readonly shadows: number;
  readonly fees: number;
  readonly signed: number;
  readonly spent: number;
  readonly open: number;
  readonly duplicates: number;
  readonly held: number;
  readonly owed: number;
}

/** The balances of the system accounts, by name. */
export const systemBalancesSql = "SELECT name, balance FROM accounts WHERE kind = 'system'";

/**
 * Rules 3 to 8 between the sums and the system accounts' balances; `refunds` is what the
 * refund checks found (system:coin-refunds, and the value refreshes signed). Returns the totals
 * the report shows.
 */
export function checkTotals(
  sums: Sums,
  balances: ReadonlyMap<string, number>,
  refunds: { readonly coinRefunds: number; readonly refreshed: number },
  problems: string[],
): Record<string, number> {
  const balance = (name: string) => balances.get(name) ?? 0;
  const { customers, shadows, held, owed } = sums;
  const { coinRefunds } = refunds;
  const coins = balance(systemAccounts.coins);
  const holds = balance(systemAccounts.paywordHolds);
  const issued = -balance(systemAccounts.issued);
  const purseFees = balance(purseFeesAccount);
  const cardHolds = balance(cardSystemAccounts.holds);
  const cardCredit = balance(cardSystemAccounts.credit);
  const signed = sums.signed + refunds.refreshed;
  const { spent } = sums;
  if (
    customers + coins + holds + shadows + purseFees + cardHolds + cardCredit + coinRefunds !==
    issued
  ) {
    problems.push(
      `account balances ${customers} + outstanding coins ${coins} + PayWord holds ${holds} + purse shadows ${shadows} + purse fees ${purseFees} + card holds ${cardHolds} + card credit ${cardCredit} + coin refunds ${coinRefunds} ≠ issued ${issued}`,
    );
  }
  if (sums.fees !== purseFees) {
    problems.push(`purse fees ${sums.fees} ≠ system:purse-fees ${purseFees}`);
  }
  if (held !== cardHolds) {
    problems.push(`open card authorizations ${held} ≠ system:card-holds ${cardHolds}`);
  }
  if (held + owed !== -cardCredit) {
    problems.push(
      `card holds ${held} + captured not credited ${owed} ≠ lent (−system:card-credit) ${-cardCredit}`,
    );
  }
  if (signed - spent !== coins) {
    problems.push(`coins signed ${signed} − spent ${spent} ≠ system:coins ${coins}`);
  }
  if (sums.open !== holds) {
    problems.push(`open PayWord credit ${sums.open} ≠ system:payword-holds ${holds}`);
  }
  if (sums.duplicates > 0) problems.push(`${sums.duplicates} coins are spent more than once`);
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
