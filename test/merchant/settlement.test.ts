import { balanceOf } from '@farthing/bank/bank.fixture';
import type { MerchantConfig } from '@farthing/merchant-sdk/server/config';
import { createMerchant, type Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { amount } from '@farthing/protocol/amount';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  bankFetch,
  offerOf,
  openShop,
  openShopWorld,
  type PaywordWallet,
  payRequest,
  paywordCredential,
  paywordWallet,
  type ShopWorld,
} from './merchant.fixture.ts';

/** How `vi.waitUntil` polls here. */
const polling = { timeout: 5_000, interval: 5 };

let world: ShopWorld;
let counter = 0;

beforeAll(async () => {
  world = await openShopWorld();
});
afterAll(() => world.close());

const shopBalance = () => balanceOf(world.bank, 'shop');

/** A fresh merchant (its own store) over the shared bank. */
function shop(overrides: Partial<MerchantConfig> = {}): Merchant {
  return openShop(world, new MemoryMerchantStore(), overrides);
}

async function click(merchant: Merchant, wallet: PaywordWallet, index: number, firstUse = false) {
  const offer = await offerOf(merchant, `/articles/s${++counter}`);
  const response = await merchant.pay(
    payRequest(paywordCredential(offer, wallet, index, firstUse)),
  );
  expect(response.status).toBe(200);
}

