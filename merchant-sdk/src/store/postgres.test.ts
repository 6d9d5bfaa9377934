/**
 * What `PostgresMerchantStore` adds to the store suite (store.test.ts runs that on it too):
 * several shop processes on one database, each with its own store and pool. Payments on one
 * chain at different processes swap once, settlement run by every process at once puts each
 * chain in one batch, and a broker's answer is recorded once.
 */
import { amount } from '@farthing/protocol/amount';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresMerchantStore } from './postgres.ts';
import type { NewPaywordChain, PaymentRecord } from './store.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);
afterAll(() => cluster?.stop(), 60_000);

const open: PostgresMerchantStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

/** `count` stores on one fresh database, as `count` shop processes would hold them. */
async function processes(count: number): Promise<PostgresMerchantStore[]> {
  const url = await cluster.createDatabase('merchant');
  const stores = await Promise.all(
    Array.from({ length: count }, () => PostgresMerchantStore.open({ url, poolSize: 4 })),
  );
  open.push(...stores);
  return stores;
}

const bytes = (fill: number) => new Uint8Array(32).fill(fill);

const chain = (fill: number): NewPaywordChain => ({
  certificateId: bytes(fill),
  creditLimit: amount('EUR', 1_000),
  commitmentId: bytes(fill),
  commitment: `{"id":${fill}}`,
  userId: 'carol',
  length: 100,
  valuePerWord: amount('EUR', 1),
  expiresAt: 10_000_000,
  lastWord: bytes(0xee),
  createdAt: 1_000 + fill,
});

const payment = (credential: number, commitment: number, minor: number): PaymentRecord => ({
  credentialId: bytes(credential),
  instrument: 'payword',
  offerHash: bytes(0x0f),
  resource: `/articles/${credential}`,
  amount: amount('EUR', minor),
  paidAt: 1_000,
  unsignedReceipt: `{"receipt":${credential}}`,
  grantToken: `grant-${credential}`,
  grantExpiresAt: 2_000,
  commitmentId: bytes(commitment),
});

describe('PostgresMerchantStore in several processes', () => {
  it('counts against the credit limit a chain moved by other code (a process of an older release)', async () => {
    const url = await cluster.createDatabase('merchant');
    const store = await PostgresMerchantStore.open({ url, poolSize: 2 });
    open.push(store);
    const limited = (fill: number): NewPaywordChain => ({
      ...chain(fill),
      certificateId: bytes(0xce),
      creditLimit: amount('EUR', 20),
    });
    const pay = (fill: number, from: number, to: number, credential: number) =>
      store.recordPaywordPayment({
        ...(from === 0 ? { newChain: limited(fill) } : {}),
        commitmentId: bytes(fill),
        expectedLastIndex: from,
        lastIndex: to,
        lastWord: bytes(to),
        payment: payment(credential, fill, to - from),
      });
    expect(await pay(0x61, 0, 5, 1)).toBe('recorded');
    expect(await pay(0x62, 0, 5, 2)).toBe('recorded');
    // Moved without this release's code, as the release before it would.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('UPDATE payword_chains SET last_index = 12 WHERE commitment_id = $1', [
        Buffer.from(bytes(0x62)),
      ]);
      const { rows } = await client.query('SELECT taken FROM payword_certificate_totals');
      expect(rows).toEqual([{ taken: '17' }]);
    } finally {
      await client.end();
    }
    expect(await pay(0x61, 5, 9, 3)).toBe('over_limit');
    expect(await pay(0x61, 5, 8, 4)).toBe('recorded');
  });

  it('moves a chain once when every process takes the same words at once', async () => {
    const stores = await processes(3);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % 3]!.recordPaywordPayment({
          newChain: chain(1),
          commitmentId: bytes(1),
          expectedLastIndex: 0,
          lastIndex: 5,
          lastWord: bytes(5),
          payment: payment(100 + i, 1, 5),
        }),
      ),
    );
    expect(results.filter((r) => r === 'recorded')).toHaveLength(1);
    expect(results.filter((r) => r === 'conflict')).toHaveLength(29);
    expect(await stores[2]!.earnings()).toEqual([
      { instrument: 'payword', currency: 'EUR', total: 5, payments: 1 },
    ]);
  });

  it('puts each owed chain in exactly one batch when every process settles at once', async () => {
    const stores = await processes(3);
    for (let fill = 1; fill <= 12; fill++) {
      await stores[fill % 3]!.recordPaywordPayment({
        newChain: chain(fill),
        commitmentId: bytes(fill),
        expectedLastIndex: 0,
        lastIndex: fill,
        lastWord: bytes(fill),
        payment: payment(fill, fill, fill),
      });
    }
    const batches = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        stores[i % 3]!.openSettlementBatch({
          batchId: `b${i}`,
          idempotencyKey: `k${i}`,
          now: 5_000,
          limit: 4,
        }),
      ),
    );
    const settled = batches.flatMap((batch) => batch?.items ?? []);
    const chains = settled.map((item) => item.commitmentId[0]).sort((a, b) => a! - b!);
    expect(chains).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Three processes record different answers for one batch at once: exactly one counts,
    // whole (recording two would leave a chain both redeemed and refused).
    const first = batches.find((batch) => batch !== undefined)!;
    const answers = [
      first.items.map((item) => ({
        outcome: 'redeemed' as const,
        index: item.index,
        paid: item.index,
      })),
      first.items.map(() => ({ outcome: 'rejected' as const, problemCode: 'late', final: false })),
      first.items.map(() => ({
        outcome: 'rejected' as const,
        problemCode: 'forbidden',
        final: true,
      })),
    ];
    await Promise.all(
      stores.map((store, i) => store.settleSettlementBatch(first.batchId, 6_000 + i, answers[i]!)),
    );
    const recorded = (await stores[0]!.getSettlementBatch(first.batchId))!;
    expect(recorded.status).toBe('settled');
    const winner = recorded.finishedAt! - 6_000;
    const chainsAfter = await Promise.all(
      first.items.map((item) => stores[1]!.findPaywordChain(item.commitmentId)),
    );
    for (const [position, item] of recorded.items.entries()) {
      const chainAfter = chainsAfter[position]!;
      expect(chainAfter.settlingBatchId).toBeUndefined();
      if (winner === 0) {
        expect(item).toMatchObject({ outcome: 'redeemed', paid: item.index });
        expect(chainAfter).toMatchObject({ redeemedIndex: item.index, status: 'open' });
      } else {
        const code = winner === 1 ? 'late' : 'forbidden';
        expect(item).toMatchObject({ outcome: 'rejected', problemCode: code, paid: 0 });
        expect(chainAfter).toMatchObject({
          redeemedIndex: 0,
          status: winner === 1 ? 'open' : 'rejected',
          rejectionCode: code,
        });
      }
    }
  });
});
