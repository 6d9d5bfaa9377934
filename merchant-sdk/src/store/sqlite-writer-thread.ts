/**
 * The merchant store's writer thread (entry module; ./sqlite-writer.ts starts it and says
 * why): its own connection, one transaction per batch, each write inside its own SAVEPOINT.
 *
 * By default each COMMIT runs at `synchronous=FULL` and holds the thread through its sync: a
 * batch is answered (`committed`) when its COMMIT returns. With `commitSync: 'async-fdatasync'`
 * the connection commits at `synchronous=NORMAL` and makes each batch durable with an
 * `fdatasync` of the WAL on libuv's thread pool (`@farthing/server-runtime/sqlite-wal-sync`,
 * as durable as FULL): as soon as a batch's COMMIT has handed its frames to the OS the thread
 * says so (`written`), and takes the next batch while the sync runs; the batch is answered
 * only once a sync that started after its COMMIT has returned. SQLite's own checkpoints run in
 * a COMMIT, on this thread, and sync the WAL first.
 */
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { sharedTransaction } from '@farthing/server-runtime/sqlite-group-commit';
import { type WalSync, walSync } from '@farthing/server-runtime/sqlite-wal-sync';
import { openConnection } from './sqlite-schema.ts';
import type {
  FromWriter,
  SerializedError,
  ToWriter,
  WriteOutcome,
  WriterOptions,
} from './sqlite-writer.ts';
import { SqliteWrites } from './sqlite-writes.ts';

/**
 * Syncs at most this many at once: a sync started while another runs covers the batches
 * committed since, so a batch waits for one sync, not for the one before it as well.
 */
const maxSyncs = 2;

const port = parentPort!;
const options = workerData as WriterOptions;
if (process.platform === 'linux') {
  try {
    // Its name in /proc (Node 20 names every thread "node"), for per-thread CPU figures.
    writeFileSync('/proc/thread-self/comm', 'farthing-writer');
  } catch {
    // only a label
  }
}
const db = openConnection(options.path);
// The WAL exists once a connection has read in WAL mode; the sync holds it open.
db.prepare('SELECT count(*) FROM sqlite_master').get();
/** Without it (`commitSync: 'full'`, the default), each COMMIT syncs by itself and holds the thread. */
const wal = options.commitSync === 'async-fdatasync' ? walSync(db) : undefined;
const writes = new SqliteWrites(db);
const transaction = sharedTransaction(db);
const post = (message: FromWriter) => port.postMessage(message);

/** Committed batches waiting for a sync to start. */
let unsynced: { readonly id: number; readonly outcomes: readonly WriteOutcome[] }[] = [];
let syncing = 0;
let lost = false;

function serialized(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
  }
  return { name: 'Error', message: String(error) };
}

function lose(error: unknown): void {
  if (lost) return;
  lost = true;
  post({ type: 'lost', error: serialized(error) });
}

function startSync(wal: WalSync): void {
  if (lost || syncing >= maxSyncs || unsynced.length === 0) return;
  const covered = unsynced;
  unsynced = [];
  syncing++;
  wal.sync().then(
    () => {
      syncing--;
      if (lost) return;
      for (const { id, outcomes } of covered) post({ type: 'committed', id, outcomes });
      startSync(wal);
    },
    // Whether the frames reached the disk is unknown: nothing more is answered.
    lose,
  );
}

function commitBatch(batch: ToWriter & { type: 'batch' }): void {
  const result = transaction(batch.writes.map((request) => () => writes.run(request)));
  if (result.committed) {
    const outcomes = result.outcomes.map(
      (outcome): WriteOutcome =>
        outcome.ok ? outcome : { ok: false, error: serialized(outcome.error) },
    );
    post({ type: 'written', id: batch.id });
    if (wal === undefined) {
      post({ type: 'committed', id: batch.id, outcomes });
      return;
    }
    unsynced.push({ id: batch.id, outcomes });
    startSync(wal);
    return;
  }
  if ('lost' in result) lose(result.lost);
  else post({ type: 'failed', id: batch.id, error: serialized(result.error) });
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    // The parent closes only once every batch was answered.
    wal?.close();
    db.close();
    port.close();
    return;
  }
  if (!lost) commitBatch(message);
});
