/**
 * The default `MerchantStore`: one SQLite file through better-sqlite3, in WAL mode with
 * `synchronous=FULL` (a payment is on disk before it is acknowledged), writes grouped into
 * shared commits (./group-commit.ts). Reads run directly on the connection: they never see a
 * write that is not committed, because a group runs start to finish within one call.
 */
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.ts';
import {
  type BatchRow,
  batchFromRows,
  type ChainRow,
  chainFromRow,
  type ItemRow,
  type PaymentRow,
  paymentFromRow,
  paymentToRow,
  schema,
  schemaVersion,
} from './sqlite-schema.ts';
import type {
  EarningsRecord,
  MerchantStore,
  OpenSettlementBatchParameters,
  PaymentRecord,
  PaywordChainRecord,
  RecordPaywordPaymentParameters,
  RecordPaywordPaymentResult,
  SettlementBatchRecord,
  SettlementItemOutcome,
} from './store.ts';

/** Where the database is and whether writes share commits. */
export interface SqliteMerchantStoreOptions {
  /** The database file (created if missing). `:memory:` only in tests. */
  readonly path: string;
  /**
   * Share one durable commit among the writes of one event-loop turn (default true). Off, each
   * payment waits for its own fsync.
   */
  readonly groupCommit?: boolean;
}

const itemsSql = `
  SELECT i.commitment_id, c.commitment, i.word_index, i.word, c.currency, c.value_per_word,
         i.previous_index, i.outcome, i.paid, i.problem_code
  FROM settlement_items i JOIN payword_chains c USING (commitment_id)
  WHERE i.batch_id = ? ORDER BY i.position`;

/** The default, durable `MerchantStore` (module comment). */
export class SqliteMerchantStore implements MerchantStore {
  readonly #db: Database.Database;
  readonly #writes: GroupCommit;
  readonly #sql;
  #closed = false;

