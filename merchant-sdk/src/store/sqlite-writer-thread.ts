/**
 * The merchant store's writer thread (entry module; ./sqlite-writer.ts starts it and says
 * why): its own connection at `synchronous=FULL`, one transaction per batch, each write inside
 * its own SAVEPOINT. A batch is answered once its COMMIT returned, so on disk. SQLite's own
 * checkpoints run in that COMMIT, on this thread too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sharedTransaction } from '@farthing/server-runtime/sqlite-group-commit';
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
const transaction = sharedTransaction(db);

function serialized(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
  }
  return { name: 'Error', message: String(error) };
}

function commitBatch(batch: ToWriter & { type: 'batch' }): FromWriter {
  const result = transaction(batch.writes.map((request) => () => writes.run(request)));
  if (result.committed) {
    const outcomes = result.outcomes.map(
      (outcome): WriteOutcome =>
        outcome.ok ? outcome : { ok: false, error: serialized(outcome.error) },
    );
    return { type: 'committed', outcomes };
  }
  if ('lost' in result) return { type: 'lost', error: serialized(result.lost) };
  return { type: 'failed', error: serialized(result.error) };
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    db.close();
    port.close();
    return;
  }
  port.postMessage(commitBatch(message));
});
