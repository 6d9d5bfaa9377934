/**
 * The store contract, pinned once for every backend: one suite run against the memory, SQLite
 * and PostgreSQL stores (SQLite in each writer mode), then what only SQLite does. Longer than 400
 * lines because it is that one suite; splitting it per backend would copy the contract.
 */
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hmacAccessGrantKey, issueAccessGrant } from '@farthing/protocol/access-grant';
import { amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import { StorageLostError } from '@farthing/server-runtime/sqlite-group-commit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMerchantStore } from './memory.ts';
import { PostgresMerchantStore } from './postgres.ts';
import { SqliteMerchantStore } from './sqlite.ts';
import { SqliteWriterThread } from './sqlite-writer.ts';
import type { MerchantStore, NewPaywordChain, PaymentRecord } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-merchant-store-'));
  dirs.push(dir);
  return join(dir, 'merchant.db');
}

// A throwaway PostgreSQL server for this file; each test gets a database of its own.
let cluster: PostgresCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);
afterAll(() => cluster?.stop(), 60_000);

const stores: [string, () => MerchantStore | Promise<MerchantStore>][] = [
  ['MemoryMerchantStore', () => new MemoryMerchantStore()],
  ['SqliteMerchantStore', () => new SqliteMerchantStore({ path: sqlitePath() })],
  [
    'SqliteMerchantStore writing on the event loop',
    () => new SqliteMerchantStore({ path: sqlitePath(), writer: 'event-loop' }),
  ],
  [
    'SqliteMerchantStore writing on the event loop with synchronous=FULL',
    () => new SqliteMerchantStore({ path: sqlitePath(), writer: 'event-loop', commitSync: 'full' }),
  ],
  [
    'PostgresMerchantStore',
    async () => PostgresMerchantStore.open({ url: await cluster!.createDatabase('merchant') }),
  ],
];

const bytes = (fill: number, length = 32) => new Uint8Array(length).fill(fill);

function chain(
  fill: number,
  createdAt = 1000,
  certificate = fill,
  creditLimit = 100,
): NewPaywordChain {
  return {
    certificateId: bytes(certificate),
    creditLimit: amount('EUR', creditLimit),
    commitmentId: bytes(fill),
    commitment: `{"id":${fill}}`,
    userId: 'carol',
    length: 100,
    valuePerWord: amount('EUR', 1),
    expiresAt: 10_000_000,
    lastWord: bytes(0xee),
    createdAt,
  };
}

function payment(fill: number, overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    credentialId: bytes(fill),
    instrument: 'payword',
    offerHash: bytes(0x0f),
    resource: '/articles/7',
    amount: amount('EUR', 5),
    paidAt: 1000,
    unsignedReceipt: '{"receipt":1}',
    grantToken: 'grant',
    grantExpiresAt: 2000,
    ...overrides,
  };
}

function advance(store: MerchantStore, fill: number, from: number, to: number, pay = 100 + to) {
  return store.recordPaywordPayment({
    ...(from === 0 ? { newChain: chain(fill) } : {}),
    commitmentId: bytes(fill),
    expectedLastIndex: from,
    lastIndex: to,
    lastWord: bytes(to),
    payment: payment(pay, { commitmentId: bytes(fill) }),
  });
}

/** A payment on chain `fill` of certificate 0xce (limit EUR 0.20), from index `from` to `to`. */
function underLimit(store: MerchantStore, fill: number, from: number, to: number, pay: number) {
  return store.recordPaywordPayment({
    ...(from === 0 ? { newChain: chain(fill, 1000, 0xce, 20) } : {}),
    commitmentId: bytes(fill),
    expectedLastIndex: from,
    lastIndex: to,
    lastWord: bytes(to),
    payment: payment(pay, { commitmentId: bytes(fill), amount: amount('EUR', to - from) }),
  });
}

