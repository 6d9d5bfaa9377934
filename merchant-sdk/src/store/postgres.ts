/**
 * The `MerchantStore` on a PostgreSQL server, for a shop that runs several processes (or
 * machines) against one database: `PostgresMerchantStore.open({ url })`. Nothing another
 * process must see is kept in memory; every answer comes from the database. Import it from
 * `@farthing/merchant-sdk/store/postgres`, with `pg` installed beside the SDK (an optional
 * peer: a site on SQLite never loads it).
 *
 * Every write is one transaction at READ COMMITTED, each made safe across processes by what
 * it locks rather than by SERIALIZABLE's retries:
 *
 * - `recordPaywordPayment`: the swap is `UPDATE … WHERE last_index = expected AND status =
 *   'open'`, which a concurrent writer of the same row waits for and then re-checks against
 *   the committed row, so of two payments spending the same words one moves the chain and the
 *   other finds it moved (`conflict`). The credit-limit sum over the certificate's chains is
 *   read under a transaction-scoped advisory lock on the certificate, so two payments on two
 *   chains of one certificate are checked one after the other and cannot both pass the limit.
 *   A payment whose credential id another process stored first rolls back whole (`duplicate`).
 * - `recordEcashPayment`: `INSERT … ON CONFLICT DO NOTHING` waits for a concurrent insert of
 *   the same credential id and then reads the one stored, so every process answers a retry
 *   with the same receipt.
 * - `openSettlementBatch`: owed chains are taken `FOR UPDATE SKIP LOCKED`, so processes
 *   settling at once put each chain in exactly one batch; `settleSettlementBatch` locks the
 *   batch row and records an answer only while the batch is in flight, so it is recorded once.
 *
 * Ties of `created_at` (the same millisecond) are ordered by id here, where SQLite orders them
 * by insertion; across processes there is no insertion order to keep.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { PostgresDatabase, type Sql } from '@farthing/server-runtime/postgres';
import { migrate, receiptIdExpression } from './postgres-schema.ts';
import { batches, creditLimit, insertPayment } from './postgres-writes.ts';
import {
  type ChainRow,
  chainFromRow,
  credentialIdRange,
  grantIdOf,
  newChainValues,
  overCreditLimit,
  type PaymentRow,
  paymentFromRow,
} from './rows.ts';
import type {
  EarningsRecord,
  MerchantStore,
  OpenSettlementBatchParameters,
  PaymentRecord,
  PaywordChainRecord,
  RecordPaywordPaymentParameters,
  RecordPaywordPaymentResult,
  SettlementAttempt,
  SettlementBatchRecord,
  SettlementItemOutcome,
} from './store.ts';
import { paymentIdLength } from './store.ts';

export interface PostgresMerchantStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Connections this process keeps open (default 10). */
  readonly poolSize?: number;
}

/** Thrown inside a transaction to roll it back: the payment's credential id is stored already. */
class AlreadyStored extends Error {}

/** The durable `MerchantStore` shared by several processes (module comment). */
export class PostgresMerchantStore implements MerchantStore {
  readonly #db: PostgresDatabase;
  #closing: Promise<void> | undefined;

