/**
 * The default `MerchantStore`: one SQLite file through better-sqlite3 in WAL mode, every write
 * answered only once it is on disk, writes that queue up meanwhile sharing one commit.
 *
 * - By default writes run on a thread of their own (./sqlite-writer.ts) whose connection
 *   commits at `synchronous=FULL` (or, with `commitSync: 'async-fdatasync'`, at
 *   `synchronous=NORMAL`, syncing the WAL itself); this connection only reads, and answers once
 *   what it may have seen is durable.
 * - `writer: 'event-loop'` commits on this connection instead, in group commits
 *   (`@farthing/server-runtime/sqlite-group-commit`): by default at `synchronous=NORMAL` with an
 *   `fdatasync` of the WAL on libuv's thread pool (`@farthing/server-runtime/sqlite-wal-sync`),
 *   or with `commitSync: 'full'` at `synchronous=FULL`; checkpoints then run on a thread of
 *   their own (`@farthing/server-runtime/sqlite-checkpointer`). Reads see committed writes only
 *   and answer only once what they saw is durable.
 */
import { createRequire } from 'node:module';
import { toBase64url } from '@farthing/protocol/encoding';
import {
  backgroundCheckpointer,
  type Checkpointer,
} from '@farthing/server-runtime/sqlite-checkpointer';
import { GroupCommit } from '@farthing/server-runtime/sqlite-group-commit';
import { type WalSync, walSync } from '@farthing/server-runtime/sqlite-wal-sync';
import type Database from 'better-sqlite3';
import { credentialIdRange, grantIdOf } from './rows.ts';
import { afterStep } from './sqlite-backfill.ts';
import {
  type BatchRow,
  batchFromRows,
  type ChainRow,
  chainFromRow,
  type ItemRow,
  migrations,
  openConnection,
  type PaymentRow,
  paymentFromRow,
  receiptIdExpression,
  schemaVersion,
} from './sqlite-schema.ts';
import { SqliteWriterThread } from './sqlite-writer.ts';
import { itemsSql, SqliteWrites, type WriteRequest, type WriteResults } from './sqlite-writes.ts';
import type {
  EarningsRecord,
  MerchantStore,
  PaymentRecord,
  PaywordChainRecord,
  SettlementBatchRecord,
} from './store.ts';
import { paymentIdLength } from './store.ts';

const require = createRequire(import.meta.url);

/** Durable commits so far, the writes they carried, the largest group and the WAL syncs. */
export interface CommitStats {
  readonly commits: number;
  readonly writes: number;
  readonly largestGroup: number;
  readonly syncs: number;
}

/** Where the database is and how writes are committed. */
export interface SqliteMerchantStoreOptions {
  /** The database file (created if missing); `:memory:` only in tests. */
  readonly path: string;
  /**
   * Share one durable commit among the writes that queue up meanwhile (default true). Off,
   * each payment waits for its own commit.
   */
  readonly groupCommit?: boolean;
  /**
   * Where writes run (default `thread`, ./sqlite-writer.ts): on a thread of their own with its
   * own connection, or on the event loop's connection (`event-loop`). A database that is not a
   * file in WAL mode (`:memory:`) always writes on the event loop.
   */
  readonly writer?: 'thread' | 'event-loop';
  /**
   * How a commit reaches the disk; both durable (an acknowledged payment survives power loss).
   * `async-fdatasync`: `synchronous=NORMAL` and an `fdatasync` of the WAL apart from the COMMIT
   * (off the event loop; on the writer thread, while it commits the next batch) before any
   * answer. `full`: `synchronous=FULL`, each COMMIT holding its thread for the disk flush. The
   * default is `full` on the writer thread (faster there on a quiet machine: ./sqlite-writer.ts)
   * and `async-fdatasync` with `writer: 'event-loop'` (FULL would hold the event loop).
   */
  readonly commitSync?: 'async-fdatasync' | 'full';
}