describe.each(stores)('%s', (_, open) => {
  it('keeps the chains of one certificate within its credit limit, storing nothing past it', async () => {
    const store = await open();
    expect(await underLimit(store, 0x41, 0, 15, 1)).toBe('recorded');
    expect(await underLimit(store, 0x42, 0, 6, 2)).toBe('over_limit');
    expect(await store.findPaywordChain(bytes(0x42))).toBeUndefined();
    expect(await underLimit(store, 0x42, 0, 5, 3)).toBe('recorded');
    expect(await underLimit(store, 0x41, 15, 16, 4)).toBe('over_limit');
    // A retry of a stored payment is still answered as the duplicate it is.
    expect(await underLimit(store, 0x42, 0, 5, 3)).toBe('duplicate');
    expect(await store.findPaywordChain(bytes(0x41))).toMatchObject({
      lastIndex: 15,
      certificateId: bytes(0xce),
      creditLimit: amount('EUR', 20),
    });
    expect(await store.earnings()).toEqual([
      { instrument: 'payword', currency: 'EUR', total: 20, payments: 2 },
    ]);
    await store.close();
  });

  it('lets only one of two concurrent payments on two chains of one certificate pass its limit', async () => {
    const store = await open();
    const results = await Promise.all([
      underLimit(store, 0x51, 0, 20, 1),
      underLimit(store, 0x52, 0, 20, 2),
    ]);
    expect(results.sort()).toEqual(['over_limit', 'recorded']);
    await store.close();
  });

  it('takes nothing from the credit limit for a payment that lost its swap', async () => {
    const store = await open();
    expect(await underLimit(store, 0x61, 0, 10, 1)).toBe('recorded');
    // Read at index 0 again (another payment moved the chain meanwhile): refused, nothing taken.
    expect(
      await store.recordPaywordPayment({
        commitmentId: bytes(0x61),
        expectedLastIndex: 0,
        lastIndex: 4,
        lastWord: bytes(4),
        payment: payment(2, { commitmentId: bytes(0x61) }),
      }),
    ).toBe('conflict');
    expect(await underLimit(store, 0x62, 0, 10, 3)).toBe('recorded');
    expect(await underLimit(store, 0x61, 10, 11, 4)).toBe('over_limit');
    await store.close();
  });

  it('moves a chain forward only from the index it was read at', async () => {
    const store = await open();
    expect(await advance(store, 1, 0, 5)).toBe('recorded');
    expect(await advance(store, 1, 0, 5, 200)).toBe('conflict');
    expect(await advance(store, 1, 5, 10)).toBe('recorded');
    const stored = await store.findPaywordChain(bytes(1));
    expect(stored).toMatchObject({ lastIndex: 10, lastWord: bytes(10), redeemedIndex: 0 });
    await store.close();
  });

  it('no longer moves a chain the broker refused for good', async () => {
    const store = await open();
    expect(await advance(store, 9, 0, 5)).toBe('recorded');
    await store.openSettlementBatch({ batchId: 'b9', idempotencyKey: 'k9', now: 1, limit: 8 });
    await store.settleSettlementBatch('b9', 2, [
      { outcome: 'rejected', problemCode: 'forbidden', final: true },
    ]);
    expect(await advance(store, 9, 5, 10)).toBe('conflict');
    expect(await store.findPaywordChain(bytes(9))).toMatchObject({
      lastIndex: 5,
      status: 'rejected',
    });
    await store.close();
  });

  it('lets exactly one of two concurrent payments with the same words through', async () => {
    const store = await open();
    const results = await Promise.all([advance(store, 2, 0, 5, 1), advance(store, 2, 0, 5, 2)]);
    expect(results.sort()).toEqual(['conflict', 'recorded']);
    expect(await store.earnings()).toEqual([
      { instrument: 'payword', currency: 'EUR', total: 5, payments: 1 },
    ]);
    await store.close();
  });

  it('answers a stored credential id as a duplicate, changing nothing', async () => {
    const store = await open();
    await advance(store, 3, 0, 5, 7);
    expect(await advance(store, 3, 5, 10, 7)).toBe('duplicate');
    expect((await store.findPaywordChain(bytes(3)))?.lastIndex).toBe(5);
    await store.close();
  });

  it('stores an e-cash payment once and returns the first on a retry', async () => {
    const store = await open();
    const first = payment(9, { instrument: 'ecash', unsignedReceipt: 'first' });
    expect(await store.recordEcashPayment(first)).toEqual(first);
    const again = await store.recordEcashPayment({ ...first, unsignedReceipt: 'second' });
    expect(again.unsignedReceipt).toBe('first');
    expect(await store.findPayment(bytes(9))).toEqual(first);
    expect(await store.earnings()).toEqual([
      { instrument: 'ecash', currency: 'EUR', total: 5, payments: 1 },
    ]);
    await store.close();
  });

  it('finds a payment by its receipt id, and none for an unknown one', async () => {
    const store = await open();
    const receipt = (id: number) =>
      JSON.stringify({ receiptId: Buffer.from(bytes(id, 16)).toString('base64url') });
    const first = payment(11, { instrument: 'ecash', unsignedReceipt: receipt(11) });
    const second = payment(12, { instrument: 'ecash', unsignedReceipt: receipt(12) });
    await store.recordEcashPayment(first);
    await store.recordEcashPayment(second);
    expect(await store.findPaymentByReceipt(bytes(12, 16))).toEqual(second);
    expect(await store.findPaymentByReceipt(bytes(13, 16))).toBeUndefined();
    await store.close();
  });

  it('finds a payment by grant and by receipt through its credential id when both are its first bytes', async () => {
    const store = await open();
    const key = hmacAccessGrantKey(bytes(0x33));
    const receiptOf = (id: Uint8Array) => JSON.stringify({ receiptId: toBase64url(id) });
    const grantOf = (id: Uint8Array, issuedAt = 1000) =>
      issueAccessGrant(
        {
          merchantId: 'm',
          resource: '/articles/7',
          offerHash: bytes(0x0f),
          issuedAt,
          expiresAt: 2000,
          grantId: id,
        },
        key,
      ).token;
    const issued = (fill: number) =>
      payment(fill, {
        instrument: 'ecash',
        grantToken: grantOf(bytes(fill, 16)),
        unsignedReceipt: receiptOf(bytes(fill, 16)),
      });
    const [first, second] = [issued(21), issued(22)];
    // Stored before such ids (or made elsewhere): found through the older indexes.
    const older = payment(23, {
      instrument: 'ecash',
      grantToken: grantOf(bytes(0x77, 16)),
      unsignedReceipt: receiptOf(bytes(0x77, 16)),
    });
    for (const made of [first, second, older]) await store.recordEcashPayment(made);
    expect(await store.findPaymentByGrant(first.grantToken)).toEqual(first);
    expect(await store.findPaymentByGrant(second.grantToken)).toEqual(second);
    expect(await store.findPaymentByGrant(older.grantToken)).toEqual(older);
    expect(await store.findPaymentByReceipt(bytes(22, 16))).toEqual(second);
    expect(await store.findPaymentByReceipt(bytes(0x77, 16))).toEqual(older);
    // Another token with the same grant id is not that payment's grant.
    expect(await store.findPaymentByGrant(grantOf(bytes(21, 16), 1001))).toBeUndefined();
    expect(await store.findPaymentByGrant('not a grant')).toBeUndefined();
    expect(await store.findPaymentByReceipt(bytes(24, 16))).toBeUndefined();
    await store.close();
  });

  it('lists the payments of a resource whose grant still runs, oldest first', async () => {
    const store = await open();
    const old = payment(21, { instrument: 'ecash', resource: '/a', paidAt: 1, grantExpiresAt: 50 });
    const first = payment(22, {
      instrument: 'ecash',
      resource: '/a',
      paidAt: 2,
      grantExpiresAt: 500,
    });
    const second = payment(23, {
      instrument: 'ecash',
      resource: '/a',
      paidAt: 3,
      grantExpiresAt: 500,
    });
    const other = payment(24, {
      instrument: 'ecash',
      resource: '/b',
      paidAt: 4,
      grantExpiresAt: 500,
    });
    for (const p of [second, old, other, first]) await store.recordEcashPayment(p);
    expect(await store.paymentsWithGrant('/a', 100)).toEqual([first, second]);
    await store.close();
  });

  it('settles in batches: owed chains once, redeemed index forward, failures released', async () => {
    const store = await open();
    await advance(store, 4, 0, 3);
    await advance(store, 5, 0, 7);
    const batch = await store.openSettlementBatch({
      batchId: 'b1',
      idempotencyKey: 'k1',
      now: 5000,
      limit: 256,
    });
    expect(batch?.items.map((item) => [item.index, item.previousIndex, item.outcome])).toEqual([
      [3, 0, 'pending'],
      [7, 0, 'pending'],
    ]);
    // Chains in flight are not put in another batch.
    expect(
      await store.openSettlementBatch({
        batchId: 'b2',
        idempotencyKey: 'k2',
        now: 5001,
        limit: 256,
      }),
    ).toBeUndefined();
    await store.noteSettlementAttempt('b1', { attempts: 1, nextAttemptAt: 6000, error: 'x' });
    expect((await store.inFlightSettlementBatches())[0]).toMatchObject({
      attempts: 1,
      nextAttemptAt: 6000,
    });
    await advance(store, 4, 3, 4);
    await store.settleSettlementBatch('b1', 7000, [
      { outcome: 'redeemed', index: 3, paid: 3 },
      { outcome: 'rejected', problemCode: 'payword_over_limit', final: true },
    ]);
    const first = await store.findPaywordChain(bytes(4));
    const second = await store.findPaywordChain(bytes(5));
    expect(first).toMatchObject({ redeemedIndex: 3, lastIndex: 4, settlingBatchId: undefined });
    expect(second).toMatchObject({ status: 'rejected', rejectionCode: 'payword_over_limit' });
    const next = await store.openSettlementBatch({
      batchId: 'b3',
      idempotencyKey: 'k3',
      now: 8000,
      limit: 256,
    });
    expect(next?.items.map((item) => [item.index, item.previousIndex])).toEqual([[4, 3]]);
    await store.failSettlementBatch('b3', 9000, 'invalid_message');
    expect((await store.findPaywordChain(bytes(4)))?.settlingBatchId).toBeUndefined();
    expect((await store.getSettlementBatch('b1'))?.status).toBe('settled');
    expect(await store.getSettlementBatch('nope')).toBeUndefined();
    const history = await store.listSettlementBatches(10);
    expect(history.map((b) => [b.batchId, b.status])).toEqual([
      ['b3', 'failed'],
      ['b1', 'settled'],
    ]);
    expect(history[1]?.items.map((item) => [item.outcome, item.paid, item.problemCode])).toEqual([
      ['redeemed', 3, undefined],
      ['rejected', 0, 'payword_over_limit'],
    ]);
    await store.close();
  });

  it('limits a batch', async () => {
    const store = await open();
    for (let fill = 10; fill < 15; fill++) await advance(store, fill, 0, 1, fill);
    const batch = await store.openSettlementBatch({
      batchId: 'b',
      idempotencyKey: 'k',
      now: 1,
      limit: 2,
    });
    expect(batch?.items).toHaveLength(2);
    await store.close();
  });
});

