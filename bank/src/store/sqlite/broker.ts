/** The PayWord broker's state: certificates with their held credit, and redemptions. */
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
import type {
  PaywordCertificateRecord,
  PaywordRedemptionClaim,
  PaywordRedemptionOutcome,
  PaywordRedemptionRecord,
} from '../store.ts';
import type { Ledger } from './ledger.ts';

const bytes = (value: Buffer): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);

interface CertificateRow {
  serial: number;
  account_id: number;
  user_public: Buffer;
  currency: string;
  credit_limit: number;
  redeemed: number;
  released_at: number | null;
  issued_at: number;
  expires_at: number;
  certificate: string;
}

function toCertificate(row: CertificateRow): PaywordCertificateRecord {
  return {
    serial: row.serial,
    accountId: row.account_id,
    userPublicKey: bytes(row.user_public),
    currency: row.currency,
    creditLimit: row.credit_limit,
    redeemed: row.redeemed,
    releasedAt: row.released_at ?? undefined,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    certificate: row.certificate,
  };
}

export class BrokerTables {
  readonly #db: Database.Database;
  readonly #ledger: Ledger;
  readonly #statements;

  constructor(db: Database.Database, ledger: Ledger) {
    this.#db = db;
    this.#ledger = ledger;
    this.#statements = {
      insertCertificate: db.prepare(
        `INSERT INTO payword_certificates (serial, account_id, user_public, currency, credit_limit,
           issued_at, expires_at, certificate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
    certificate: Omit<PaywordCertificateRecord, 'redeemed' | 'releasedAt'>,
    holdsAccount: number,
  ): PaywordCertificateRecord {
    this.#statements.insertCertificate.run(
      certificate.serial,
      certificate.accountId,
      certificate.userPublicKey,
      certificate.currency,
      certificate.creditLimit,
      certificate.issuedAt,
      certificate.expiresAt,
      certificate.certificate,
    );
    this.#ledger.post({
      kind: 'payword_hold',
      reference: String(certificate.serial),
      postings: [
        { accountId: certificate.accountId, amount: -certificate.creditLimit },
        { accountId: holdsAccount, amount: certificate.creditLimit },
      ],
      now: certificate.issuedAt,
    });
    return this.certificate(certificate.serial)!;
  }

  certificatesOf(accountId: number): PaywordCertificateRecord[] {
    return (this.#statements.ofAccount.all(accountId) as CertificateRow[]).map(toCertificate);
  }

  /** broker/early-release.ts: the expiry moves to `now`, never later. */
  end(accountId: number, serial: number, now: number): PaywordCertificateRecord | undefined {
    this.#statements.end.run(now, serial, accountId, now);
    const record = this.certificate(serial);
    return record?.accountId === accountId ? record : undefined;
  }

  certificate(serial: number): PaywordCertificateRecord | undefined {
    const row = this.#statements.certificate.get(serial) as CertificateRow | undefined;
    return row === undefined ? undefined : toCertificate(row);
  }

  redemption(commitmentId: Uint8Array): PaywordRedemptionRecord | undefined {
    const row = this.#statements.redemption.get(commitmentId) as
      | {
          commitment_id: Buffer;
          serial: number;
          vendor_id: number;
          last_index: number;
          last_word: Buffer;
          redeemed: number;
          updated_at: number;
        }
      | undefined;
    return row === undefined
      ? undefined
      : {
          commitmentId: bytes(row.commitment_id),
          serial: row.serial,
          vendorId: row.vendor_id,
          lastIndex: row.last_index,
          lastWord: bytes(row.last_word),
          redeemed: row.redeemed,
          updatedAt: row.updated_at,
        };
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
    if (certificate === undefined || certificate.releasedAt !== undefined) {
      throw new FarthingError('not_found', 'no open PayWord certificate with this serial', {
        details: { serial: claim.serial },
      });
    }
    const previous = this.redemption(claim.commitmentId);
    if (previous !== undefined && previous.vendorId !== vendorId) {
      throw new FarthingError('payword_vendor_mismatch', 'another vendor redeems this commitment');
    }
    const previousIndex = previous?.lastIndex ?? 0;
    if (previous !== undefined && claim.index <= previousIndex) {
      const sameWord =
        claim.index === previousIndex &&
        Buffer.from(claim.word).equals(Buffer.from(previous.lastWord));
      if (sameWord) {
        return {
          status: 'redeemed',
          commitmentId: claim.commitmentId,
          paid: 0,
          index: previous.lastIndex,
          totalRedeemed: previous.redeemed,
        };
      }
      throw new FarthingError('payword_replayed', 'these paywords were already redeemed', {
        details: { redeemedIndex: previousIndex, index: claim.index },
      });
    }
    const owed = (claim.index - previousIndex) * claim.valuePerWord;
    if (!Number.isSafeInteger(owed) || owed <= 0) throw new Error('PayWord amount out of range');
    if (certificate.redeemed + owed > certificate.creditLimit) {
      throw new FarthingError(
        'payword_over_limit',
        'the certificate has not enough credit left for these paywords',
        { details: { creditLimit: certificate.creditLimit, redeemed: certificate.redeemed, owed } },
      );
    }
    const totalRedeemed = (previous?.redeemed ?? 0) + owed;
    this.#statements.addRedeemed.run(owed, claim.serial);
    this.#statements.upsertRedemption.run(
      claim.commitmentId,
      claim.serial,
      vendorId,
      claim.index,
      claim.word,
      totalRedeemed,
      now,
    );
    this.#ledger.post({
      kind: 'payword_redemption',
      reference: `${claim.serial}:${Buffer.from(claim.commitmentId).toString('base64url')}:${claim.index}`,
      postings: [
        { accountId: holdsAccount, amount: -owed },
        { accountId: vendorId, amount: owed },
      ],
      now,
    });
    return {
      status: 'redeemed',
      commitmentId: claim.commitmentId,
      paid: owed,
      index: claim.index,
      totalRedeemed,
    };
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
    const rows = this.#statements.expired.all(expiredBefore) as CertificateRow[];
    for (const row of rows) {
      const left = row.credit_limit - row.redeemed;
      this.#statements.markReleased.run(now, row.serial);
      if (left > 0) {
        this.#ledger.post({
          kind: 'payword_release',
          reference: String(row.serial),
          postings: [
            { accountId: holdsAccount, amount: -left },
            { accountId: row.account_id, amount: left },
          ],
          now,
        });
      }
    }
    return rows.length;
  }
}