  private constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /** Connects, applies the migrations the database lacks, and returns the store. */
  static async open(options: PostgresMerchantStoreOptions): Promise<PostgresMerchantStore> {
    const db = new PostgresDatabase(options.url, {
      poolSize: options.poolSize ?? 10,
      contended: (attempts, cause) =>
        new FarthingError('storage_contended', 'the shop is too busy; try again', {
          details: { attempts },
          cause,
        }),
    });
    try {
      await migrate(db);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new PostgresMerchantStore(db);
  }

  /** Commits so far and transactions retried after a serialization failure. */
  get stats(): { readonly commits: number; readonly retries: number } {
    return { ...this.#db.stats };
  }

  async findPayment(credentialId: Uint8Array): Promise<PaymentRecord | undefined> {
    const [row] = await this.#db.query<PaymentRow>(
      'SELECT * FROM payments WHERE credential_id = $1',
      [credentialId],
    );
    return row === undefined ? undefined : paymentFromRow(row);
  }

  // By grant or receipt id: the credential ids starting with that id (migration 3), else an
  // older payment through the index that holds only those.
  async findPaymentByGrant(grantToken: string): Promise<PaymentRecord | undefined> {
    const grantId = grantIdOf(grantToken);
    const [row] =
      grantId === undefined
        ? []
        : await this.#db.query<PaymentRow>(
            `SELECT * FROM payments WHERE credential_id BETWEEN $1 AND $2 AND grant_token = $3
               AND ids_from_credential = 1 LIMIT 1`,
            [...credentialIdRange(grantId), grantToken],
          );
    const [older] =
      row === undefined
        ? await this.#db.query<PaymentRow>(
            'SELECT * FROM payments WHERE grant_token = $1 AND ids_from_credential = 0 LIMIT 1',
            [grantToken],
          )
        : [row];
    return older === undefined ? undefined : paymentFromRow(older);
  }

  async findPaymentByReceipt(receiptId: Uint8Array): Promise<PaymentRecord | undefined> {
    const id = toBase64url(receiptId);
    const [row] =
      receiptId.length === paymentIdLength
        ? await this.#db.query<PaymentRow>(
            `SELECT * FROM payments WHERE credential_id BETWEEN $1 AND $2
               AND ${receiptIdExpression} = $3 AND ids_from_credential = 1 LIMIT 1`,
            [...credentialIdRange(receiptId), id],
          )
        : [];
    const [older] =
      row === undefined
        ? await this.#db.query<PaymentRow>(
            `SELECT * FROM payments WHERE ${receiptIdExpression} = $1 AND ids_from_credential = 0
               LIMIT 1`,
            [id],
          )
        : [row];
    return older === undefined ? undefined : paymentFromRow(older);
  }

  async paymentsWithGrant(resource: string, now: number): Promise<readonly PaymentRecord[]> {
    const rows = await this.#db.query<PaymentRow>(
      'SELECT * FROM payments WHERE resource = $1 AND grant_expires_at > $2 ORDER BY paid_at, credential_id',
      [resource, now],
    );
    return rows.map(paymentFromRow);
  }

  async findPaywordChain(commitmentId: Uint8Array): Promise<PaywordChainRecord | undefined> {
    const [row] = await this.#db.query<ChainRow>(
      'SELECT * FROM payword_chains WHERE commitment_id = $1',
      [commitmentId],
    );
    return row === undefined ? undefined : chainFromRow(row);
  }

  async recordPaywordPayment(
    p: RecordPaywordPaymentParameters,
  ): Promise<RecordPaywordPaymentResult> {
    try {
      return await this.#db.transaction({ isolation: 'read committed' }, async (sql) => {
        const stored = await sql.query('SELECT 1 FROM payments WHERE credential_id = $1', [
          p.payment.credentialId,
        ]);
        if (stored.length > 0) return 'duplicate';
        if (overCreditLimit(await creditLimit(sql, p), p)) return 'over_limit';
        const chain = p.newChain;
        if (chain !== undefined) {
          await sql.query(
            `INSERT INTO payword_chains (commitment_id, commitment, user_id, chain_length,
               currency, value_per_word, expires_at, last_index, last_word, created_at,
               certificate_id, credit_limit)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11)
             ON CONFLICT (commitment_id) DO NOTHING`,
            [...newChainValues(chain)],
          );
        }
        const moved = await sql.query(
          `UPDATE payword_chains SET last_index = $1, last_word = $2
           WHERE commitment_id = $3 AND last_index = $4 AND status = 'open' RETURNING 1`,
          [p.lastIndex, p.lastWord, p.commitmentId, p.expectedLastIndex],
        );
        if (moved.length !== 1) return 'conflict';
        if (!(await insertPayment(sql, p.payment))) throw new AlreadyStored();
        return 'recorded';
      });
    } catch (error) {
      if (error instanceof AlreadyStored) return 'duplicate';
      throw error;
    }
  }

  recordEcashPayment(payment: PaymentRecord): Promise<PaymentRecord> {
    return this.#db.transaction({ isolation: 'read committed' }, async (sql) => {
      if (await insertPayment(sql, payment)) return payment;
      // Another request stored it first (perhaps at another process, which we waited for).
      const [row] = await sql.query<PaymentRow>('SELECT * FROM payments WHERE credential_id = $1', [
        payment.credentialId,
      ]);
      return paymentFromRow(row!);
    });
  }

  earnings(): Promise<readonly EarningsRecord[]> {
    return this.#db.query<EarningsRecord>(
      'SELECT instrument, currency, total, payments FROM earnings ORDER BY instrument, currency',
    );
  }

  openSettlementBatch(
    p: OpenSettlementBatchParameters,
  ): Promise<SettlementBatchRecord | undefined> {
    return this.#db.transaction({ isolation: 'read committed' }, async (sql) => {
      const owed = await sql.query<{ commitment_id: Buffer }>(
        `SELECT commitment_id FROM payword_chains
         WHERE status = 'open' AND settling_batch IS NULL AND last_index > redeemed_index
         ORDER BY rejection_code IS NOT NULL, created_at, commitment_id LIMIT $1
         FOR UPDATE SKIP LOCKED`,
        [p.limit],
      );
      if (owed.length === 0) return undefined;
      const ids = owed.map((row) => row.commitment_id);
      await sql.query(
        `INSERT INTO settlement_batches (batch_id, idempotency_key, status, created_at,
           next_attempt_at) VALUES ($1, $2, 'in_flight', $3, $3)`,
        [p.batchId, p.idempotencyKey, p.now],
      );
      // The chains are locked by this transaction: their words cannot move meanwhile.
      await sql.query(
        `INSERT INTO settlement_items (batch_id, position, commitment_id, word_index, word,
           previous_index)
         SELECT $1, t.n - 1, c.commitment_id, c.last_index, c.last_word, c.redeemed_index
         FROM unnest($2::bytea[]) WITH ORDINALITY AS t (id, n)
         JOIN payword_chains c ON c.commitment_id = t.id`,
        [p.batchId, ids],
      );
      await sql.query(
        'UPDATE payword_chains SET settling_batch = $1 WHERE commitment_id = ANY ($2::bytea[])',
        [p.batchId, ids],
      );
      const [batch] = await batches(sql, 'WHERE batch_id = $1', [p.batchId]);
      return batch;
    });
  }

  async getSettlementBatch(batchId: string): Promise<SettlementBatchRecord | undefined> {
    const [batch] = await this.#snapshot((sql) => batches(sql, 'WHERE batch_id = $1', [batchId]));
    return batch;
  }

  inFlightSettlementBatches(): Promise<readonly SettlementBatchRecord[]> {
    return this.#snapshot((sql) =>
      batches(sql, `WHERE status = 'in_flight' ORDER BY created_at, batch_id`, []),
    );
  }

  async noteSettlementAttempt(batchId: string, attempt: SettlementAttempt): Promise<void> {
    await this.#db.query(
      `UPDATE settlement_batches SET attempts = $1, next_attempt_at = $2, last_error = $3
       WHERE batch_id = $4 AND status = 'in_flight'`,
      [attempt.attempts, attempt.nextAttemptAt, attempt.error, batchId],
    );
  }

  async settleSettlementBatch(
    batchId: string,
    finishedAt: number,
    outcomes: readonly SettlementItemOutcome[],
  ): Promise<void> {
    await this.#db.transaction({ isolation: 'read committed' }, async (sql) => {
      // Another process recording the same answer waits here, then finds it recorded.
      const [row] = await sql.query<{ status: string }>(
        'SELECT status FROM settlement_batches WHERE batch_id = $1 FOR UPDATE',
        [batchId],
      );
      if (row?.status !== 'in_flight') return;
      const items = await sql.query<{ commitment_id: Buffer }>(
        'SELECT commitment_id FROM settlement_items WHERE batch_id = $1 ORDER BY position',
        [batchId],
      );
      for (const [position, item] of items.entries()) {
        const outcome = outcomes[position];
        if (outcome?.outcome === 'redeemed') {
          await sql.query(
            `UPDATE settlement_items SET outcome = 'redeemed', paid = $1
             WHERE batch_id = $2 AND position = $3`,
            [outcome.paid, batchId, position],
          );
          await sql.query(
            `UPDATE payword_chains SET redeemed_index = GREATEST(redeemed_index, $1),
               settling_batch = NULL WHERE commitment_id = $2`,
            [outcome.index, item.commitment_id],
          );
        } else {
          const code = outcome?.problemCode ?? 'internal';
          await sql.query(
            `UPDATE settlement_items SET outcome = 'rejected', problem_code = $1
             WHERE batch_id = $2 AND position = $3`,
            [code, batchId, position],
          );
          await sql.query(
            `UPDATE payword_chains SET settling_batch = NULL,
               status = CASE WHEN $1::boolean THEN 'rejected' ELSE status END,
               rejection_code = $2 WHERE commitment_id = $3`,
            [outcome?.final === true, code, item.commitment_id],
          );
        }
      }
      await sql.query(
        `UPDATE settlement_batches SET status = 'settled', finished_at = $1, last_error = NULL
         WHERE batch_id = $2`,
        [finishedAt, batchId],
      );
    });
  }

  async failSettlementBatch(batchId: string, finishedAt: number, error: string): Promise<void> {
    await this.#db.transaction({ isolation: 'read committed' }, async (sql) => {
      await sql.query(
        `UPDATE settlement_batches SET status = 'failed', finished_at = $1, last_error = $2
         WHERE batch_id = $3 AND status = 'in_flight'`,
        [finishedAt, error, batchId],
      );
      await sql.query('UPDATE payword_chains SET settling_batch = NULL WHERE settling_batch = $1', [
        batchId,
      ]);
    });
  }

  async listPaywordChains(): Promise<readonly PaywordChainRecord[]> {
    const rows = await this.#db.query<ChainRow>(
      'SELECT * FROM payword_chains ORDER BY created_at DESC, commitment_id DESC',
    );
    return rows.map(chainFromRow);
  }

  listSettlementBatches(limit: number): Promise<readonly SettlementBatchRecord[]> {
    return this.#snapshot((sql) =>
      batches(sql, 'ORDER BY created_at DESC, batch_id DESC LIMIT $1', [limit]),
    );
  }

  /** Waits for the queries in flight, then closes every connection; a second call waits too. */
  close(): Promise<void> {
    this.#closing ??= this.#db.close();
    return this.#closing;
  }

  /** Several reads that see one state (a batch and its items). */
  #snapshot<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
    return this.#db.transaction({ isolation: 'repeatable read', readOnly: true }, body);
  }
}
