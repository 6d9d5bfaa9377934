/**
 * The store's writer thread (entry module; sqlite-writer.ts starts it): its own connection to
 * the database, the writes that arrive while a commit waits for the disk queued for the next
 * one. The fsync of `synchronous=FULL` blocks this thread, not the event loop serving pages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CommitStats, commitGroup, type WriteOutcome } from './group-commit.ts';
import { openConnection } from './sqlite-schema.ts';
import type { FromWriter, ToWriter, WriterOptions } from './sqlite-writer.ts';
import { SqliteWrites, type WriteRequest } from './sqlite-writes.ts';

const port = parentPort!;
const options = workerData as WriterOptions;
const db = openConnection(options.path);
const writes = new SqliteWrites(db);
const stats: CommitStats = { commits: 0, writes: 0, largestGroup: 0 };
const queue: { id: number; request: WriteRequest }[] = [];
let scheduled = false;

function serializeError(error: unknown): { name: string; message: string; code?: unknown } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
  }
  return { name: 'Error', message: String(error) };
}

function drain(): void {
  scheduled = false;
  while (queue.length > 0) {
    const group = queue.splice(0, options.grouped ? options.maxBatch : 1);
    let outcomes: WriteOutcome[];
    try {
      outcomes = commitGroup(
        db,
        group.map(
          ({ request }) =>
            () =>
              writes.run(request),
        ),
        stats,
      );
    } catch (error) {
      outcomes = group.map(() => ({ ok: false, error }));
    }
    const message: FromWriter = {
      type: 'done',
      results: group.map(({ id }, index) => {
        const outcome = outcomes[index]!;
        return outcome.ok
          ? { id, ok: true, value: outcome.value }
          : { id, ok: false, error: serializeError(outcome.error) };
      }),
      stats: { ...stats },
    };
    port.postMessage(message);
  }
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    drain();
    db.close();
    port.postMessage({ type: 'closed' } satisfies FromWriter);
    port.close();
    return;
  }
  queue.push(...message.writes);
  if (!scheduled) {
    scheduled = true;
    // Let every message already delivered join this commit.
    setImmediate(drain);
  }
});
