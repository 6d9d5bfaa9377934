/**
 * The statements `PostgresMerchantStore` (./postgres.ts) shares among its operations, each run
 * inside the caller's transaction: storing a payment with its earnings, the credit-limit check
 * under the certificate's advisory lock, and reading batches with their items.
 */
import type { Sql } from '@farthing/server-runtime/postgres';
import { type BatchRow, batchFromRows, type ItemRow, paymentToRow } from './rows.ts';
import type {
  PaymentRecord,
  RecordPaywordPaymentParameters,
  SettlementBatchRecord,
} from './store.ts';

/** The advisory lock serializing credit-limit checks of one certificate (its first 8 bytes). */
function certificateLock(certificateId: Uint8Array): string {
  return Buffer.from(certificateId).readBigInt64BE(0).toString();
}

const itemsSql = `
  SELECT i.batch_id, i.commitment_id, c.commitment, i.word_index, i.word, c.currency,
         c.value_per_word, i.previous_index, i.outcome, i.paid, i.problem_code
  FROM settlement_items i JOIN payword_chains c USING (commitment_id)
  WHERE i.batch_id = ANY ($1) ORDER BY i.batch_id, i.position`;

const insertPaymentSql = `
  INSERT INTO payments (credential_id, instrument, offer_hash, resource, currency, amount,
    paid_at, commitment_id, receipt, grant_token, grant_expires_at, ids_from_credential)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (credential_id) DO NOTHING RETURNING 1 AS inserted`;

const addEarningsSql = `
  INSERT INTO earnings (instrument, currency, total, payments) VALUES ($1, $2, $3, 1)
  ON CONFLICT (instrument, currency)
  DO UPDATE SET total = earnings.total + excluded.total, payments = earnings.payments + 1`;

/** Inserts the payment and adds it to the earnings; false if its credential id is stored. */
export async function insertPayment(sql: Sql, payment: PaymentRecord): Promise<boolean> {
  const row = paymentToRow(payment);
  const inserted = await sql.query(insertPaymentSql, [
    row.credential_id,
    row.instrument,
    row.offer_hash,
    row.resource,
    row.currency,
    row.amount,
    row.paid_at,
    row.commitment_id,
    row.receipt,
    row.grant_token,
    row.grant_expires_at,
    row.ids_from_credential,
  ]);
  if (inserted.length === 0) return false;
  await sql.query(addEarningsSql, [payment.instrument, row.currency, row.amount]);
  return true;
}

/** A chain's certificate as a payment on it checks its credit limit (`creditLimit`). */
export interface CreditLimit {
  readonly certificateId: Uint8Array;
  /** In minor units, as `valuePerWord`. */
  readonly creditLimit: number;
  readonly valuePerWord: number;
  /** What the certificate's other chains at this shop have taken. */
  readonly others: number;
  /** Whether `payword_certificate_totals` has the certificate's row yet. */
  readonly totalStored: boolean;
}

/**
 * The credit limit the payment's chain draws on and what the certificate's other chains took
 * (undefined for a chain stored without its certificate). Holds the certificate's advisory
 * lock from here to the end of the transaction, so the total it reads cannot change before the
 * swap and `addToCertificateTotal`.
 */
export async function creditLimit(
  sql: Sql,
  p: RecordPaywordPaymentParameters,
): Promise<CreditLimit | undefined> {
  const [stored] = await sql.query<{
    certificate_id: Buffer | null;
    credit_limit: number | null;
    value_per_word: number;
    last_index: number;
  }>(
    `SELECT certificate_id, credit_limit, value_per_word, last_index FROM payword_chains
     WHERE commitment_id = $1`,
    [p.commitmentId],
  );
  const certificateId = stored === undefined ? p.newChain?.certificateId : stored.certificate_id;
  const limit = stored === undefined ? p.newChain?.creditLimit.minor : stored.credit_limit;
  const valuePerWord = stored?.value_per_word ?? p.newChain?.valuePerWord.minor;
  if (certificateId == null || limit == null || valuePerWord === undefined) return undefined;
  await sql.query('SELECT pg_advisory_xact_lock($1)', [certificateLock(certificateId)]);
  const [total] = await sql.query<{ taken: number }>(
    'SELECT taken FROM payword_certificate_totals WHERE certificate_id = $1',
    [certificateId],
  );
  const [summed] =
    total === undefined
      ? await sql.query<{ taken: number }>(
          `SELECT coalesce(sum(last_index * value_per_word), 0) AS taken FROM payword_chains
           WHERE certificate_id = $1`,
          [certificateId],
        )
      : [total];
  const own = stored === undefined ? 0 : stored.last_index * stored.value_per_word;
  return {
    certificateId,
    creditLimit: limit,
    valuePerWord,
    others: (summed?.taken ?? 0) - own,
    totalStored: total !== undefined,
  };
}

/** Adds a recorded payment's words to its certificate's total (counted anew when it had none). */
export async function addToCertificateTotal(
  sql: Sql,
  limit: CreditLimit,
  p: RecordPaywordPaymentParameters,
): Promise<void> {
  if (limit.totalStored) {
    await sql.query(
      'UPDATE payword_certificate_totals SET taken = taken + $1 WHERE certificate_id = $2',
      [(p.lastIndex - p.expectedLastIndex) * limit.valuePerWord, limit.certificateId],
    );
    return;
  }
  await sql.query(
    `INSERT INTO payword_certificate_totals (certificate_id, credit_limit, taken)
     SELECT $1, $2, coalesce(sum(last_index * value_per_word), 0) FROM payword_chains
     WHERE certificate_id = $1 ON CONFLICT (certificate_id) DO NOTHING`,
    [limit.certificateId, limit.creditLimit],
  );
}

/** The batches a clause picks, each with its items in request order. */
export async function batches(
  sql: Sql,
  clause: string,
  values: readonly unknown[],
): Promise<SettlementBatchRecord[]> {
  const rows = await sql.query<BatchRow>(`SELECT * FROM settlement_batches ${clause}`, values);
  if (rows.length === 0) return [];
  const items = await sql.query<ItemRow & { batch_id: string }>(itemsSql, [
    rows.map((row) => row.batch_id),
  ]);
  const byBatch = new Map<string, ItemRow[]>();
  for (const item of items) {
    const list = byBatch.get(item.batch_id);
    if (list === undefined) byBatch.set(item.batch_id, [item]);
    else list.push(item);
  }
  return rows.map((row) => batchFromRows(row, byBatch.get(row.batch_id) ?? []));
}
