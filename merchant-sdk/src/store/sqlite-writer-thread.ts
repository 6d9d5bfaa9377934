/**
 * The merchant store's writer thread (entry module; ./sqlite-writer.ts starts it and says
 * why): its own connection at `synchronous=FULL`, one transaction per batch, each write inside
 * its own SAVEPOINT. A batch is answered once its COMMIT returned, so on disk. SQLite's own
 * checkpoints run in that COMMIT, on this thread too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection } from './sqlite-schema.ts';
import type {
  FromWriter,
  SerializedError,
  ToWriter,
  WriteOutcome,
  WriterOptions,
} from './sqlite-writer.ts';
import { SqliteWrites } from './sqlite-writes.ts';

const port = parentPort!;
const db = openConnection((workerData as WriterOptions).path);
const writes = new SqliteWrites(db);
const sql = {
  begin: db.prepare('BEGIN IMMEDIATE'),
  commit: db.prepare('COMMIT'),
  savepoint: db.prepare('SAVEPOINT write'),
  release: db.prepare('RELEASE write'),
  undo: db.prepare('ROLLBACK TO write'),
};

function serialized(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
  }
  return { name: 'Error', message: String(error) };
}

function commitBatch(requests: ToWriter & { type: 'batch' }): FromWriter {
  const outcomes: WriteOutcome[] = [];
  try {
    sql.begin.run();
    for (const request of requests.writes) {
      sql.savepoint.run();
      try {
        const value = writes.run(request);
        sql.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        sql.undo.run();
        sql.release.run();
        outcomes.push({ ok: false, error: serialized(error) });
      }
    }
    sql.commit.run();
  } catch (error) {
    // The transaction itself failed (disk full, I/O error): nothing of this batch happened.
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
    } catch (rollbackError) {
      return { type: 'lost', error: serialized(rollbackError) };
    }
    return { type: 'failed', error: serialized(error) };
  }
  return { type: 'committed', outcomes };
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    db.close();
    port.close();
    return;
  }
  port.postMessage(commitBatch(message));
});
