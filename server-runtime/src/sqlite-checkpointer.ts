/**
 * WAL checkpoints on a thread of their own, so the event loop's COMMIT only appends frames.
 *
 * SQLite checkpoints inside COMMIT once the WAL holds `wal_autocheckpoint` pages: the
 * committing connection copies the WAL's pages into the database file and, at
 * `synchronous=NORMAL`, fsyncs the WAL before and the database file after. With every write
 * of a server on one connection on the event loop (`./sqlite-group-commit.ts`), that copy and
 * both fsyncs stall every request. Measured on the merchant store's PayWord writes (groups of
 * ten payments, one connection): 23 µs per payment in COMMIT with SQLite's own checkpoints,
 * 14 µs with them on this thread.
 *
 * - A worker thread opens its own connection to the same file and runs
 *   `PRAGMA wal_checkpoint(PASSIVE)` soon after commits (`committed`), again while commits
 *   keep coming, and never while none do. PASSIVE waits for no reader or writer; SQLite still
 *   syncs the WAL before copying and the database after, on that thread.
 * - The WAL starts over from its beginning at the first write after a checkpoint that copied
 *   everything. Under unbroken load the writer may always be a frame ahead, so the event
 *   loop's connection keeps an automatic checkpoint at `fallbackPages`: by then the thread has
 *   copied all but the last frames, the remainder is small, and the WAL restarts. That also
 *   bounds the WAL if the thread stops: then the connection goes back to SQLite's default.
 * - Crash safety is SQLite's own: a checkpoint from another connection is the ordinary case.
 */
import { realpathSync } from 'node:fs';
import type {
  CheckpointThreadData,
  FromCheckpointThread,
  ToCheckpointThread,
} from './sqlite-checkpointer-thread.ts';
import { moduleBeside, typeScriptWorker } from './typescript-worker.ts';

/** What this needs of a better-sqlite3 connection (no dependency on the package itself). */
export interface CheckpointedConnection {
  /** The database file's path. */
  readonly name: string;
  pragma(source: string, options?: { simple: boolean }): unknown;
}

export interface CheckpointerOptions {
  /** The driver's module the thread loads: `require.resolve('better-sqlite3')` of the caller. */
  readonly driver: string;
  /** WAL pages at which the event loop's connection checkpoints anyway (default 4,000). */
  readonly fallbackPages?: number;
  /** Time between passes while commits keep coming (default 10 ms). */
  readonly intervalMs?: number;
  /** The thread's nice value on Linux (default 5): it must not take a core from the event loop. */
  readonly nice?: number;
  /** Told once when the thread fails; checkpoints then happen in COMMIT again. */
  readonly onError?: (error: unknown) => void;
}

export interface CheckpointerStats {
  /** Checkpoint passes the thread ran. */
  passes: number;
  /** The WAL's frames at the end of the last pass, and how many of them were in the file. */
  walFrames: number;
  checkpointedFrames: number;
}

export interface Checkpointer {
  /** Says a transaction committed: a pass follows soon. Costs the caller next to nothing. */
  committed(): void;
  readonly stats: Readonly<CheckpointerStats>;
  /** Whether the thread failed (SQLite checkpoints in COMMIT again). */
  readonly failed: boolean;
  /** Waits for the pass in flight, then ends the thread and its connection. */
  close(): Promise<void>;
}

/** SQLite's default `wal_autocheckpoint`, restored when the thread fails. */
const sqliteDefaultAutocheckpoint = 1000;

const entry = moduleBeside(import.meta.url, 'sqlite-checkpointer-thread');

/**
 * Moves `db`'s WAL checkpoints to a thread of their own (module comment). `db` must be in WAL
 * mode, on a file.
 */
export function backgroundCheckpointer(
  db: CheckpointedConnection,
  options: CheckpointerOptions,
): Checkpointer {
  const intervalMs = options.intervalMs ?? 10;
  db.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 4000}`);
  const stats: CheckpointerStats = { passes: 0, walFrames: 0, checkpointedFrames: 0 };
  let failed = false;
  let closed = false;
  /** A pass asked for and not yet answered. */
  let passing = false;
  /** Commits since the pass in flight was asked for (or since the last one, when idle). */
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let whenPassed: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const worker = typeScriptWorker(entry, {
    workerData: {
      driver: options.driver,
      path: realpathSync(db.name),
      nice: options.nice ?? 5,
    } satisfies CheckpointThreadData,
    name: 'farthing-sqlite-checkpoint',
  });
  const send = (message: ToCheckpointThread) => worker.postMessage(message);
  worker.unref();

  const fail = (error: unknown) => {
    if (failed || closed) return;
    failed = true;
    passing = false;
    if (timer !== undefined) clearTimeout(timer);
    try {
      db.pragma(`wal_autocheckpoint = ${sqliteDefaultAutocheckpoint}`);
    } catch {
      // the connection is closing
    }
    whenPassed?.();
    options.onError?.(error);
  };

  const ask = () => {
    timer = undefined;
    if (failed || closed || passing) return;
    passing = true;
    dirty = false;
    worker.ref();
    send('pass');
  };

  worker.on('message', (answer: FromCheckpointThread) => {
    passing = false;
    worker.unref();
    if ('error' in answer) {
      fail(new Error(answer.error));
      return;
    }
    stats.passes++;
    stats.walFrames = answer.log;
    stats.checkpointedFrames = answer.checkpointed;
    whenPassed?.();
    if (dirty && !closed) timer = setTimeout(ask, intervalMs).unref();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!closed) fail(new Error(`the checkpoint thread stopped (exit code ${code})`));
  });

  return {
    committed() {
      if (failed || closed) return;
      dirty = true;
      if (!passing && timer === undefined) timer = setTimeout(ask, intervalMs).unref();
    },
    get stats() {
      return { ...stats };
    },
    get failed() {
      return failed;
    },
    close() {
      closing ??= (async () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (passing) await new Promise<void>((resolve) => (whenPassed = resolve));
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        if (failed) {
          await worker.terminate();
          return;
        }
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.ref(); // the process waits for the thread's connection to close
        send('close');
        await exited;
      })();
      return closing;
    },
  };
}
