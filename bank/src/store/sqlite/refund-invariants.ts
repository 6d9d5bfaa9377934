/**
 * The books check for refunds (invariants.ts, items 9 and 10), from the raw tables:
 *
 *  9. system:coin-refunds equals the value credited back to coins minus what was refreshed
 *     into fresh coins; every e-cash refund is credited to coins in full; no coin is credited
 *     back more than it is worth, nor refreshed for more than it was credited;
 * 10. the refunds of a payment never pass what the bank received for it (the deposit's total,
 *     the commitment's redemptions), those of a receipt never pass what it was for, and every
 *     refresh's coins add up to its total.
 *
 * Returns the balance of system:coin-refunds (it counts in (3)) and the value of the coins
 * refreshes signed (they count in (4) with every other blind signature).
 */
import type Database from 'better-sqlite3';
import { coinRefundsAccount } from '../refund-store.ts';

export function checkRefundInvariants(
  db: Database.Database,
  problems: string[],
): { coinRefunds: number; refreshed: number } {
  const one = <T>(sql: string): T => db.prepare(sql).get() as T;
  const all = <T>(sql: string): T[] => db.prepare(sql).all() as T[];
  const coinRefunds =
    one<{ balance: number } | undefined>(
      `SELECT balance FROM accounts WHERE name = '${coinRefundsAccount}'`,
    )?.balance ?? 0;
  const credited =
    one<{ total: number | null }>('SELECT SUM(amount) AS total FROM coin_refunds').total ?? 0;
  const refreshedTotal =
    one<{ total: number | null }>('SELECT SUM(total) AS total FROM refund_refreshes').total ?? 0;
  if (credited - refreshedTotal !== coinRefunds) {
    problems.push(
      `coins credited back ${credited} − refreshed ${refreshedTotal} ≠ ${coinRefundsAccount} ${coinRefunds}`,
    );
  }
  for (const row of all<{ refund_id: string; amount: number; credited: number | null }>(
    `SELECT r.refund_id, r.amount, (SELECT SUM(amount) FROM coin_refunds c WHERE c.refund_row = r.row_id) AS credited
     FROM refunds r WHERE r.instrument = 'ecash'`,
  )) {
    if (row.amount !== (row.credited ?? 0)) {
      problems.push(
        `refund ${row.refund_id}: ${row.amount} but coins credited ${row.credited ?? 0}`,
      );
    }
  }
  for (const row of all<{
    coin_pub: Buffer;
    value: number | null;
    credited: number;
    refreshed: number;
  }>(
    `SELECT c.coin_pub, s.value, SUM(c.amount) AS credited,
       (SELECT COALESCE(SUM(total), 0) FROM refund_refreshes f WHERE f.coin_pub = c.coin_pub) AS refreshed
     FROM coin_refunds c LEFT JOIN spent_coins s ON s.coin_pub = c.coin_pub GROUP BY c.coin_pub`,
  )) {
    if (row.value === null || row.credited > row.value || row.refreshed > row.credited) {
      problems.push(
        `coin ${row.coin_pub.toString('base64url')}: worth ${row.value}, credited back ${row.credited}, refreshed ${row.refreshed}`,
      );
    }
  }
  const deposit = db.prepare('SELECT total FROM deposits WHERE id = ?');
  const redemption = db.prepare('SELECT redeemed FROM payword_redemptions WHERE commitment_id = ?');
  for (const row of all<{ payment: string; instrument: string; refunded: number }>(
    'SELECT payment, instrument, SUM(amount) AS refunded FROM refunds GROUP BY payment, instrument',
  )) {
    const received = (
      row.instrument === 'ecash'
        ? deposit.get(row.payment)
        : redemption.get(Buffer.from(row.payment, 'base64url'))
    ) as { total?: number; redeemed?: number } | undefined;
    const total = received?.total ?? received?.redeemed;
    if (total === undefined || row.refunded > total) {
      problems.push(`payment ${row.payment}: refunded ${row.refunded} of ${total ?? 'nothing'}`);
    }
  }
  for (const row of all<{ receipt_id: Buffer; refunded: number; paid: number }>(
    'SELECT receipt_id, SUM(amount) AS refunded, MAX(paid) AS paid FROM refunds GROUP BY merchant_id, receipt_id',
  )) {
    if (row.refunded > row.paid) {
      problems.push(
        `receipt ${row.receipt_id.toString('base64url')}: refunded ${row.refunded} of ${row.paid}`,
      );
    }
  }
  for (const row of all<{ id: string; total: number; coins: number | null }>(
    `SELECT f.id, f.total, (SELECT SUM(value) FROM refund_refresh_coins c WHERE c.refresh_id = f.id) AS coins
     FROM refund_refreshes f`,
  )) {
    if (row.total !== (row.coins ?? 0)) {
      problems.push(
        `refund refresh ${row.id}: total ${row.total} but its coins sum to ${row.coins ?? 0}`,
      );
    }
  }
  return { coinRefunds, refreshed: refreshedTotal };
}
