/** The PayWord broker's state: certificates with their held credit, and redemptions. */

import type Database from 'better-sqlite3';
import * as rules from '../broker-rows.ts';
import type {
  PaywordCertificateRecord,
  PaywordRedemptionClaim,
  PaywordRedemptionOutcome,
  PaywordRedemptionRecord,
} from '../store.ts';
import { transferBetween } from '../transfer.ts';

import type { Ledger } from './ledger.ts';

export class BrokerTables {
  readonly #db: Database.Database;
  readonly #ledger: Ledger;
  readonly #statements;

  constructor(db: Database.Database, ledger: Ledger) {
    this.#db = db;
    this.#ledger = ledger;
    this.#statements = {
      insertCertificate: db.prepare(
        `INSERT INTO payword_certificates (${rules.paywordCertificateColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      certificate: db.prepare('SELECT * FROM payword_certificates WHERE serial = ?'),
      addRedeemed: db.prepare(
        'UPDATE payword_certificates SET redeemed = redeemed + ? WHERE serial = ?',
      ),
      redemption: db.prepare('SELECT * FROM payword_redemptions WHERE commitment_id = ?'),
      upsertRedemption: db.prepare(
        `INSERT INTO payword_redemptions (commitment_id, serial, vendor_id, last_index, last_word, redeemed, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (commitment_id) DO UPDATE SET last_index = excluded.last_index,
           last_word = excluded.last_word, redeemed = excluded.redeemed, updated_at = excluded.updated_at`,
      ),
      expired: db.prepare(
        'SELECT * FROM payword_certificates WHERE released_at IS NULL AND expires_at < ?',
      ),
      markReleased: db.prepare('UPDATE payword_certificates SET released_at = ? WHERE serial = ?'),
      ofAccount: db.prepare(
        'SELECT * FROM payword_certificates WHERE account_id = ? ORDER BY serial DESC',
      ),
      end: db.prepare(
        `UPDATE payword_certificates SET expires_at = ?
         WHERE serial = ? AND account_id = ? AND released_at IS NULL AND expires_at > ?`,
      ),
    };
  }

  issueCertificate(
    certificate: rules.NewPaywordCertificate,
    holdsAccount: number,
  ): PaywordCertificateRecord {
    this.#statements.insertCertificate.run(...rules.paywordCertificateValues(certificate));
    this.#ledger.post(rules.certificateHold(certificate, holdsAccount));
    return this.certificate(certificate.serial)!;
  }

  certificatesOf(accountId: number): PaywordCertificateRecord[] {
    return (this.#statements.ofAccount.all(accountId) as rules.PaywordCertificateRow[]).map(
      rules.toPaywordCertificate,
    );
  }

  /** broker/early-release.ts: the expiry moves to `now`, never later. */
  end(accountId: number, serial: number, now: number): PaywordCertificateRecord | undefined {
    this.#statements.end.run(now, serial, accountId, now);
    const record = this.certificate(serial);
    return record?.accountId === accountId ? record : undefined;
  }

  certificate(serial: number): PaywordCertificateRecord | undefined {
    const row = this.#statements.certificate.get(serial) as rules.PaywordCertificateRow | undefined;
    return row === undefined ? undefined : rules.toPaywordCertificate(row);
  }

  redemption(commitmentId: Uint8Array): PaywordRedemptionRecord | undefined {
    const row = this.#statements.redemption.get(commitmentId) as
      | rules.PaywordRedemptionRow
      | undefined;
    return row === undefined ? undefined : rules.toPaywordRedemption(row);
  }

  /**
   * One claim, inside a savepoint of its own. The claim's (index, word) was verified to hash
   * to the committed root, as was the stored one, so a larger index on the same commitment
   * extends the same chain: only the difference is owed.
   */
  redeem(
    vendorId: number,
    claim: PaywordRedemptionClaim,
    holdsAccount: number,
    now: number,
  ): PaywordRedemptionOutcome {
    const certificate = this.certificate(claim.serial);
    const previous = this.redemption(claim.commitmentId);
    const plan = rules.planPaywordRedemption(
      vendorId,
      claim,
      certificate,
      previous,
      holdsAccount,
      now,
    );
    if (plan.kind === 'repeat') return plan.outcome;
    this.#statements.addRedeemed.run(plan.owed, claim.serial);
    this.#statements.upsertRedemption.run(...plan.redemptionValues);
    this.#ledger.post(plan.transfer);
    return plan.outcome;
  }

  redeemAll(
    vendorId: number,
    claims: readonly PaywordRedemptionClaim[],
    holdsAccount: number,
    now: number,
  ): PaywordRedemptionOutcome[] {
    return claims.map((claim) => {
      this.#db.exec('SAVEPOINT claim');
      try {
        const outcome = this.redeem(vendorId, claim, holdsAccount, now);
        this.#db.exec('RELEASE claim');
        return outcome;
      } catch (error) {
        this.#db.exec('ROLLBACK TO claim');
        this.#db.exec('RELEASE claim');
        return { status: 'rejected', commitmentId: claim.commitmentId, error };
      }
    });
  }

  /** Gives back what vendors did not redeem once a certificate's redemption window closed. */
  releaseExpired(expiredBefore: number, holdsAccount: number, now: number): number {
    const rows = this.#statements.expired.all(expiredBefore) as rules.PaywordCertificateRow[];
    for (const row of rows) {
      const left = row.credit_limit - row.redeemed;
      this.#statements.markReleased.run(now, row.serial);
      if (left > 0) {
        this.#ledger.post(
          transferBetween(
            'payword_release',
            String(row.serial),
            holdsAccount,
            row.account_id,
            left,
            now,
          ),
        );
      }
    }
    return rows.length;
  }
}
