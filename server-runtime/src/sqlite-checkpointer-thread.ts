/**
 * The checkpoint thread (entry module; ./sqlite-checkpointer.ts starts it and says why): its
 * own connection to the server's database file, one `PRAGMA wal_checkpoint(PASSIVE)` per
 * `pass` asked for.
 *
 * Both ends of the message contract below are this package's code in one process, so the
 * messages are trusted as typed.
 */
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

/** What the thread is started with. */
export interface CheckpointThreadData {
  /** The driver's module (`require.resolve('better-sqlite3')` of the caller). */
  readonly driver: string;
  /** The database file, its real path. */
  readonly path: string;
  /** The thread's nice value on Linux. */
  readonly nice: number;
}

export type ToCheckpointThread = 'pass' | 'close';

/** After a pass: the WAL's frames and how many of them are in the database file. */
export type FromCheckpointThread =
  | { readonly log: number; readonly checkpointed: number }
  | { readonly error: string };

/** What the thread needs of the driver: a better-sqlite3 `Database` constructor. */
type Driver = new (
  path: string,
  options: { readonly fileMustExist: boolean },
) => {
  pragma(source: string): unknown;
  close(): void;
};

const port = parentPort!;
const data = workerData as CheckpointThreadData;
const post = (message: FromCheckpointThread) => port.postMessage(message);

if (process.platform === 'linux') {
  try {
    setPriority(0, data.nice);
  } catch {
    // a sandbox may refuse it: then the thread runs at the server's priority
  }
}

const Database = createRequire(import.meta.url)(data.driver) as Driver;
const db = new Database(data.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');

port.on('message', (message: ToCheckpointThread) => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as [
      { readonly log: number; readonly checkpointed: number },
    ];
    post({ log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    post({ error: String(error) });
  }
});
