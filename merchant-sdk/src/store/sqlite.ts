/**
 * The default `MerchantStore`: one SQLite file through better-sqlite3, in WAL mode with
 * `synchronous=FULL` (a payment is on disk before it is acknowledged), writes grouped into
 * shared commits (./group-commit.ts). Writes run on a thread of their own by default
 * (./sqlite-writer.ts), so the fsync does not hold the event loop; reads run on the event
 * loop's own connection and, WAL being snapshot-isolated, only ever see committed writes.
 */
import type Database from 'better-sqlite3';
import { type CommitStats, GroupCommit } from './group-commit.ts';
import {
  type BatchRow,
  batchFromRows,
  type ChainRow,
  chainFromRow,
  type ItemRow,
  openConnection,
  type PaymentRow,
  paymentFromRow,
  schema,
  schemaVersion,
} from './sqlite-schema.ts';
import { SqliteWriterThread } from './sqlite-writer.ts';
import { itemsSql, SqliteWrites, type WriteRequest, type WriteResults } from './sqlite-writes.ts';
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

/** Where the database is and how writes are committed. */
export interface SqliteMerchantStoreOptions {
  /** The database file (created if missing). `:memory:` only in tests, with `writer: 'event-loop'`. */
  readonly path: string;
  /**
   * Share one durable commit among the writes that queue up meanwhile (default true). Off,
   * each payment waits for its own fsync.
   */
  readonly groupCommit?: boolean;
  /**
   * `thread` (default): writes run on a writer thread with its own connection. `event-loop`:
   * on the caller's thread, each commit blocking it for the fsync.
   */
  readonly writer?: 'thread' | 'event-loop';
}

/** Runs writes somewhere, durably (the writer thread or a group commit on the event loop). */
interface Writer {
  run<R extends WriteRequest>(request: R): Promise<WriteResults[R['op']]>;
  readonly stats: CommitStats;
  close(): Promise<void>;
}

function eventLoopWriter(db: Database.Database, grouped: boolean): Writer {
  const writes = new SqliteWrites(db);
  const commits = new GroupCommit(db, { grouped });
  return {
    run: (request) => commits.run(() => writes.run(request)) as never,
    get stats() {
      return commits.stats;
    },
    close: () => commits.whenIdle(),
  };
}

/** The default, durable `MerchantStore` (module comment). */
export class SqliteMerchantStore implements MerchantStore {
  readonly #db: Database.Database;
  readonly #writer: Writer;
  readonly #sql;
  #closed = false;

  constructor(options: SqliteMerchantStoreOptions) {
    this.#db = openConnection(options.path);
    this.#migrate();
    const grouped = options.groupCommit ?? true;
    this.#writer =
      (options.writer ?? 'thread') === 'thread'
        ? new SqliteWriterThread({ path: options.path, grouped, maxBatch: 256 })
        : eventLoopWriter(this.#db, grouped);
    const db = this.#db;
    this.#sql = {
      findPayment: db.prepare<[Uint8Array], PaymentRow>(
        'SELECT * FROM payments WHERE credential_id = ?',
      ),
      earnings: db.prepare<[], EarningsRecord>(
        'SELECT instrument, currency, total, payments FROM earnings ORDER BY instrument, currency',
      ),
      findChain: db.prepare<[Uint8Array], ChainRow>(
        'SELECT * FROM payword_chains WHERE commitment_id = ?',
      ),
      listChains: db.prepare<[], ChainRow>(
        'SELECT * FROM payword_chains ORDER BY created_at DESC, rowid DESC',
      ),
      batch: db.prepare<[string], BatchRow>('SELECT * FROM settlement_batches WHERE batch_id = ?'),
      inFlight: db.prepare<[], BatchRow>(
        `SELECT * FROM settlement_batches WHERE status = 'in_flight' ORDER BY created_at, rowid`,
      ),
      recentBatches: db.prepare<[number], BatchRow>(
        'SELECT * FROM settlement_batches ORDER BY created_at DESC, rowid DESC LIMIT ?',
      ),
      items: db.prepare<[string], ItemRow>(itemsSql),
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
  get commitStats(): Readonly<CommitStats> {
    return { ...this.#writer.stats };
  }

  async findPayment(credentialId: Uint8Array): Promise<PaymentRecord | undefined> {
    const row = this.#sql.findPayment.get(credentialId);
    return row === undefined ? undefined : paymentFromRow(row);
  }

  async findPaywordChain(commitmentId: Uint8Array): Promise<PaywordChainRecord | undefined> {
    const row = this.#sql.findChain.get(commitmentId);
    return row === undefined ? undefined : chainFromRow(row);
  }

  recordPaywordPayment(
    parameters: RecordPaywordPaymentParameters,
  ): Promise<RecordPaywordPaymentResult> {
    return this.#writer.run({ op: 'recordPaywordPayment', parameters });
  }

  recordEcashPayment(payment: PaymentRecord): Promise<PaymentRecord> {
    return this.#writer.run({ op: 'recordEcashPayment', payment });
  }

  async earnings(): Promise<readonly EarningsRecord[]> {
    return this.#sql.earnings.all();
  }

  openSettlementBatch(
    parameters: OpenSettlementBatchParameters,
  ): Promise<SettlementBatchRecord | undefined> {
    return this.#writer.run({ op: 'openSettlementBatch', parameters });
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
    await this.#writer.run({ op: 'noteSettlementAttempt', batchId, attempt });
  }

  async settleSettlementBatch(
    batchId: string,
    finishedAt: number,
    outcomes: readonly SettlementItemOutcome[],
  ): Promise<void> {
    await this.#writer.run({ op: 'settleSettlementBatch', batchId, finishedAt, outcomes });
  }

  async failSettlementBatch(batchId: string, finishedAt: number, error: string): Promise<void> {
    await this.#writer.run({ op: 'failSettlementBatch', batchId, finishedAt, error });
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
    await this.#writer.close();
    this.#db.close();
  }
}
