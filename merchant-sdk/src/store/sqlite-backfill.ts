/**
 * Data steps that SQL alone cannot do, run in the same transaction as the schema step they
 * follow (sqlite.ts `#migrate`).
 */
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import type Database from 'better-sqlite3';

/**
 * After migration 3: chains stored before it get their broker certificate and credit limit from
 * the commitment they were accepted with, so the credit-limit check counts what they took (a
 * chain left without them would let new chains of its certificate spend the limit again).
 * Returns how many chains it filled in.
 */
export function backfillChainCertificates(db: Database.Database): number {
  const rows = db
    .prepare('SELECT commitment_id, commitment FROM payword_chains WHERE certificate_id IS NULL')
    .all() as { commitment_id: Buffer; commitment: string }[];
  const update = db.prepare(
    'UPDATE payword_chains SET certificate_id = ?, credit_limit = ? WHERE commitment_id = ?',
  );
  for (const row of rows) {
    const { certificate } = paywordCommitments.parse(JSON.parse(row.commitment));
    update.run(
      paywordCertificates.id(certificate),
      certificate.creditLimit.minor,
      row.commitment_id,
    );
  }
  return rows.length;
}

/** `afterStep[n]` runs right after `migrations[n]`, inside its transaction. */
export const afterStep: Readonly<Record<number, (db: Database.Database) => unknown>> = {
  2: backfillChainCertificates,
};