describe('PayWord settlement', () => {
  it('redeems what was accepted, incrementally, and records the history', async () => {
    const merchant = shop();
    const [a, b] = [await paywordWallet(world), await paywordWallet(world)];
    await click(merchant, a, 5, true);
    await click(merchant, a, 10);
    await click(merchant, b, 5, true);
    const before = await shopBalance();
    const status = await merchant.settlementStatus();
    expect(status.totals).toEqual([
      {
        currency: 'EUR',
        accepted: amount('EUR', 15),
        redeemed: amount('EUR', 0),
        inFlight: amount('EUR', 0),
        owed: amount('EUR', 15),
        refused: amount('EUR', 0),
      },
    ]);

    const run = await merchant.settle();
    expect(run.retrying).toBe(0);
    expect(run.answered.map((batch) => batch.status)).toEqual(['settled']);
    expect(await shopBalance()).toBe(before + 15);
    expect((await merchant.settlementStatus()).totals[0]).toMatchObject({
      redeemed: amount('EUR', 15),
      owed: amount('EUR', 0),
    });

    // Later clicks are owed the difference only.
    await click(merchant, a, 15);
    const second = await merchant.settle();
    expect(second.answered).toHaveLength(1);
    expect(await shopBalance()).toBe(before + 20);
    const history = await merchant.settlementHistory();
    expect(history.map((batch) => [batch.status, batch.items.length, batch.paid])).toEqual([
      ['settled', 1, [amount('EUR', 5)]],
      ['settled', 2, [amount('EUR', 15)]],
    ]);
    expect(history[0]?.items[0]).toMatchObject({ index: 15, outcome: 'redeemed' });
    // Nothing owed: nothing sent.
    expect((await merchant.settle()).answered).toEqual([]);
  });

  it('sends at most the batch size per request', async () => {
    const store = new MemoryMerchantStore();
    const merchant = createMerchant(world.config(store), { settlement: { batchSize: 1 } });
    await click(merchant, await paywordWallet(world), 5, true);
    await click(merchant, await paywordWallet(world), 5, true);
    const run = await merchant.settle();
    expect(run.answered.map((batch) => batch.items.length)).toEqual([1, 1]);
  });

  it('pays once when the answer to a batch was lost, sending it again under the same key', async () => {
    const keys: string[] = [];
    let loseNext = true;
    const inner = bankFetch(world.bank);
    const flaky: typeof fetch = async (input, init) => {
      const response = await inner(input, init);
      if (String(input).endsWith('/v1/broker/redemptions')) {
        keys.push(new Headers(init?.headers).get('idempotency-key')!);
        if (loseNext) {
          loseNext = false;
          throw new TypeError('fetch failed: connection reset'); // the bank did the work
        }
      }
      return response;
    };
    const merchant = shop({ fetch: flaky });
    await click(merchant, await paywordWallet(world), 5, true);
    const before = await shopBalance();
    const lost = await merchant.settle();
    expect(lost).toMatchObject({ answered: [], retrying: 1 });
    expect(await shopBalance()).toBe(before + 5);
    const status = await merchant.settlementStatus();
    expect(status.totals[0]).toMatchObject({ inFlight: amount('EUR', 5), owed: amount('EUR', 0) });
    const [inFlight] = await merchant.settlementHistory();
    expect(inFlight).toMatchObject({
      status: 'in_flight',
      attempts: 1,
      lastError: 'bank_unavailable',
    });

    const retried = await merchant.settle();
    expect(retried.answered.map((batch) => batch.status)).toEqual(['settled']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await shopBalance()).toBe(before + 5);
  });

  it('closes a batch the broker refuses whole, and puts its chains in the next one', async () => {
    let refuse = true;
    const inner = bankFetch(world.bank);
    const picky: typeof fetch = async (input, init) => {
      if (refuse && String(input).endsWith('/v1/broker/redemptions')) {
        const problem = {
          type: 'urn:farthing:problem:invalid_message',
          code: 'invalid_message',
          status: 400,
          title: 'Malformed message',
          detail: 'no',
        };
        return new Response(JSON.stringify(problem), {
          status: 400,
          headers: { 'content-type': 'application/problem+json' },
        });
      }
      return inner(input, init);
    };
    const merchant = shop({ fetch: picky });
    await click(merchant, await paywordWallet(world), 5, true);
    const failed = await merchant.settle();
    expect(failed.answered.map((batch) => [batch.status, batch.lastError])).toEqual([
      ['failed', 'bank_unavailable: invalid_message'],
    ]);
    refuse = false;
    const before = await shopBalance();
    expect((await merchant.settle()).answered.map((batch) => batch.status)).toEqual(['settled']);
    expect(await shopBalance()).toBe(before + 5);
  });

  it('keeps a chain the broker refused for now, and stops a chain it refused for good', async () => {
    let problem = { code: 'internal', status: 500 };
    let answering = true;
    const inner = bankFetch(world.bank);
    const broker: typeof fetch = async (input, init) => {
      if (answering && String(input).endsWith('/v1/broker/redemptions')) {
        const body = {
          redemptions: [{ commitmentId: 'x', status: 'rejected', problem }],
          paid: 'EUR 0.00',
        };
        return new Response(JSON.stringify(body), {
          headers: { 'content-type': 'application/json' },
        });
      }
      return inner(input, init);
    };
    const merchant = shop({ fetch: broker });
    const wallet = await paywordWallet(world);
    await click(merchant, wallet, 5, true);
    // A refusal that may pass: one batch per run (no loop), the chain stays owed.
    const first = await merchant.settle();
    expect(first.answered.map((batch) => batch.items[0]?.problemCode)).toEqual(['internal']);
    expect((await merchant.settlementStatus()).chains[0]).toMatchObject({
      status: 'open',
      owed: amount('EUR', 5),
    });
    // A refusal for good: the chain is closed, and its further words are refused.
    problem = { code: 'payword_over_limit', status: 402 };
    await merchant.settle();
    expect((await merchant.settlementStatus()).totals[0]).toMatchObject({
      refused: amount('EUR', 5),
      owed: amount('EUR', 0),
    });
    const offer = await offerOf(merchant, '/articles/after');
    const refused = await merchant.pay(payRequest(paywordCredential(offer, wallet, 10, false)));
    expect(await refused.json()).toMatchObject({ code: 'payword_over_limit' });
    answering = false;
    expect((await merchant.settle()).answered).toEqual([]);
  });

  it('sends a batch left in flight by a crash before anything else', async () => {
    const store = new MemoryMerchantStore();
    const merchant = openShop(world, store);
    await click(merchant, await paywordWallet(world), 5, true);
    // As if the process died right after writing the batch.
    await store.openSettlementBatch({
      batchId: 'crashed',
      idempotencyKey: 'farthing-settle-crashed',
      now: 0,
      limit: 256,
    });
    const before = await shopBalance();
    const run = await merchant.settle();
    expect(run.answered.map((batch) => batch.batchId)).toEqual(['crashed']);
    expect(await shopBalance()).toBe(before + 5);
  });

  it('runs on a schedule and backs off while the bank is unreachable', async () => {
    let down = true;
    let calls = 0;
    const inner = bankFetch(world.bank);
    const unreliable: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/v1/broker/redemptions')) {
        calls++;
        if (down) throw new TypeError('fetch failed: ECONNREFUSED');
      }
      return inner(input, init);
    };
    const store = new MemoryMerchantStore();
    const merchant = createMerchant(world.config(store, { fetch: unreliable }), {
      settlement: { retryBaseMs: 60_000 },
    });
    await click(merchant, await paywordWallet(world), 5, true);
    const schedule = merchant.startSettlement({ intervalMs: 10 });
    await vi.waitUntil(() => calls >= 1, polling);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // The bank clock does not move: the one-minute backoff holds the retry.
    expect(calls).toBe(1);
    down = false;
    world.bank.clock.now += 61_000;
    await vi.waitUntil(
      async () => (await merchant.settlementHistory())[0]?.status === 'settled',
      polling,
    );
    await schedule.stop();
    await merchant.close();
    expect(calls).toBe(2);
  });
});
