/**
 * The statements `PostgresMerchantStore` (./postgres.ts) shares among its operations, each run
 * inside the caller's transaction: storing a payment with its earnings, the credit-limit check
 * under the certificate's advisory lock, and reading batches with their items.
 */
import type { Sql } from '@farthing/server-runtime/postgres';
import {
  type BatchRow,
  batchFromRows,
  type CreditLimit,
  type ItemRow,
  paymentToRow,
} from './rows.ts';
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

/**
 * The credit limit the payment's chain draws on and what the certificate's other chains took
 * (undefined for a chain stored without its certificate). Holds the certificate's advisory
 * lock from here to the end of the transaction, so the total it reads (kept by the trigger of
 * migration 4) cannot change before the swap; the chain is read again under the lock, so a
 * payment that moved it meanwhile is not counted as another chain's (the swap then fails).
 */
export async function creditLimit(
  sql: Sql,
  p: RecordPaywordPaymentParameters,
): Promise<CreditLimit | undefined> {
  const chainSql = `SELECT certificate_id, credit_limit, value_per_word, last_index
    FROM payword_chains WHERE commitment_id = $1`;
  type ChainLimitRow = {
    certificate_id: Buffer | null;
    credit_limit: number | null;
    value_per_word: number;
    last_index: number;
  };
  const [first] = await sql.query<ChainLimitRow>(chainSql, [p.commitmentId]);
  const certificateId = first === undefined ? p.newChain?.certificateId : first.certificate_id;
  if (certificateId == null) return undefined;
  await sql.query('SELECT pg_advisory_xact_lock($1)', [certificateLock(certificateId)]);
  const [stored] = await sql.query<ChainLimitRow>(chainSql, [p.commitmentId]);
  const limit = stored === undefined ? p.newChain?.creditLimit.minor : stored.credit_limit;
  const valuePerWord = stored?.value_per_word ?? p.newChain?.valuePerWord.minor;
  if (limit == null || valuePerWord === undefined) return undefined;
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
  return { creditLimit: limit, valuePerWord, others: (summed?.taken ?? 0) - own };
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
