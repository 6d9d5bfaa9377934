import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DeliveryLog,
  MemoryDeliveryLog,
  merchantDeliveryLog,
  SqliteDeliveryLog,
} from './deliveries.ts';

const dir = mkdtempSync(join(tmpdir(), 'farthing-deliveries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const logs: Record<string, () => DeliveryLog> = {
  memory: () => new MemoryDeliveryLog(),
  sqlite: () => new SqliteDeliveryLog(join(dir, `deliveries-${++files}.db`)),
};

describe.each(Object.keys(logs))('the %s delivery log', (kind) => {
  it('knows nothing of a grant no request used', async () => {
    const log = logs[kind]!();
    expect(await log.get('grant-a')).toBeUndefined();
    expect(log.isRefunded('grant-a')).toBe(false);
    log.close();
  });

  it('counts failed answers until one delivers, and keeps the first delivery time', async () => {
    const log = logs[kind]!();
    await log.answered('grant-a', 500, 1_000);
    await log.answered('grant-a', 503, 2_000);
    expect(await log.get('grant-a')).toMatchObject({
      servedAt: undefined,
      failures: 2,
      lastFailureAt: 2_000,
      lastStatus: 503,
    });
    await log.answered('grant-a', 200, 3_000);
    await log.answered('grant-a', 304, 4_000);
    expect(await log.get('grant-a')).toMatchObject({ servedAt: 3_000, failures: 2 });
    // Another grant is another payer.
    expect(await log.get('grant-b')).toBeUndefined();
    log.close();
  });

  it('counts a 404 of the application as not delivered', async () => {
    const log = logs[kind]!();
    await log.answered('grant-a', 404, 1_000);
    expect(await log.get('grant-a')).toMatchObject({ servedAt: undefined, failures: 1 });
    log.close();
  });

  it('marks a grant refunded once, keeping the first time', async () => {
    const log = logs[kind]!();
    await log.answered('grant-a', 502, 1_000);
    await log.refunded('grant-a', 5_000);
    await log.refunded('grant-a', 9_000);
    expect(log.isRefunded('grant-a')).toBe(true);
    expect(await log.get('grant-a')).toMatchObject({ refundedAt: 5_000, failures: 1 });
    log.close();
  });
});

describe('the in-process delivery log', () => {
  it('forgets the oldest grants past its bound, never the latest', async () => {
    const log = new MemoryDeliveryLog(2);
    await log.answered('first', 200, 1);
    await log.answered('second', 200, 2);
    await log.answered('first', 500, 3); // used again: now the latest
    await log.answered('third', 200, 4);
    expect(await log.get('second')).toBeUndefined();
    expect(await log.get('first')).toMatchObject({ servedAt: 1, failures: 1 });
    expect(await log.get('third')).toMatchObject({ servedAt: 4 });
  });
});

describe('the SQLite delivery log', () => {
  it('remembers deliveries and refunds after the process restarts', async () => {
    const path = join(dir, 'restart.db');
    const first = merchantDeliveryLog({ storePath: path });
    await first.log.answered('served', 200, 1_000);
    await first.log.answered('failed', 500, 2_000);
    await first.log.refunded('failed', 3_000);
    first.close();
    const again = new SqliteDeliveryLog(path);
    expect(await again.get('served')).toMatchObject({ servedAt: 1_000, failures: 0 });
    expect(await again.get('failed')).toMatchObject({ servedAt: undefined, refundedAt: 3_000 });
    expect(again.isRefunded('failed')).toBe(true);
    again.close();
  });

  it('writes answers after the turn that reported them, one transaction for the turn', async () => {
    const path = join(dir, 'after-the-turn.db');
    const log = new SqliteDeliveryLog(path);
    // Reported as the Hono adapter does, before the server writes the page: not awaited.
    const written = [
      log.answered('a', 200, 1_000),
      log.answered('b', 200, 1_001),
      log.answered('c', 503, 1_002),
    ];
    expect(written[1]).toBe(written[0]);
    expect(written[2]).toBe(written[0]);
    // Nothing on disk yet: another connection to the file sees none of them.
    expect(countRows(path)).toBe(0);
    await written[0];
    expect(countRows(path)).toBe(3);
    log.close();
  });

  it('lets no read pass an answer still queued, and writes the queue when closed', async () => {
    const path = join(dir, 'queued.db');
    const log = new SqliteDeliveryLog(path);
    void log.answered('read-at-once', 200, 1_000);
    // A refund request reading at once still sees the content as served.
    expect(await log.get('read-at-once')).toMatchObject({ servedAt: 1_000 });
    void log.answered('closed-at-once', 200, 2_000);
    log.close();
    const again = new SqliteDeliveryLog(path);
    expect(await again.get('closed-at-once')).toMatchObject({ servedAt: 2_000 });
    again.close();
  });
});

function countRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