  constructor(options: SqliteMerchantStoreOptions) {
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
    this.#writes = new GroupCommit(this.#db, { grouped: options.groupCommit ?? true });
    const db = this.#db;
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
           @grant_expires_at) ON CONFLICT (credential_id) DO NOTHING`,
      ),
      addEarnings: db.prepare(
        `INSERT INTO earnings VALUES (?, ?, ?, 1) ON CONFLICT (instrument, currency)
           DO UPDATE SET total = total + excluded.total, payments = payments + 1`,
      ),
      earnings: db.prepare<[], EarningsRecord>(
        'SELECT instrument, currency, total, payments FROM earnings ORDER BY instrument, currency',
      ),
      findChain: db.prepare<[Uint8Array], ChainRow>(
        'SELECT * FROM payword_chains WHERE commitment_id = ?',
      ),
      insertChain: db.prepare(
        `INSERT INTO payword_chains (commitment_id, commitment, user_id, chain_length, currency,
           value_per_word, expires_at, last_index, last_word, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (commitment_id) DO NOTHING`,
      ),
      advanceChain: db.prepare(
        `UPDATE payword_chains SET last_index = ?, last_word = ?
         WHERE commitment_id = ? AND last_index = ? AND status = 'open'`,
      ),
      listChains: db.prepare<[], ChainRow>(
        'SELECT * FROM payword_chains ORDER BY created_at DESC, rowid DESC',
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
      inFlight: db.prepare<[], BatchRow>(
        `SELECT * FROM settlement_batches WHERE status = 'in_flight' ORDER BY created_at, rowid`,
      ),
      recentBatches: db.prepare<[number], BatchRow>(
        'SELECT * FROM settlement_batches ORDER BY created_at DESC, rowid DESC LIMIT ?',
      ),
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

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version === schemaVersion) return;
    if (version !== 0) {
      throw new Error(`merchant database has schema version ${version}, expected ${schemaVersion}`);
    }
    this.#db.transaction(() => {
      this.#db.exec(schema);
      this.#db.pragma(`user_version = ${schemaVersion}`);
    })();
  }

  /** How many durable commits the store made and how many writes they carried. */
  get commitStats(): Readonly<{ commits: number; writes: number; largestGroup: number }> {
    return { ...this.#writes.stats };
  }

  async findPayment(credentialId: Uint8Array): Promise<PaymentRecord | undefined> {
    const row = this.#sql.findPayment.get(credentialId);
    return row === undefined ? undefined : paymentFromRow(row);
  }

  async findPaywordChain(commitmentId: Uint8Array): Promise<PaywordChainRecord | undefined> {
    const row = this.#sql.findChain.get(commitmentId);
    return row === undefined ? undefined : chainFromRow(row);
  }

  recordPaywordPayment(p: RecordPaywordPaymentParameters): Promise<RecordPaywordPaymentResult> {
    return this.#writes.run((): RecordPaywordPaymentResult => {
      const chain = p.newChain;
      if (chain !== undefined) {
        this.#sql.insertChain.run(
          chain.commitmentId,
          chain.commitment,
          chain.userId,
          chain.length,
          chain.valuePerWord.currency,
          chain.valuePerWord.minor,
          chain.expiresAt,
          chain.lastWord,
          chain.createdAt,
        );
      }
      if (this.#sql.paymentExists.get(p.payment.credentialId) !== undefined) return 'duplicate';
      const moved = this.#sql.advanceChain.run(
        p.lastIndex,
        p.lastWord,
        p.commitmentId,
        p.expectedLastIndex,
      );
      if (moved.changes !== 1) return 'conflict';
      this.#insertPayment(p.payment);
      return 'recorded';
    });
  }

  recordEcashPayment(payment: PaymentRecord): Promise<PaymentRecord> {
    return this.#writes.run((): PaymentRecord => {
      if (this.#insertPayment(payment)) return payment;
      return paymentFromRow(this.#sql.findPayment.get(payment.credentialId)!);
    });
  }

  #insertPayment(payment: PaymentRecord): boolean {
    if (this.#sql.insertPayment.run(paymentToRow(payment)).changes !== 1) return false;
    this.#sql.addEarnings.run(payment.instrument, payment.amount.currency, payment.amount.minor);
    return true;
  }

  async earnings(): Promise<readonly EarningsRecord[]> {
    return this.#sql.earnings.all();
  }

  openSettlementBatch(
    p: OpenSettlementBatchParameters,
  ): Promise<SettlementBatchRecord | undefined> {
    return this.#writes.run((): SettlementBatchRecord | undefined => {
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
    });
  }

  #batch(batchId: string): SettlementBatchRecord {
    return batchFromRows(this.#sql.batch.get(batchId)!, this.#sql.items.all(batchId));
  }

  async getSettlementBatch(batchId: string): Promise<SettlementBatchRecord | undefined> {
    const row = this.#sql.batch.get(batchId);
    return row === undefined ? undefined : batchFromRows(row, this.#sql.items.all(batchId));
  }

  async inFlightSettlementBatches(): Promise<readonly SettlementBatchRecord[]> {
    return this.#sql.inFlight
      .all()
      .map((row) => batchFromRows(row, this.#sql.items.all(row.batch_id)));
  }

  async noteSettlementAttempt(
    batchId: string,
    attempt: { readonly attempts: number; readonly nextAttemptAt: number; readonly error: string },
  ): Promise<void> {
    await this.#writes.run(() =>
      this.#sql.noteAttempt.run(attempt.attempts, attempt.nextAttemptAt, attempt.error, batchId),
    );
  }

  async settleSettlementBatch(
    batchId: string,
    finishedAt: number,
    outcomes: readonly SettlementItemOutcome[],
  ): Promise<void> {
    await this.#writes.run(() => {
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
    });
  }

  async failSettlementBatch(batchId: string, finishedAt: number, error: string): Promise<void> {
    await this.#writes.run(() => {
      this.#sql.finishBatch.run('failed', finishedAt, error, batchId);
      this.#sql.releaseChains.run(batchId);
    });
  }

  async listPaywordChains(): Promise<readonly PaywordChainRecord[]> {
    return this.#sql.listChains.all().map(chainFromRow);
  }

  async listSettlementBatches(limit: number): Promise<readonly SettlementBatchRecord[]> {
    return this.#sql.recentBatches
      .all(limit)
      .map((row) => batchFromRows(row, this.#sql.items.all(row.batch_id)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes.whenIdle();
    this.#db.close();
  }
}
