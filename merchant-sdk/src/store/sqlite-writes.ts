/**
 * The writes of `SqliteMerchantStore` as plain data (`WriteRequest`) and their synchronous
 * implementation over one connection. Each runs inside a group commit
 * (`@farthing/server-runtime/sqlite-group-commit`), so it is durable when its caller hears of it.
 */
import type Database from 'better-sqlite3';
import {
  type BatchRow,
  batchFromRows,
  type ChainRow,
  type CreditLimit,
  type ItemRow,
  newChainValues,
  overCreditLimit,
  type PaymentRow,
  paymentFromRow,
  paymentToRow,
} from './sqlite-schema.ts';
import type {
  OpenSettlementBatchParameters,
  PaymentRecord,
  RecordPaywordPaymentParameters,
  RecordPaywordPaymentResult,
  SettlementAttempt,
  SettlementBatchRecord,
  SettlementItemOutcome,
} from './store.ts';

/** The SQL joining a batch's items with their chains (also read outside writes). */
export const itemsSql = `
  SELECT i.commitment_id, c.commitment, i.word_index, i.word, c.currency, c.value_per_word,
         i.previous_index, i.outcome, i.paid, i.problem_code
  FROM settlement_items i JOIN payword_chains c USING (commitment_id)
  WHERE i.batch_id = ? ORDER BY i.position`;

/** One write of the store, as data. */
export type WriteRequest =
  | { readonly op: 'recordPaywordPayment'; readonly parameters: RecordPaywordPaymentParameters }
  | { readonly op: 'recordEcashPayment'; readonly payment: PaymentRecord }
  | { readonly op: 'openSettlementBatch'; readonly parameters: OpenSettlementBatchParameters }
  | {
      readonly op: 'noteSettlementAttempt';
      readonly batchId: string;
      readonly attempt: SettlementAttempt;
    }
  | {
      readonly op: 'settleSettlementBatch';
      readonly batchId: string;
      readonly finishedAt: number;
      readonly outcomes: readonly SettlementItemOutcome[];
    }
  | {
      readonly op: 'failSettlementBatch';
      readonly batchId: string;
      readonly finishedAt: number;
      readonly error: string;
    };

/** What each write answers. */
export interface WriteResults {
  recordPaywordPayment: RecordPaywordPaymentResult;
  recordEcashPayment: PaymentRecord;
  openSettlementBatch: SettlementBatchRecord | undefined;
  noteSettlementAttempt: undefined;
  settleSettlementBatch: undefined;
  failSettlementBatch: undefined;
}

