import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amount } from '@farthing/protocol/amount';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMerchantStore } from './sqlite.ts';
import type { PaymentRecord } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-merchant-writer-'));
  dirs.push(dir);
  return join(dir, 'merchant.db');
}

const bytes = (fill: number) => new Uint8Array(32).fill(fill);

function payment(fill: number): PaymentRecord {
  return {
    credentialId: bytes(fill),
    instrument: 'ecash',
    offerHash: bytes(0x0f),
    resource: `/articles/${fill}`,
    amount: amount('EUR', 5),
    paidAt: 1000,
    unsignedReceipt: '{"receipt":1}',
    grantToken: `grant-${fill}`,
    grantExpiresAt: 2000,
  };
}

describe('the writer thread (commits synced apart from their SQL)', () => {
  it('answers a read only after the writes it may have seen are answered as durable', async () => {
    const store = new SqliteMerchantStore({ path: sqlitePath() });
    const answered = new Set<number>();
    const written = Array.from({ length: 40 }, (_, i) =>
      store.recordEcashPayment(payment(i + 1)).then(() => answered.add(i + 1)),
    );
    // Reads while the batches commit and sync: a payment a read finds was answered first.
    const seen: number[] = [];
    while (answered.size < 40) {
      // A turn for the writes to be sent and answered.
      await new Promise((resolve) => setImmediate(resolve));
      for (let fill = 1; fill <= 40; fill++) {
        if (seen.includes(fill)) continue;
        const found = await store.findPayment(bytes(fill));
        if (found !== undefined) {
          expect(answered.has(fill)).toBe(true);
          seen.push(fill);
        }
      }
    }
    await Promise.all(written);
    await store.close();
  });

  it('keeps every answered write of many batches across a reopen', async () => {
    const path = sqlitePath();
    const store = new SqliteMerchantStore({ path });
    const writes: Promise<unknown>[] = [];
    // Writes spread over many turns, so several batches are on the thread and syncing at once.
    for (let turn = 0; turn < 30; turn++) {
      for (let i = 0; i < 5; i++) writes.push(store.recordEcashPayment(payment(turn * 5 + i + 1)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    const { commits, writes: committed } = store.commitStats;
    expect(committed).toBe(150);
    expect(commits).toBeGreaterThan(1);
    await store.close();
    const reopened = new SqliteMerchantStore({ path });
    for (let fill = 1; fill <= 150; fill++) {
      expect(await reopened.findPayment(bytes(fill))).toMatchObject({
        resource: `/articles/${fill}`,
      });
    }
    await reopened.close();
  });

  it('refuses reads and writes once closed, after answering what was sent', async () => {
    const store = new SqliteMerchantStore({ path: sqlitePath() });
    const write = store.recordEcashPayment(payment(1));
    await store.close();
    await expect(write).resolves.toMatchObject({ resource: '/articles/1' });
    await expect(store.findPayment(bytes(1))).rejects.toThrow(/closed/);
  });
});
