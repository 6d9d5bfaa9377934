/**
 * The merchant store's writer thread (entry module; ./sqlite-writer.ts starts it and says
 * why): its own connection; every batch that came in while a transaction ran goes into the
 * next transaction (up to the store's `maxBatch` writes), each write inside its own SAVEPOINT.
 *
 * By default each COMMIT runs at `synchronous=FULL` and holds the thread through its sync: the
 * transaction's batches are answered (`committed`) when its COMMIT returns. With
 * `commitSync: 'async-fdatasync'` the connection commits at `synchronous=NORMAL` and makes each
 * transaction durable with an `fdatasync` of the WAL on libuv's thread pool
 * (`@farthing/server-runtime/sqlite-wal-sync`, as durable as FULL): as soon as a COMMIT has
 * handed its frames to the OS the thread takes the next batches while the sync runs, and
 * answers a transaction only once a sync that started after its COMMIT has returned. SQLite's
 * own checkpoints run in a COMMIT, on this thread, and sync the WAL first.
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
  WriterThreadData,
} from './sqlite-writer.ts';
import { SqliteWrites } from './sqlite-writes.ts';

/**
 * Syncs at most this many at once: a sync started while another runs covers the batches
 * committed since, so a batch waits for one sync, not for the one before it as well.
 */
const maxSyncs = 2;

const port = parentPort!;
const options = workerData as WriterThreadData;
/**
 * Writes in one transaction at most (the store's `maxBatch`: 1 when grouping is off). The
 * batches that came in while the last transaction ran are committed together up to this.
 */
const maxWrites = options.maxBatch;
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

/** One transaction's batches and their outcomes, in the order the batches came. */
interface Committed {
  readonly ids: readonly number[];
  readonly outcomes: readonly (readonly WriteOutcome[])[];
}

/** Batches come in while a transaction runs; the next transaction takes them all. */
let waiting: (ToWriter & { type: 'batch' })[] = [];
let scheduled = false;
/** Committed transactions waiting for a sync to start. */
let unsynced: Committed[] = [];
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
      for (const committed of covered) post({ type: 'committed', ...committed });
      startSync(wal);
    },
    // Whether the frames reached the disk is unknown: nothing more is answered.
    lose,
  );
}

/** Commits every batch that has come in, up to `maxWrites` writes, as one transaction. */
function commitWaiting(): void {
  scheduled = false;
  if (lost || waiting.length === 0) return;
  let count = 0;
  let taken = 0;
  while (
    taken < waiting.length &&
    (taken === 0 || count + waiting[taken]!.writes.length <= maxWrites)
  ) {
    count += waiting[taken]!.writes.length;
    taken++;
  }
  const batches = waiting.slice(0, taken);
  waiting = waiting.slice(taken);
  if (waiting.length > 0) schedule();
  const ids = batches.map((batch) => batch.id);
  const result = transaction(
    batches.flatMap((batch) => batch.writes.map((request) => () => writes.run(request))),
  );
  if (!result.committed) {
    if ('lost' in result) lose(result.lost);
    else post({ type: 'failed', ids, error: serialized(result.error) });
    return;
  }
  const outcomes = result.outcomes.map(
    (outcome): WriteOutcome =>
      outcome.ok ? outcome : { ok: false, error: serialized(outcome.error) },
  );
  let start = 0;
  const committed: Committed = {
    ids,
    outcomes: batches.map((batch) => {
      const end = start + batch.writes.length;
      const own = outcomes.slice(start, end);
      start = end;
      return own;
    }),
  };
  if (wal === undefined) {
    post({ type: 'committed', ...committed });
    return;
  }
  unsynced.push(committed);
  startSync(wal);
}

/** After the messages that came in this turn: they all go into the next transaction. */
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(commitWaiting);
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    // The parent closes only once every batch was answered.
    wal?.close();
    db.close();
    port.close();
    return;
  }
  if (lost) return;
  waiting.push(message);
  schedule();
});