/** The store's writes over one connection (module comment). */
export class SqliteWrites {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      findPayment: db.prepare<[Uint8Array], PaymentRow>(
        'SELECT * FROM payments WHERE credential_id = ?',
      ),
      paymentExists: db.prepare<[Uint8Array], { one: number }>(
        'SELECT 1 AS one FROM payments WHERE credential_id = ?',
      ),
      insertPayment: db.prepare(
        `INSERT INTO payments VALUES (@credential_id, @instrument, @offer_hash, @resource,
           @currency, @amount, @paid_at, @commitment_id, @receipt, @grant_token,
           @grant_expires_at, @ids_from_credential) ON CONFLICT (credential_id) DO NOTHING`,
      ),
      addEarnings: db.prepare(
        `INSERT INTO earnings VALUES (?, ?, ?, 1) ON CONFLICT (instrument, currency)
           DO UPDATE SET total = total + excluded.total, payments = payments + 1`,
      ),
      insertChain: db.prepare(
        `INSERT INTO payword_chains (commitment_id, commitment, user_id, chain_length, currency,
           value_per_word, expires_at, last_index, last_word, created_at, certificate_id,
           credit_limit)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT (commitment_id) DO NOTHING`,
      ),
      chainCertificate: db.prepare<
        [Uint8Array],
        {
          certificate_id: Buffer | null;
          credit_limit: number | null;
          value_per_word: number;
          last_index: number;
        }
      >(
        `SELECT certificate_id, credit_limit, value_per_word, last_index FROM payword_chains
         WHERE commitment_id = ?`,
      ),
      // What the certificate's chains at this shop have taken, in minor units (migration 8).
      certificateTaken: db.prepare<[Uint8Array], { taken: number }>(
        'SELECT taken FROM payword_certificate_totals WHERE certificate_id = ?',
      ),
      // The same added up from the chains, for a certificate without its row (migration 8).
      sumCertificateTaken: db.prepare<[Uint8Array], { taken: number }>(
        `SELECT coalesce(sum(last_index * value_per_word), 0) AS taken FROM payword_chains
         WHERE certificate_id = ?`,
      ),
      // Only an open chain moves: a chain the broker refused for good takes no more words.
      advanceChain: db.prepare(
        `UPDATE payword_chains SET last_index = ?, last_word = ?
         WHERE commitment_id = ? AND last_index = ? AND status = 'open'`,
      ),
      owedChains: db.prepare<[number], ChainRow>(
        `SELECT * FROM payword_chains INDEXED BY payword_chains_owed
         WHERE status = 'open' AND settling_batch IS NULL AND last_index > redeemed_index
         ORDER BY rejection_code IS NOT NULL, created_at LIMIT ?`,
      ),
      insertBatch: db.prepare(
        `INSERT INTO settlement_batches (batch_id, idempotency_key, status, created_at,
           next_attempt_at) VALUES (?, ?, 'in_flight', ?, ?)`,
      ),
      insertItem: db.prepare(
        `INSERT INTO settlement_items (batch_id, position, commitment_id, word_index, word,
           previous_index) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      holdChain: db.prepare('UPDATE payword_chains SET settling_batch = ? WHERE commitment_id = ?'),
      batch: db.prepare<[string], BatchRow>('SELECT * FROM settlement_batches WHERE batch_id = ?'),
      items: db.prepare<[string], ItemRow>(itemsSql),
      noteAttempt: db.prepare(
        `UPDATE settlement_batches SET attempts = ?, next_attempt_at = ?, last_error = ?
         WHERE batch_id = ? AND status = 'in_flight'`,
      ),
      redeemItem: db.prepare(
        `UPDATE settlement_items SET outcome = 'redeemed', paid = ?
         WHERE batch_id = ? AND position = ?`,
      ),
      rejectItem: db.prepare(
        `UPDATE settlement_items SET outcome = 'rejected', problem_code = ?
         WHERE batch_id = ? AND position = ?`,
      ),
      chainRedeemed: db.prepare(
        `UPDATE payword_chains SET redeemed_index = max(redeemed_index, ?), settling_batch = NULL
         WHERE commitment_id = ?`,
      ),
      chainRejected: db.prepare(
        `UPDATE payword_chains SET settling_batch = NULL,
           status = CASE WHEN ? THEN 'rejected' ELSE status END,
           rejection_code = ? WHERE commitment_id = ?`,
      ),
      finishBatch: db.prepare(
        `UPDATE settlement_batches SET status = ?, finished_at = ?, last_error = ?
         WHERE batch_id = ? AND status = 'in_flight'`,
      ),
      releaseChains: db.prepare(
        'UPDATE payword_chains SET settling_batch = NULL WHERE settling_batch = ?',
      ),
    };
  }

  /** Runs one write (inside the caller's transaction). */
  run(request: WriteRequest): WriteResults[WriteRequest['op']] {
    switch (request.op) {
      case 'recordPaywordPayment':
        return this.#recordPaywordPayment(request.parameters);
      case 'recordEcashPayment':
        return this.#recordEcashPayment(request.payment);
      case 'openSettlementBatch':
        return this.#openSettlementBatch(request.parameters);
      case 'noteSettlementAttempt': {
        const { attempt, batchId } = request;
        this.#sql.noteAttempt.run(attempt.attempts, attempt.nextAttemptAt, attempt.error, batchId);
        return undefined;
      }
      case 'settleSettlementBatch':
        this.#settleSettlementBatch(request.batchId, request.finishedAt, request.outcomes);
        return undefined;
      case 'failSettlementBatch':
        this.#sql.finishBatch.run('failed', request.finishedAt, request.error, request.batchId);
        this.#sql.releaseChains.run(request.batchId);
        return undefined;
      default:
        return exhaustive(request);
    }
  }

  #recordPaywordPayment(p: RecordPaywordPaymentParameters): RecordPaywordPaymentResult {
    if (this.#sql.paymentExists.get(p.payment.credentialId) !== undefined) return 'duplicate';
    if (overCreditLimit(this.#creditLimit(p), p)) return 'over_limit';
    const chain = p.newChain;
    if (chain !== undefined) {
      this.#sql.insertChain.run(...newChainValues(chain));
    }
    const moved = this.#sql.advanceChain.run(
      p.lastIndex,
      p.lastWord,
      p.commitmentId,
      p.expectedLastIndex,
    );
    // The certificate's total follows the chain's move by trigger (migration 8).
    if (moved.changes !== 1) return 'conflict';
    this.#insertPayment(p.payment);
    return 'recorded';
  }

  /**
   * The credit limit the payment's chain draws on, and what the certificate's other chains
   * here have taken of it; undefined for a chain stored without its certificate.
   */
  #creditLimit(p: RecordPaywordPaymentParameters): CreditLimit | undefined {
    const stored = this.#sql.chainCertificate.get(p.commitmentId);
    const certificateId = stored === undefined ? p.newChain?.certificateId : stored.certificate_id;
    const creditLimit = stored === undefined ? p.newChain?.creditLimit.minor : stored.credit_limit;
    const valuePerWord = stored?.value_per_word ?? p.newChain?.valuePerWord.minor;
    if (certificateId == null || creditLimit == null || valuePerWord === undefined) {
      return undefined;
    }
    const own = stored === undefined ? 0 : stored.last_index * stored.value_per_word;
    const total = this.#sql.certificateTaken.get(certificateId);
    const taken = total?.taken ?? this.#sql.sumCertificateTaken.get(certificateId)?.taken ?? 0;
    return { creditLimit, valuePerWord, others: taken - own };
  }

  #recordEcashPayment(payment: PaymentRecord): PaymentRecord {
    if (this.#insertPayment(payment)) return payment;
    return paymentFromRow(this.#sql.findPayment.get(payment.credentialId)!);
  }

  #insertPayment(payment: PaymentRecord): boolean {
    if (this.#sql.insertPayment.run(paymentToRow(payment)).changes !== 1) return false;
    this.#sql.addEarnings.run(payment.instrument, payment.amount.currency, payment.amount.minor);
    return true;
  }

  #openSettlementBatch(p: OpenSettlementBatchParameters): SettlementBatchRecord | undefined {
    const chains = this.#sql.owedChains.all(p.limit);
    if (chains.length === 0) return undefined;
    this.#sql.insertBatch.run(p.batchId, p.idempotencyKey, p.now, p.now);
    chains.forEach((chain, position) => {
      this.#sql.insertItem.run(
        p.batchId,
        position,
        chain.commitment_id,
        chain.last_index,
        chain.last_word,
        chain.redeemed_index,
      );
      this.#sql.holdChain.run(p.batchId, chain.commitment_id);
    });
    return this.#batch(p.batchId);
  }

  #batch(batchId: string): SettlementBatchRecord {
    return batchFromRows(this.#sql.batch.get(batchId)!, this.#sql.items.all(batchId));
  }

  #settleSettlementBatch(
    batchId: string,
    finishedAt: number,
    outcomes: readonly SettlementItemOutcome[],
  ): void {
    const batch = this.#batch(batchId);
    if (batch.status !== 'in_flight') return; // answered already (a retry raced the first)
    batch.items.forEach((item, position) => {
      const outcome = outcomes[position];
      if (outcome?.outcome === 'redeemed') {
        this.#sql.redeemItem.run(outcome.paid, batchId, position);
        this.#sql.chainRedeemed.run(outcome.index, item.commitmentId);
      } else {
        const code = outcome?.problemCode ?? 'internal';
        this.#sql.rejectItem.run(code, batchId, position);
        this.#sql.chainRejected.run(outcome?.final ? 1 : 0, code, item.commitmentId);
      }
    });
    this.#sql.finishBatch.run('settled', finishedAt, null, batchId);
  }
}

function exhaustive(value: never): never {
  throw new Error(`unexpected write ${JSON.stringify(value)}`);
}
