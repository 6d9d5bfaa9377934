/**
 * The CA's records in SQLite: merchant certificates, the challenges handed to merchants to
 * prove an origin (ca/origin-proof.ts), which account holds an origin, and revocations.
 * Synchronous statements; the store runs them inside its group-committed transactions.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
import {
  type CertificateRow,
  type ChallengeRow,
  certificateFromRow,
  certificateValues,
  challengeFromRow,
  challengeValues,
} from '../rows.ts';
import type { MerchantCertificateRecord, OriginChallengeRecord } from '../store.ts';

export class MerchantCertificateTables {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO merchant_certificates (serial, account_id, origins, offer_key, der, not_after, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      list: db.prepare(
        'SELECT * FROM merchant_certificates WHERE account_id = ? ORDER BY created_at',
      ),
      insertChallenge: db.prepare(
        `INSERT INTO origin_challenges (token, account_id, origin, status, created_at, expires_at)
         VALUES (?, ?, ?, 'pending', ?, ?)`,
      ),
      openChallenges: db.prepare(
        `SELECT * FROM origin_challenges
         WHERE account_id = ? AND origin = ? AND status != 'invalid' AND expires_at > ?
         ORDER BY status DESC, created_at DESC`,
      ),
      settleChallenge: db.prepare(
        `UPDATE origin_challenges SET status = ?, checked_at = ? WHERE token = ? AND status = 'pending'`,
      ),
      // The certificates of other accounts that name the origin and still hold.
      holders: db.prepare(
        `SELECT c.serial AS serial, a.name AS merchant
         FROM merchant_certificates c
         JOIN json_each(c.origins) o
         JOIN accounts a ON a.id = c.account_id
         WHERE o.value = ? AND c.account_id != ? AND c.not_after > ? AND c.revoked_at IS NULL`,
      ),
      revoke: db.prepare(
        'UPDATE merchant_certificates SET revoked_at = ? WHERE serial = ? AND revoked_at IS NULL',
      ),
      certificate: db.prepare('SELECT * FROM merchant_certificates WHERE serial = ?'),
      revoked: db.prepare(
        `SELECT serial FROM merchant_certificates
         WHERE revoked_at IS NOT NULL AND not_after > ? ORDER BY serial`,
      ),
    };
  }

  /** Records `certificate` after `assertOriginsFree(exclusiveOrigins)`. */
  insert(certificate: MerchantCertificateRecord, exclusiveOrigins: readonly string[]): void {
    this.assertOriginsFree(exclusiveOrigins, certificate.accountId, certificate.createdAt);
    this.#sql.insert.run(...certificateValues(certificate));
  }

  list(accountId: number): MerchantCertificateRecord[] {
    return (this.#sql.list.all(accountId) as CertificateRow[]).map(certificateFromRow);
  }

  insertChallenge(challenge: OriginChallengeRecord): OriginChallengeRecord {
    this.#sql.insertChallenge.run(...challengeValues(challenge));
    return { ...challenge, status: 'pending' };
  }

  /** Valid ones first, then pending, newest first within each. */
  openChallenges(accountId: number, origin: string, now: number): OriginChallengeRecord[] {
    return (this.#sql.openChallenges.all(accountId, origin, now) as ChallengeRow[]).map(
      challengeFromRow,
    );
  }

  settleChallenge(token: string, status: 'valid' | 'invalid', now: number): void {
    this.#sql.settleChallenge.run(status, now, token);
  }

  holders(origin: string, exceptAccountId: number, now: number) {
    return this.#sql.holders.all(origin, exceptAccountId, now) as {
      serial: string;
      merchant: string;
    }[];
  }

  /** `origin_taken` if another account holds one of `origins` at `now`. */
  assertOriginsFree(origins: readonly string[], accountId: number, now: number): void {
    for (const [index, origin] of origins.entries()) {
      const [holder] = this.holders(origin, accountId, now);
      if (holder !== undefined) {
        throw new FarthingError(
          'origin_taken',
          `${origin} is certified to another merchant until that certificate expires or is revoked`,
          { details: { field: `origins.${index}`, origin } },
        );
      }
    }
  }

  /** Revokes once; answers the certificate as it now stands, or undefined if unknown. */
  revoke(serial: string, now: number): MerchantCertificateRecord | undefined {
    this.#sql.revoke.run(now, serial);
    const row = this.#sql.certificate.get(serial) as CertificateRow | undefined;
    return row === undefined ? undefined : certificateFromRow(row);
  }

  revokedSerials(now: number): string[] {
    return (this.#sql.revoked.all(now) as { serial: string }[]).map((row) => row.serial);
  }
}
