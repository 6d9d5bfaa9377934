/**
 * The books must balance. Checked from the raw tables, independently of the code that wrote
 * them (the queries and the rules between their results are ../books.ts's, which the
 * PostgreSQL check runs too):
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
import * as books from '../books.ts';
import type { InvariantReport } from '../store.ts';
import { checkRefundInvariants } from './refund-invariants.ts';

export function checkInvariants(db: Database.Database): InvariantReport {
  const problems: string[] = [];
  const read = db.transaction(() => {
    for (const check of books.rowChecks) {
      books.rowProblems(check, db.prepare(check.sql).all() as never[], problems);
    }
    const balances = db.prepare(books.systemBalancesSql).all() as {
      name: string;
      balance: number;
    }[];
    return books.checkTotals(
      db.prepare(books.sumsSql).get() as books.Sums,
      new Map(balances.map((row) => [row.name, row.balance])),
      checkRefundInvariants(db, problems),
      problems,
    );
  });
  const totals = read.deferred();
  return { ok: problems.length === 0, problems, totals };
}
