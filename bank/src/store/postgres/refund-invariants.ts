/**
 * The books check for refunds on PostgreSQL: the same rules as ../sqlite/refund-invariants.ts
 * (items 9 and 10 of ../sqlite/invariants.ts), read inside the caller's REPEATABLE READ
 * snapshot (invariants.ts).
 *
 * Returns the balance of system:coin-refunds (it counts with the other balances against what
 * was issued) and the value of the coins refreshes signed (they count with every other blind
 * signature against system:coins).
 */
import { coinRefundsAccount } from '../refund-store.ts';
import type { Sql } from './database.ts';

export async function checkRefundInvariants(
  sql: Sql,
  problems: string[],
): Promise<{ coinRefunds: number; refreshed: number }> {
  const sum = async (text: string, values: unknown[] = []): Promise<number> =>
    (await sql.query<{ total: number | null }>(text, values))[0]?.total ?? 0;
  const coinRefunds = await sum('SELECT balance AS total FROM accounts WHERE name = $1', [
    coinRefundsAccount,
  ]);
  const credited = await sum('SELECT SUM(amount) AS total FROM coin_refunds');
  const refreshed = await sum('SELECT SUM(total) AS total FROM refund_refreshes');
  if (credited - refreshed !== coinRefunds) {
    problems.push(
      `coins credited back ${credited} − refreshed ${refreshed} ≠ ${coinRefundsAccount} ${coinRefunds}`,
    );
  }
  for (const row of await sql.query<{ refund_id: string; amount: number; credited: number }>(
    `SELECT r.refund_id, r.amount,
       (SELECT COALESCE(SUM(amount), 0) FROM coin_refunds c WHERE c.refund_row = r.row_id) AS credited
     FROM refunds r WHERE r.instrument = 'ecash' ORDER BY r.row_id`,
  )) {
    if (row.amount !== row.credited) {
      problems.push(`refund ${row.refund_id}: ${row.amount} but coins credited ${row.credited}`);
    }
  }
  for (const row of await sql.query<{
    coin_pub: Buffer;
    value: number | null;
    credited: number;
    refreshed: number;
  }>(
    `SELECT c.coin_pub, MAX(s.value) AS value, SUM(c.amount) AS credited,
       (SELECT COALESCE(SUM(total), 0) FROM refund_refreshes f WHERE f.coin_pub = c.coin_pub) AS refreshed
     FROM coin_refunds c LEFT JOIN spent_coins s ON s.coin_pub = c.coin_pub
     GROUP BY c.coin_pub ORDER BY c.coin_pub`,
  )) {
    if (row.value === null || row.credited > row.value || row.refreshed > row.credited) {
      problems.push(
        `coin ${row.coin_pub.toString('base64url')}: worth ${row.value}, credited back ${row.credited}, refreshed ${row.refreshed}`,
      );
    }
  }
  // A refund's payment is the deposit id (e-cash) or the commitment id in base64url (PayWord).
  for (const row of await sql.query<{ payment: string; refunded: number; received: number | null }>(
    `SELECT r.payment, r.refunded,
       CASE WHEN r.instrument = 'ecash'
         THEN (SELECT total FROM deposits d WHERE d.id = r.payment)
         ELSE (SELECT redeemed FROM payword_redemptions p
               WHERE p.commitment_id = decode(translate(r.payment, '-_', '+/')
                 || repeat('=', (4 - length(r.payment) % 4) % 4), 'base64'))
       END AS received
     FROM (SELECT payment, instrument, SUM(amount) AS refunded FROM refunds
           GROUP BY payment, instrument) r ORDER BY r.payment`,
  )) {
    if (row.received === null || row.refunded > row.received) {
      problems.push(
        `payment ${row.payment}: refunded ${row.refunded} of ${row.received ?? 'nothing'}`,
      );
    }
  }
  for (const row of await sql.query<{ receipt_id: Buffer; refunded: number; paid: number }>(
    `SELECT receipt_id, SUM(amount) AS refunded, MAX(paid) AS paid FROM refunds
     GROUP BY merchant_id, receipt_id ORDER BY merchant_id, receipt_id`,
  )) {
    if (row.refunded > row.paid) {
      problems.push(
        `receipt ${row.receipt_id.toString('base64url')}: refunded ${row.refunded} of ${row.paid}`,
      );
    }
  }
  for (const row of await sql.query<{ id: string; total: number; coins: number }>(
    `SELECT f.id, f.total,
       (SELECT COALESCE(SUM(value), 0) FROM refund_refresh_coins c WHERE c.refresh_id = f.id) AS coins
     FROM refund_refreshes f ORDER BY f.row_id`,
  )) {
    if (row.total !== row.coins) {
      problems.push(
        `refund refresh ${row.id}: total ${row.total} but its coins sum to ${row.coins}`,
      );
    }
  }
  return { coinRefunds, refreshed };
}
