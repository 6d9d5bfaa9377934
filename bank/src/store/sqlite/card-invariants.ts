import type Database from 'better-sqlite3';
import { cardSystemAccounts } from '../card-store.ts';

/**
 * The books check's part for cards (invariants.ts): card-holds equals the open
 * authorizations, and minus card-credit equals open holds plus captured money not credited.
 */
export function checkCardInvariants(
  db: Database.Database,
  problems: string[],
): { cardHolds: number; cardCredit: number } {
  const balance = (name: string) =>
    (
      db.prepare('SELECT balance FROM accounts WHERE name = ?').get(name) as
        | { balance: number }
        | undefined
    )?.balance ?? 0;
  const cardHolds = balance(cardSystemAccounts.holds);
  const cardCredit = balance(cardSystemAccounts.credit);
  const sums = db
    .prepare(
      `SELECT coalesce(sum(CASE WHEN status = 'authorized' THEN authorized ELSE 0 END), 0) AS held,
              coalesce(sum(CASE WHEN status = 'captured' THEN captured - credited ELSE 0 END), 0) AS owed
       FROM card_transactions`,
    )
    .get() as { held: number; owed: number };
  if (sums.held !== cardHolds) {
    problems.push(`open card authorizations ${sums.held} ≠ system:card-holds ${cardHolds}`);
  }
  if (sums.held + sums.owed !== -cardCredit) {
    problems.push(
      `card holds ${sums.held} + captured not credited ${sums.owed} ≠ lent (−system:card-credit) ${-cardCredit}`,
    );
  }
  const credits = db
    .prepare(
      `SELECT t.merchant_id, t.transaction_id, t.credited,
              (SELECT coalesce(sum(amount), 0) FROM card_credits c
               WHERE c.merchant_id = t.merchant_id AND c.transaction_id = t.transaction_id
                 AND c.reversed_at IS NULL) AS live
       FROM card_transactions t`,
    )
    .all() as { merchant_id: number; transaction_id: string; credited: number; live: number }[];
  for (const row of credits) {
    if (row.credited !== row.live) {
      problems.push(
        `card transaction ${row.merchant_id}:${row.transaction_id}: credited ${row.credited} but live credits sum to ${row.live}`,
      );
    }
  }
  return { cardHolds, cardCredit };
}
