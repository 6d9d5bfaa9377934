/**
 * The CA's origin bookkeeping on PostgreSQL (as ../sqlite/merchant-certificates.ts): challenges
 * handed to merchants to prove an origin (ca/origin-proof.ts), which account holds an origin,
 * and revoked merchant certificates.
 *
 * One origin, one merchant: on SQLite the single writer makes "check no other account holds the
 * origin, then insert" atomic. Here two processes could both pass the check at READ COMMITTED,
 * so a certificate's insert first takes a transaction-scoped advisory lock per origin (in sorted
 * order, so two inserts naming the same origins cannot deadlock); a second insert for the same
 * origin waits and then sees the first's row.
 */
import { FarthingError } from '@farthing/protocol/errors';
import {
  type CertificateRow,
  type ChallengeRow,
  certificateFromRow,
  challengeFromRow,
  challengeValues,
} from '../rows.ts';
import type { MerchantCertificateRecord, OriginChallengeRecord } from '../store.ts';
import type { Sql } from './database.ts';

/** Serializes, across processes, every certificate insert naming one of `origins`. */
export async function lockOrigins(sql: Sql, origins: readonly string[]): Promise<void> {
  for (const origin of [...new Set(origins)].sort()) {
    await sql.query("SELECT pg_advisory_xact_lock(hashtextextended('origin:' || $1, 0))", [origin]);
  }
}

/** `origin_taken` if another account holds one of `origins` at `now`. */
export async function assertOriginsFree(
  sql: Sql,
  origins: readonly string[],
  accountId: number,
  now: number,
): Promise<void> {
  for (const [index, origin] of origins.entries()) {
    const [holder] = await sql.query<{ serial: string }>(
      `SELECT serial FROM merchant_certificates
       WHERE origins::jsonb ? $1 AND account_id != $2 AND not_after > $3 AND revoked_at IS NULL
       LIMIT 1`,
      [origin, accountId, now],
    );
    if (holder !== undefined) {
      throw new FarthingError(
        'origin_taken',
        `${origin} is certified to another merchant until that certificate expires or is revoked`,
        { details: { field: `origins.${index}`, origin } },
      );
    }
  }
}

export async function insertChallenge(
  sql: Sql,
  challenge: OriginChallengeRecord,
): Promise<OriginChallengeRecord> {
  await sql.query(
    `INSERT INTO origin_challenges (token, account_id, origin, status, created_at, expires_at)
     VALUES ($1, $2, $3, 'pending', $4, $5)`,
    challengeValues(challenge),
  );
  return { ...challenge, status: 'pending' };
}

/** Valid ones first, then pending, newest first within each. */
export async function openChallenges(
  sql: Sql,
  accountId: number,
  origin: string,
  now: number,
): Promise<OriginChallengeRecord[]> {
  const rows = await sql.query<ChallengeRow>(
    `SELECT * FROM origin_challenges
     WHERE account_id = $1 AND origin = $2 AND status != 'invalid' AND expires_at > $3
     ORDER BY status DESC, created_at DESC`,
    [accountId, origin, now],
  );
  return rows.map(challengeFromRow);
}

export async function settleChallenge(
  sql: Sql,
  token: string,
  status: 'valid' | 'invalid',
  now: number,
): Promise<void> {
  await sql.query(
    `UPDATE origin_challenges SET status = $1, checked_at = $2 WHERE token = $3 AND status = 'pending'`,
    [status, now, token],
  );
}

/** Revokes once; answers the certificate as it now stands, or undefined if unknown. */
export async function revoke(
  sql: Sql,
  serial: string,
  now: number,
): Promise<MerchantCertificateRecord | undefined> {
  const [row] = await sql.query<CertificateRow>(
    `UPDATE merchant_certificates SET revoked_at = COALESCE(revoked_at, $1)
     WHERE serial = $2 RETURNING *`,
    [now, serial],
  );
  return row === undefined ? undefined : certificateFromRow(row);
}

export async function revokedSerials(sql: Sql, now: number): Promise<string[]> {
  const rows = await sql.query<{ serial: string }>(
    `SELECT serial FROM merchant_certificates
     WHERE revoked_at IS NOT NULL AND not_after > $1 ORDER BY serial COLLATE "C"`,
    [now],
  );
  return rows.map((row) => row.serial);
}
