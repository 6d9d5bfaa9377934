/**
 * The PayWord broker's state on PostgreSQL: certificates with their held credit, and
 * redemptions. Each function runs inside the caller's READ COMMITTED transaction.
 *
 * A redemption reads (the certificate's credit left, the commitment's last redeemed index)
 * and writes from what it read, so it must not interleave with another redemption or release
 * of the same certificate in another process: it first locks the certificate's row
 * (`SELECT … FOR NO KEY UPDATE`, the lock an UPDATE takes, which the KEY SHARE locks of
 * foreign keys to the certificate do not block). Whoever holds the lock sees every redemption committed before it
 * got it (READ COMMITTED reads the latest committed rows at each statement), so a commitment's
 * words are paid once however many processes redeem them at once. Releasing expired holds is
 * one `UPDATE … WHERE released_at IS NULL … RETURNING`, which releases each certificate once
 * even when every process runs the housekeeping at the same moment.
 */

import * as rules from '../broker-rows.ts';
import type {
  PaywordCertificateRecord,
  PaywordRedemptionClaim,
  PaywordRedemptionOutcome,
  PaywordRedemptionRecord,
} from '../store.ts';
import { transferBetween } from '../transfer.ts';

import { isPostgresError, type Sql } from './database.ts';
import { postTransfer } from './ledger.ts';

export async function issueCertificate(
  sql: Sql,
  certificate: rules.NewPaywordCertificate,
  holdsAccount: number,
): Promise<PaywordCertificateRecord> {
  await sql.query(
    `INSERT INTO payword_certificates (${rules.paywordCertificateColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    rules.paywordCertificateValues(certificate),
  );
  await postTransfer(sql, rules.certificateHold(certificate, holdsAccount));
  return { ...certificate, redeemed: 0, releasedAt: undefined };
}

export async function certificate(
  sql: Sql,
  serial: number,
  lock: '' | 'FOR NO KEY UPDATE' = '',
): Promise<PaywordCertificateRecord | undefined> {
  const [row] = await sql.query<rules.PaywordCertificateRow>(
    `SELECT * FROM payword_certificates WHERE serial = $1 ${lock}`,
    [serial],
  );
  return row === undefined ? undefined : rules.toPaywordCertificate(row);
}

export async function certificatesOf(
  sql: Sql,
  accountId: number,
): Promise<PaywordCertificateRecord[]> {
  const rows = await sql.query<rules.PaywordCertificateRow>(
    'SELECT * FROM payword_certificates WHERE account_id = $1 ORDER BY serial DESC',
    [accountId],
  );
  return rows.map(rules.toPaywordCertificate);
}

/** broker/early-release.ts: the expiry moves to `now`, never later. */
export async function end(
  sql: Sql,
  accountId: number,
  serial: number,
  now: number,
): Promise<PaywordCertificateRecord | undefined> {
  await sql.query(
    `UPDATE payword_certificates SET expires_at = $1
     WHERE serial = $2 AND account_id = $3 AND released_at IS NULL AND expires_at > $1`,
    [now, serial, accountId],
  );
  const record = await certificate(sql, serial);
  return record?.accountId === accountId ? record : undefined;
}

export async function redemption(
  sql: Sql,
  commitmentId: Uint8Array,
): Promise<PaywordRedemptionRecord | undefined> {
  const [row] = await sql.query<rules.PaywordRedemptionRow>(
    'SELECT * FROM payword_redemptions WHERE commitment_id = $1',
    [commitmentId],
  );
  return row === undefined ? undefined : rules.toPaywordRedemption(row);
}

/**
 * One claim. Its (index, word) was verified to hash to the committed root, as was the stored
 * one, so a larger index on the same commitment extends the same chain: only the difference
 * is owed (the same rules as the SQLite broker's).
 */
async function redeem(
  sql: Sql,
  vendorId: number,
  claim: PaywordRedemptionClaim,
  holdsAccount: number,
  now: number,
): Promise<PaywordRedemptionOutcome> {
  const held = await certificate(sql, claim.serial, 'FOR NO KEY UPDATE');
  const previous = await redemption(sql, claim.commitmentId);
  const plan = rules.planPaywordRedemption(vendorId, claim, held, previous, holdsAccount, now);
  if (plan.kind === 'repeat') return plan.outcome;
  await sql.query('UPDATE payword_certificates SET redeemed = redeemed + $1 WHERE serial = $2', [
    plan.owed,
    claim.serial,
  ]);
  await sql.query(
    `INSERT INTO payword_redemptions (commitment_id, serial, vendor_id, last_index, last_word, redeemed, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (commitment_id) DO UPDATE SET last_index = excluded.last_index,
       last_word = excluded.last_word, redeemed = excluded.redeemed, updated_at = excluded.updated_at`,
    plan.redemptionValues,
  );
  await postTransfer(sql, plan.transfer);
  return plan.outcome;
}

/** A conflict with another transaction: the whole transaction is retried (database.ts). */
const transient = (error: unknown) =>
  isPostgresError(error, '40001') || isPostgresError(error, '40P01');

/** Each claim in a savepoint of its own: it succeeds or fails alone. */
export async function redeemAll(
  sql: Sql,
  vendorId: number,
  claims: readonly PaywordRedemptionClaim[],
  holdsAccount: number,
  now: number,
): Promise<PaywordRedemptionOutcome[]> {
  const outcomes: PaywordRedemptionOutcome[] = [];
  for (const claim of claims) {
    await sql.query('SAVEPOINT claim');
    try {
      outcomes.push(await redeem(sql, vendorId, claim, holdsAccount, now));
      await sql.query('RELEASE SAVEPOINT claim');
    } catch (error) {
      if (transient(error)) throw error;
      // A connection that cannot roll back to the savepoint fails the whole transaction.
      await sql.query('ROLLBACK TO SAVEPOINT claim');
      await sql.query('RELEASE SAVEPOINT claim');
      outcomes.push({ status: 'rejected', commitmentId: claim.commitmentId, error });
    }
  }
  return outcomes;
}

/** Gives back what vendors did not redeem once a certificate's redemption window closed. */
export async function releaseExpired(
  sql: Sql,
  expiredBefore: number,
  holdsAccount: number,
  now: number,
): Promise<number> {
  const released = await sql.query<{ serial: number; account_id: number; left: number }>(
    `UPDATE payword_certificates SET released_at = $1
     WHERE released_at IS NULL AND expires_at < $2
     RETURNING serial, account_id, credit_limit - redeemed AS left`,
    [now, expiredBefore],
  );
  for (const row of released) {
    if (row.left > 0) {
      await postTransfer(
        sql,
        transferBetween(
          'payword_release',
          String(row.serial),
          holdsAccount,
          row.account_id,
          row.left,
          now,
        ),
      );
    }
  }
  return released.length;
}