describe('SqliteMerchantStore', () => {
  it('keeps everything across a reopen', async () => {
    const path = sqlitePath();
    const store = new SqliteMerchantStore({ path });
    await advance(store, 1, 0, 5);
    await store.close();
    const again = new SqliteMerchantStore({ path });
    expect((await again.findPaywordChain(bytes(1)))?.lastIndex).toBe(5);
    expect(await again.findPayment(bytes(105))).toMatchObject({ resource: '/articles/7' });
    await again.close();
  });

  it('finishes the writes in flight before closing', async () => {
    const path = sqlitePath();
    const store = new SqliteMerchantStore({ path });
    const written = advance(store, 3, 0, 5);
    await Promise.all([store.close(), store.close()]);
    expect(await written).toBe('recorded');
    const again = new SqliteMerchantStore({ path });
    expect((await again.findPaywordChain(bytes(3)))?.lastIndex).toBe(5);
    await again.close();
    await expect(advance(store, 3, 5, 10)).rejects.toThrow(/closed/);
  });

  it('shares one durable commit among the writes of one event-loop turn', async () => {
    const store = new SqliteMerchantStore({ path: sqlitePath() });
    await Promise.all(Array.from({ length: 50 }, (_, i) => advance(store, i + 1, 0, 1, i + 1)));
    expect(store.commitStats).toMatchObject({ writes: 50, commits: 1, largestGroup: 50, syncs: 1 });
    await store.close();
  });

  it('refuses to answer once its WAL is no longer the file it syncs', async () => {
    const path = sqlitePath();
    const store = new SqliteMerchantStore({ path, writer: 'event-loop' });
    await advance(store, 1, 0, 1);
    unlinkSync(`${path}-wal`);
    await expect(advance(store, 1, 1, 2, 2)).rejects.toThrow(/could not make writes durable/);
    await expect(store.findPaywordChain(bytes(1))).rejects.toThrow(/durable/);
    await store.close();
  });

  it('syncs the WAL beside the file a symlinked database path leads to', async () => {
    const path = sqlitePath();
    await new SqliteMerchantStore({ path }).close();
    const link = `${path}.link`;
    symlinkSync(path, link);
    for (const writer of ['thread', 'event-loop'] as const) {
      const store = new SqliteMerchantStore({ path: link, writer });
      const fill = writer === 'thread' ? 1 : 2;
      expect(await advance(store, fill, 0, 1, fill)).toBe('recorded');
      expect(store.commitStats).toMatchObject({ commits: 1, syncs: 1 });
      await store.close();
    }
  });

  it('lets COMMIT sync the WAL itself with commitSync: full', async () => {
    const path = sqlitePath();
    const store = new SqliteMerchantStore({ path, writer: 'event-loop', commitSync: 'full' });
    await Promise.all(Array.from({ length: 5 }, (_, i) => advance(store, i + 1, 0, 1, i + 1)));
    expect(store.commitStats).toMatchObject({ writes: 5, commits: 1, syncs: 0 });
    await store.close();
  });

  it('commits each write alone when grouping is off', async () => {
    for (const writer of ['thread', 'event-loop'] as const) {
      const store = new SqliteMerchantStore({ path: sqlitePath(), groupCommit: false, writer });
      await Promise.all(Array.from({ length: 5 }, (_, i) => advance(store, i + 1, 0, 1, i + 1)));
      expect(store.commitStats).toMatchObject({ writes: 5, commits: 5 });
      await store.close();
    }
  });

  it('batches the writes that queue up while the writer thread commits', async () => {
    const store = new SqliteMerchantStore({ path: sqlitePath() });
    const first = advance(store, 1, 0, 1);
    await new Promise((resolve) => setImmediate(resolve)); // the first batch is on the thread
    const rest = Array.from({ length: 20 }, (_, i) => advance(store, i + 2, 0, 1, i + 2));
    expect(await Promise.all([first, ...rest])).toEqual(Array(21).fill('recorded'));
    expect(store.commitStats).toMatchObject({ writes: 21, commits: 2, largestGroup: 20 });
    await store.close();
  });

  it('fails every write, now and later, once the writer thread is gone', async () => {
    // A thread whose connection cannot open its database stops at once.
    const writer = new SqliteWriterThread({
      path: join(tmpdir(), 'no-such-directory-farthing', 'merchant.db'),
      maxBatch: 512,
    });
    const write = () =>
      writer.run({ op: 'recordEcashPayment', payment: payment(1, { instrument: 'ecash' }) });
    await expect(write()).rejects.toThrow(StorageLostError);
    await expect(write()).rejects.toThrow(/writer thread failed/);
    await writer.close();
  });

  it('fails only the writes of a batch that cannot be sent to the thread', async () => {
    const store = new SqliteMerchantStore({ path: sqlitePath() });
    // Not copyable to the writer thread (a function inside): refused before anything is sent.
    const uncopyable = store.recordEcashPayment({
      ...payment(1, { instrument: 'ecash' }),
      toJSON: () => 'x',
    } as PaymentRecord);
    // Another write of the same batch goes on.
    const copyable = store.recordEcashPayment(payment(2, { instrument: 'ecash' }));
    await expect(uncopyable).rejects.toThrow(/could not be cloned/);
    await expect(copyable).resolves.toMatchObject({ resource: '/articles/7' });
    await expect(
      store.recordEcashPayment(payment(3, { instrument: 'ecash' })),
    ).resolves.toMatchObject({ resource: '/articles/7' });
    expect(await store.findPayment(bytes(1))).toBeUndefined();
    await store.close();
  });

  it('lets a second close wait for the first to finish', async () => {
    for (const writer of ['thread', 'event-loop'] as const) {
      const store = new SqliteMerchantStore({ path: sqlitePath(), writer });
      const written = store.recordEcashPayment(payment(1, { instrument: 'ecash' }));
      let firstClosed = false;
      const first = store.close().then(() => {
        firstClosed = true;
      });
      await store.close();
      expect(firstClosed).toBe(true);
      await first;
      await expect(written).resolves.toMatchObject({ resource: '/articles/7' });
    }
  });

  it('rolls back only the write that failed', async () => {
    const store = new SqliteMerchantStore({ path: sqlitePath() });
    const bad = store.recordEcashPayment(payment(1, { amount: { currency: 'EUR', minor: -1 } }));
    const good = store.recordEcashPayment(payment(2, { instrument: 'ecash' }));
    await expect(bad).rejects.toThrow(/CHECK constraint/);
    await expect(good).resolves.toMatchObject({ resource: '/articles/7' });
    expect(await store.findPayment(bytes(1))).toBeUndefined();
    await store.close();
  });
});