/** The default, durable `MerchantStore` (module comment). */
export class SqliteMerchantStore implements MerchantStore {
  readonly #db: Database.Database;
  /** Writes on the event loop, or on the writer thread: exactly one of the two. */
  #commits: GroupCommit<Database.Database> | undefined;
  #writer: SqliteWriterThread | undefined;
  #writes: SqliteWrites | undefined;
  #walSync: WalSync | undefined;
  #checkpointer: Checkpointer | undefined;
  readonly #sql: ReturnType<typeof prepareReads>;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SqliteMerchantStoreOptions) {
    this.#db = openConnection(options.path);
    try {
      this.#open(options);
      this.#sql = prepareReads(this.#db);
    } catch (error) {
      // Nothing half-open is left behind: no thread, no connection, no file handle.
      this.#writer?.abandon();
      void this.#checkpointer?.close();
      this.#walSync?.close();
      this.#db.close();
      throw error;
    }
  }

  #open(options: SqliteMerchantStoreOptions): void {
    this.#migrate();
    const db = this.#db;
    const inWal = db.pragma('journal_mode', { simple: true }) === 'wal';
    const grouped = options.groupCommit ?? true;
    if ((options.writer ?? 'thread') === 'thread' && inWal) {
      this.#writer = new SqliteWriterThread({
        path: options.path,
        maxBatch: grouped ? 512 : 1,
        ...(options.commitSync === undefined ? {} : { commitSync: options.commitSync }),
      });
    } else {
      // An in-memory database has no WAL (and nothing to make durable).
      this.#walSync =
        (options.commitSync ?? 'async-fdatasync') === 'async-fdatasync' && inWal
          ? walSync(db)
          : undefined;
      // Checkpoints on a thread of their own, so a payment's COMMIT only appends to the WAL.
      const checkpointer = inWal
        ? backgroundCheckpointer(db, { driver: require.resolve('better-sqlite3') })
        : undefined;
      this.#checkpointer = checkpointer;
      this.#commits = new GroupCommit(db, {
        grouped,
        ...(this.#walSync === undefined ? {} : { sync: this.#walSync.sync }),
        ...(checkpointer === undefined ? {} : { onCommit: () => checkpointer.committed() }),
      });
      this.#writes = new SqliteWrites(db);
    }
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version === schemaVersion) return;
    if (version > schemaVersion) {
      throw new Error(
        `merchant database has schema version ${version}, newer than this SDK's ${schemaVersion}`,
      );
    }
    for (let step = version; step < schemaVersion; step++) {
      this.#db.transaction(() => {
        this.#db.exec(migrations[step]!);
        afterStep[step]?.(this.#db);
        this.#db.pragma(`user_version = ${step + 1}`);
      })();
    }
  }

  /**
   * How many durable commits the store made, the writes they carried and the WAL syncs (on
   * the writer thread every COMMIT is one).
   */
  get commitStats(): CommitStats {
    if (this.#writer !== undefined) {
      const { commits, writes, largestGroup } = this.#writer.stats;
      return { commits, writes, largestGroup, syncs: commits };
    }
    const { commits, jobs, largestBatch, syncs } = this.#commits!.stats;
    return { commits, writes: jobs, largestGroup: largestBatch, syncs };
  }

  #write<R extends WriteRequest>(request: R): Promise<WriteResults[R['op']]> {
    if (this.#closed) return Promise.reject(new Error('the merchant store is closed'));
    if (this.#writer !== undefined) return this.#writer.run(request);
    const writes = this.#writes!;
    return this.#commits!.run(() => writes.run(request)) as Promise<WriteResults[R['op']]>;
  }

  #read<T>(query: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the merchant store is closed'));
    if (this.#commits !== undefined) return this.#commits.read(query);
    // Beside the writer thread this connection only reads; what it saw may be a commit whose
    // sync has not yet returned, so the answer waits for the batches sent before it.
    let value: T;
    try {
      value = query();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writer!.whenDurable().then(() => value);
  }

  /**
   * A read of several statements (a batch and its items): beside the writer thread, which
   * commits meanwhile, they run in one read transaction, so they see one state.
   */
  #readSnapshot<T>(query: () => T): Promise<T> {
    return this.#read(this.#writer === undefined ? query : this.#db.transaction(query));
  }

  findPayment(credentialId: Uint8Array): Promise<PaymentRecord | undefined> {
    return this.#read(() => {
      const row = this.#sql.findPayment.get(credentialId);
      return row === undefined ? undefined : paymentFromRow(row);
    });
  }

  findPaymentByGrant(grantToken: string): Promise<PaymentRecord | undefined> {
    return this.#read(() => {
      const grantId = grantIdOf(grantToken);
      const row =
        (grantId === undefined
          ? undefined
          : this.#sql.findPaymentByGrant.get(...credentialIdRange(grantId), grantToken)) ??
        this.#sql.findOlderPaymentByGrant.get(grantToken);
      return row === undefined ? undefined : paymentFromRow(row);
    });
  }

  findPaymentByReceipt(receiptId: Uint8Array): Promise<PaymentRecord | undefined> {
    return this.#read(() => {
      const id = toBase64url(receiptId);
      const row =
        (receiptId.length === paymentIdLength
          ? this.#sql.findPaymentByReceipt.get(...credentialIdRange(receiptId), id)
          : undefined) ?? this.#sql.findOlderPaymentByReceipt.get(id);
      return row === undefined ? undefined : paymentFromRow(row);
    });
  }

  paymentsWithGrant(resource: string, now: number): Promise<readonly PaymentRecord[]> {
    return this.#read(() => this.#sql.paymentsWithGrant.all(resource, now).map(paymentFromRow));
  }

  findPaywordChain(commitmentId: Uint8Array): Promise<PaywordChainRecord | undefined> {
    return this.#read(() => {
      const row = this.#sql.findChain.get(commitmentId);
      return row === undefined ? undefined : chainFromRow(row);
    });
  }

  // A write is sent as data (./sqlite-writes.ts `WriteRequest`) with the interface's signature.
  readonly recordPaywordPayment: MerchantStore['recordPaywordPayment'] = (parameters) =>
    this.#write({ op: 'recordPaywordPayment', parameters });

  readonly recordEcashPayment: MerchantStore['recordEcashPayment'] = (payment) =>
    this.#write({ op: 'recordEcashPayment', payment });

  earnings(): Promise<readonly EarningsRecord[]> {
    return this.#read(() => this.#sql.earnings.all());
  }

  readonly openSettlementBatch: MerchantStore['openSettlementBatch'] = (parameters) =>
    this.#write({ op: 'openSettlementBatch', parameters });

  getSettlementBatch(batchId: string): Promise<SettlementBatchRecord | undefined> {
    return this.#readSnapshot(() => {
      const row = this.#sql.batch.get(batchId);
      return row === undefined ? undefined : batchFromRows(row, this.#sql.items.all(batchId));
    });
  }

  inFlightSettlementBatches(): Promise<readonly SettlementBatchRecord[]> {
    return this.#readSnapshot(() =>
      this.#sql.inFlight.all().map((row) => batchFromRows(row, this.#sql.items.all(row.batch_id))),
    );
  }

  readonly noteSettlementAttempt: MerchantStore['noteSettlementAttempt'] = (batchId, attempt) =>
    this.#write({ op: 'noteSettlementAttempt', batchId, attempt });

  readonly settleSettlementBatch: MerchantStore['settleSettlementBatch'] = (
    batchId,
    finishedAt,
    outcomes,
  ) => this.#write({ op: 'settleSettlementBatch', batchId, finishedAt, outcomes });

  readonly failSettlementBatch: MerchantStore['failSettlementBatch'] = (
    batchId,
    finishedAt,
    error,
  ) => this.#write({ op: 'failSettlementBatch', batchId, finishedAt, error });

  listPaywordChains(): Promise<readonly PaywordChainRecord[]> {
    return this.#read(() => this.#sql.listChains.all().map(chainFromRow));
  }

  listSettlementBatches(limit: number): Promise<readonly SettlementBatchRecord[]> {
    return this.#readSnapshot(() =>
      this.#sql.recentBatches
        .all(limit)
        .map((row) => batchFromRows(row, this.#sql.items.all(row.batch_id))),
    );
  }

  /** Answers what is in flight, then closes the connection; a second call waits for the first. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#writer?.close();
    await this.#commits?.close();
    await this.#checkpointer?.close();
    this.#db.close();
    this.#walSync?.close();
  }
}

/** The statements the event loop's connection reads with. */
function prepareReads(db: Database.Database) {
  return {
    findPayment: db.prepare<[Uint8Array], PaymentRow>(
      'SELECT * FROM payments WHERE credential_id = ?',
    ),
    // A payment by its grant or receipt id: the credential ids starting with that id (migration
    // 7), or an older payment through the index that holds only those.
    findPaymentByGrant: db.prepare<[Uint8Array, Uint8Array, string], PaymentRow>(
      `SELECT * FROM payments WHERE credential_id BETWEEN ? AND ? AND grant_token = ?
         AND ids_from_credential = 1`,
    ),
    findOlderPaymentByGrant: db.prepare<[string], PaymentRow>(
      'SELECT * FROM payments WHERE grant_token = ? AND ids_from_credential = 0',
    ),
    paymentsWithGrant: db.prepare<[string, number], PaymentRow>(
      'SELECT * FROM payments WHERE resource = ? AND grant_expires_at > ? ORDER BY paid_at, rowid',
    ),
    findPaymentByReceipt: db.prepare<[Uint8Array, Uint8Array, string], PaymentRow>(
      `SELECT * FROM payments WHERE credential_id BETWEEN ? AND ?
         AND ${receiptIdExpression} = ? AND ids_from_credential = 1`,
    ),
    findOlderPaymentByReceipt: db.prepare<[string], PaymentRow>(
      `SELECT * FROM payments WHERE ${receiptIdExpression} = ? AND ids_from_credential = 0`,
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
