/**
 * The books must balance. Checked from the raw tables, independently of the code that wrote
 * them:
 *
 *  1. every transfer's entries sum to zero, so all balances together sum to zero;
 *  2. each account's balance equals the sum of its entries, and its last `balance_after`;
 *  3. customer + merchant balances + outstanding coins + PayWord holds = total issued
 *     (minus the balance of `system:issued`);
 *  4. `system:coins` equals the value of every blind signature issued minus every coin spent;
 *  5. `system:payword-holds` equals the unredeemed credit of unreleased certificates;
 *  6. no coin is spent twice (also the primary key of `spent_coins`), every change issued
 *     exactly the value of the coin it spent, and no customer or merchant is below zero;
 *  7. (hardware purse) purse shadow accounts and purse fees count in (3); each card's shadow
 *     account equals its loads minus its cleared proofs minus what was refunded when it was
 *     closed, and is never below zero; the fees account equals the fees of cleared proofs;
 *  8. (card payments, cards.ts) system:card-holds equals the open authorizations, and
 *     system:card-credit equals minus what cards hold or owe; both count in (3).
 *  9–10. (refunds, refund-invariants.ts) system:coin-refunds counts in (3) and refreshed
 *     coins in (4); refunds never pass what was paid, coins never get back more than their value.
 */
import type Database from 'better-sqlite3';
import { type InvariantReport, systemAccounts } from '../store.ts';
import { checkCardInvariants } from './card-invariants.ts';
import { checkRefundInvariants } from './refund-invariants.ts';

export function checkInvariants(db: Database.Database): InvariantReport {
  const problems: string[] = [];
  const one = <T>(sql: string, ...params: unknown[]): T => db.prepare(sql).get(...params) as T;
  const all = <T>(sql: string, ...params: unknown[]): T[] => db.prepare(sql).all(...params) as T[];
  const balanceOf = (name: string): number =>
    one<{ balance: number } | undefined>('SELECT balance FROM accounts WHERE name = ?', name)
      ?.balance ?? 0;

  const read = db.transaction(() => {
    for (const row of all<{ transfer_id: number; total: number }>(
      'SELECT transfer_id, SUM(amount) AS total FROM ledger_entries GROUP BY transfer_id HAVING total <> 0',
    )) {
      problems.push(`transfer ${row.transfer_id} does not balance: entries sum to ${row.total}`);
    }
    for (const row of all<{ id: number; name: string; balance: number; total: number | null }>(
      `SELECT a.id, a.name, a.balance, (SELECT SUM(amount) FROM ledger_entries e WHERE e.account_id = a.id) AS total
       FROM accounts a`,
    )) {
      if (row.balance !== (row.total ?? 0)) {
        problems.push(
          `account ${row.name}: balance ${row.balance} but entries sum to ${row.total ?? 0}`,
        );
      }
    }
    for (const row of all<{ name: string; balance: number }>(
      "SELECT name, balance FROM accounts WHERE kind <> 'system' AND balance < 0",
    )) {
      problems.push(`account ${row.name} is below zero: ${row.balance}`);
    }
    const customers =
      one<{ total: number | null }>(
        "SELECT SUM(balance) AS total FROM accounts WHERE kind IN ('customer', 'merchant')",
      ).total ?? 0;
    const coins = balanceOf(systemAccounts.coins);
    const holds = balanceOf(systemAccounts.paywordHolds);
    const issued = -balanceOf(systemAccounts.issued);
    const shadows =
      one<{ total: number | null }>(
        'SELECT SUM(a.balance) AS total FROM purse_cards c JOIN accounts a ON a.id = c.shadow_account_id',
      ).total ?? 0;
    const purseFees = balanceOf('system:purse-fees');
    const { cardHolds, cardCredit } = checkCardInvariants(db, problems);
    const { coinRefunds, refreshed } = checkRefundInvariants(db, problems);
    if (
      customers + coins + holds + shadows + purseFees + cardHolds + cardCredit + coinRefunds !==
      issued
    ) {
      problems.push(
        `account balances ${customers} + outstanding coins ${coins} + PayWord holds ${holds} + purse shadows ${shadows} + purse fees ${purseFees} + card holds ${cardHolds} + card credit ${cardCredit} + coin refunds ${coinRefunds} ≠ issued ${issued}`,
      );
    }
    for (const row of all<{ card_id: string; balance: number; expected: number }>(
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
    const fees =
      one<{ total: number | null }>('SELECT SUM(fee) AS total FROM purse_clearings').total ?? 0;
    if (fees !== purseFees) problems.push(`purse fees ${fees} ≠ system:purse-fees ${purseFees}`);
    const signed =
      (one<{ total: number | null }>('SELECT SUM(value) AS total FROM issued_coins').total ?? 0) +
      refreshed;
    const spent =
      one<{ total: number | null }>('SELECT SUM(value) AS total FROM spent_coins').total ?? 0;
    if (signed - spent !== coins) {
      problems.push(`coins signed ${signed} − spent ${spent} ≠ system:coins ${coins}`);
    }
    const open =
      one<{ total: number | null }>(
        'SELECT SUM(credit_limit - redeemed) AS total FROM payword_certificates WHERE released_at IS NULL',
      ).total ?? 0;
    if (open !== holds)
      problems.push(`open PayWord credit ${open} ≠ system:payword-holds ${holds}`);
    for (const row of all<{ id: string; total: number; coins: number | null }>(
      `SELECT i.id, i.total, (SELECT SUM(value) FROM issued_coins c WHERE c.issuance_id = i.id) AS coins
       FROM issuances i`,
    )) {
      if (row.total !== (row.coins ?? 0)) {
        problems.push(
          `issuance ${row.id}: total ${row.total} but its coins sum to ${row.coins ?? 0}`,
        );
      }
    }
    for (const row of all<{ id: string; total: number; spent: number | null }>(
      `SELECT i.id, i.total, (SELECT SUM(value) FROM spent_coins s WHERE s.kind = 'change' AND s.spent_by = i.id) AS spent
       FROM issuances i WHERE i.kind = 'change'`,
    )) {
      if (row.total !== (row.spent ?? 0)) {
        problems.push(`change ${row.id}: issued ${row.total} for a coin worth ${row.spent ?? 0}`);
      }
    }
    const duplicates = one<{ n: number }>(
      'SELECT COUNT(*) AS n FROM (SELECT coin_pub FROM spent_coins GROUP BY coin_pub HAVING COUNT(*) > 1)',
    ).n;
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
  });
  const totals = read.deferred();
  return { ok: problems.length === 0, problems, totals };
}
