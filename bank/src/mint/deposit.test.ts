import { toBase64url } from '@farthing/protocol/encoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  balanceOf,
  day,
  expectProblem,
  expectStatus,
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '../bank.fixture.ts';
import { systemAccounts } from '../store/store.ts';
import type { DepositView } from './deposit.ts';
import {
  depositRequest,
  flipBase64url,
  permissionFor,
  type WalletCoin,
  withdrawCoins,
} from './mint.fixture.ts';

let bank: TestBank;
let alice: TestCustomer;
let shop: TestMerchant;
let other: TestMerchant;

beforeAll(async () => {
  bank = await openTestBank();
  alice = await openCustomer(bank, 'alice', 100_000);
  shop = await openMerchant(bank, 'demo-shop');
  other = await openMerchant(bank, 'other-shop');
});

afterAll(() => bank.close());

afterEach(async () => {
  const report = await bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
});

/** Balances of alice, the shop and the outstanding coins. */
async function books() {
  return {
    alice: await balanceOf(bank, 'alice'),
    shop: await balanceOf(bank, 'demo-shop'),
    coins: await balanceOf(bank, systemAccounts.coins),
  };
}

async function refused(coins: WalletCoin[], wire: unknown[], status: number, code: string) {
  const before = await books();
  const problem = await expectProblem(
    await bank.request('POST', '/v1/mint/deposits', { token: shop.apiKey, body: { coins: wire } }),
    status,
  );
  expect(problem.code).toBe(code);
  expect(await books()).toEqual(before);
  for (const coin of coins) {
    expect(await bank.store.getSpentCoin(coin.coin.coinPublicKey)).toBeUndefined();
  }
  return problem;
}

describe('POST /v1/mint/deposits', () => {
  it('credits the merchant exactly what the customer was debited', async () => {
    const start = await books();
    const coins = await withdrawCoins(bank, alice, [100, 20, 5]);
    const afterWithdrawal = await books();
    expect(afterWithdrawal.alice).toBe(start.alice - 125);
    expect(afterWithdrawal.coins).toBe(start.coins + 125);
    const view = await expectStatus<DepositView>(
      await depositRequest(
        bank,
        shop,
        coins.map((coin) => permissionFor(coin, shop)),
      ),
      200,
    );
    expect(view.total).toBe('EUR 1.25');
    expect(view.coins).toBe(3);
    expect(await books()).toEqual({
      alice: start.alice - 125,
      shop: start.shop + 125,
      coins: start.coins,
    });
  });

  it('deposits a batch of 16 coins in one transaction', async () => {
    const coins = await withdrawCoins(bank, alice, Array(16).fill(1));
    const before = await books();
    const view = await expectStatus<DepositView>(
      await depositRequest(
        bank,
        shop,
        coins.map((coin) => permissionFor(coin, shop)),
      ),
      200,
    );
    expect(view).toMatchObject({ total: 'EUR 0.16', coins: 16 });
    expect((await books()).shop).toBe(before.shop + 16);
  });

  it('answers a second spend with 409 and the proof of the first', async () => {
    const [coin] = await withdrawCoins(bank, alice, [50]);
    const first = permissionFor(coin!, shop);
    await expectStatus(await depositRequest(bank, shop, [first]), 200);
    const problem = await refused([], [permissionFor(coin!, shop)], 409, 'coin_already_spent');
    expect(problem.proof).toEqual(first);
    expect(problem.kind).toBe('deposit');
    expect(problem.index).toBe(undefined);
    // At another merchant too.
    const elsewhere = await bank.request('POST', '/v1/mint/deposits', {
      token: other.apiKey,
      body: { coins: [permissionFor(coin!, other)] },
    });
    expect((await expectProblem(elsewhere, 409)).proof).toEqual(first);
  });

  it('refuses a deposit whose later coin was spent, and spends none of its fresh coins', async () => {
    const [fresh, spent, last] = await withdrawCoins(bank, alice, [1, 2, 5]);
    const first = permissionFor(spent!, shop);
    await expectStatus(await depositRequest(bank, shop, [first]), 200);
    const wire = [fresh!, spent!, last!].map((coin) => permissionFor(coin, shop));
    const problem = await refused([fresh!, last!], wire, 409, 'coin_already_spent');
    expect(problem.proof).toEqual(first);
    expect(problem.coinPub).toBe(toBase64url(spent!.coin.coinPublicKey));
  });

  it('refuses a deposit’s coins handed in again beside fresh ones', async () => {
    const [one, two, fresh] = await withdrawCoins(bank, alice, [1, 1, 1]);
    const deposited = [one!, two!].map((coin) => permissionFor(coin, shop));
    const original = await expectStatus<DepositView>(
      await depositRequest(bank, shop, deposited),
      200,
    );
    for (const wire of [
      [permissionFor(fresh!, shop), ...deposited],
      [...deposited, permissionFor(fresh!, shop)],
    ]) {
      const problem = await refused([fresh!], wire, 409, 'coin_already_spent');
      expect(problem.depositId).toBe(original.depositId);
    }
  });

  it('accepts exactly one of 50 concurrent deposits of one coin', async () => {
    const [coin] = await withdrawCoins(bank, alice, [10]);
    const before = await books();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => depositRequest(bank, shop, [permissionFor(coin!, shop)])),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect((await response.json()).code).toBe('coin_already_spent');
    }
    expect((await books()).shop).toBe(before.shop + 10);
  });

  it('returns the original deposit when the same coins are handed in again', async () => {
    const coins = await withdrawCoins(bank, alice, [20, 2]);
    const wire = coins.map((coin) => permissionFor(coin, shop));
    const first = await expectStatus<DepositView>(
      await depositRequest(bank, shop, wire, { idempotencyKey: 'deposit-retry' }),
      200,
    );
    const before = await books();
    const retried = await depositRequest(bank, shop, wire, { idempotencyKey: 'deposit-retry' });
    expect(await expectStatus(retried, 200)).toEqual(first);
    // Without the key (a merchant that lost it): the coins themselves name the deposit.
    expect(await expectStatus(await depositRequest(bank, shop, wire), 200)).toEqual(first);
    expect(await books()).toEqual(before);
  });

  it('keeps the merchant’s own deposit id, and refuses it for other coins', async () => {
    const [one, two] = await withdrawCoins(bank, alice, [5, 5]);
    const view = await expectStatus<DepositView>(
      await depositRequest(bank, shop, [permissionFor(one!, shop)], { depositId: 'order-42' }),
      200,
    );
    expect(view.depositId).toBe('order-42');
    // Another merchant may use the same id for its own deposits.
    const [three] = await withdrawCoins(bank, alice, [5]);
    const theirs = await bank.request('POST', '/v1/mint/deposits', {
      token: other.apiKey,
      body: { depositId: 'order-42', coins: [permissionFor(three!, other)] },
    });
    expect((await expectStatus<DepositView>(theirs, 200)).depositId).toBe('order-42');
    const reused = await depositRequest(bank, shop, [permissionFor(two!, shop)], {
      depositId: 'order-42',
    });
    expect((await expectProblem(reused, 409)).code).toBe('conflict');
    expect(await bank.store.getSpentCoin(two!.coin.coinPublicKey)).toBeUndefined();
  });

  it('refuses a forged coin', async () => {
    const [coin] = await withdrawCoins(bank, alice, [100]);
    const wire = permissionFor(coin!, shop);
    const forged = {
      ...wire,
      coin: {
        ...wire.coin,
        denominationSignature: flipBase64url(wire.coin.denominationSignature, 128),
      },
    };
    const problem = await refused([coin!], [forged], 400, 'coin_invalid');
    expect(problem.index).toBe(0);
  });

  it('refuses a permission not signed by the coin', async () => {
    const [coin] = await withdrawCoins(bank, alice, [100]);
    const wire = permissionFor(coin!, shop);
    await refused(
      [coin!],
      [{ ...wire, signature: flipBase64url(wire.signature, 3) }],
      400,
      'bad_signature',
    );
  });

  it('refuses coins given to another merchant', async () => {
    const [coin] = await withdrawCoins(bank, alice, [100]);
    await refused([coin!], [permissionFor(coin!, other)], 400, 'merchant_mismatch');
  });

  it('refuses part of a coin: the wallet makes change first', async () => {
    const [coin] = await withdrawCoins(bank, alice, [100]);
    await refused(
      [coin!],
      [permissionFor(coin!, shop, { amount: 60 })],
      400,
      'coin_amount_mismatch',
    );
  });

  it('refuses the whole batch when one coin is bad, naming it', async () => {
    const coins = await withdrawCoins(bank, alice, [1, 2, 5]);
    const wire = coins.map((coin) => permissionFor(coin, shop));
    wire[2] = { ...wire[2]!, signature: flipBase64url(wire[2]!.signature) };
    const problem = await refused(coins, wire, 400, 'bad_signature');
    expect(problem.index).toBe(2);
  });

  it('refuses the same coin twice in one deposit', async () => {
    const [coin] = await withdrawCoins(bank, alice, [1]);
    await refused(
      [coin!],
      [permissionFor(coin!, shop), permissionFor(coin!, shop)],
      400,
      'invalid_message',
    );
  });

  it('refuses a coin of a denomination the mint does not know', async () => {
    const [coin] = await withdrawCoins(bank, alice, [1]);
    const wire = permissionFor(coin!, shop);
    const unknown = {
      ...wire,
      coin: { ...wire.coin, denominationId: flipBase64url(wire.coin.denominationId) },
    };
    await refused([coin!], [unknown], 404, 'unknown_denomination');
  });

  it('accepts coins of a key that stopped signing until its deposit window ends', async () => {
    const [early, late] = await withdrawCoins(bank, alice, [2, 2]);
    const saved = bank.clock.now;
    try {
      bank.clock.now = early!.denomination.withdrawUntil + day;
      await bank.ctx.mint.rotate();
      await expectStatus(await depositRequest(bank, shop, [permissionFor(early!, shop)]), 200);
      bank.clock.now = late!.denomination.depositUntil;
      await refused([late!], [permissionFor(late!, shop)], 410, 'denomination_expired');
    } finally {
      bank.clock.now = saved;
    }
  });

  it.each<[string, unknown, string]>([
    ['no coins', { coins: [] }, 'invalid_message'],
    ['a permission that is not one', { coins: [{ version: 1 }] }, 'invalid_message'],
    ['a deposit id with spaces', { depositId: 'a b', coins: [{}] }, 'invalid_message'],
    ['an unknown member', { coins: [{}], merchant: 'x' }, 'invalid_message'],
  ])('refuses %s', async (_, body, code) => {
    const response = await bank.request('POST', '/v1/mint/deposits', { token: shop.apiKey, body });
    expect((await expectProblem(response, 400)).code).toBe(code);
  });

  it('needs a merchant API key and an Idempotency-Key', async () => {
    const [coin] = await withdrawCoins(bank, alice, [1]);
    const body = { coins: [permissionFor(coin!, shop)] };
    expect(
      (await expectProblem(await bank.request('POST', '/v1/mint/deposits', { body }), 401)).code,
    ).toBe('unauthorized');
    const customer = await bank.request('POST', '/v1/mint/deposits', { token: alice.token, body });
    expect((await expectProblem(customer, 401)).code).toBe('unauthorized');
    const keyless = await bank.request('POST', '/v1/mint/deposits', {
      token: shop.apiKey,
      body,
      idempotencyKey: null,
    });
    expect((await expectProblem(keyless, 428)).code).toBe('idempotency_key_missing');
  });

  it('refuses an Idempotency-Key reused for other coins', async () => {
    const [one, two] = await withdrawCoins(bank, alice, [1, 1]);
    await expectStatus(
      await depositRequest(bank, shop, [permissionFor(one!, shop)], { idempotencyKey: 'dep-key' }),
      200,
    );
    const reused = await depositRequest(bank, shop, [permissionFor(two!, shop)], {
      idempotencyKey: 'dep-key',
    });
    expect((await expectProblem(reused, 422)).code).toBe('idempotency_key_reused');
    expect(await bank.store.getSpentCoin(two!.coin.coinPublicKey)).toBeUndefined();
  });

  it('refuses malformed JSON and other content types', async () => {
    const malformed = await bank.request('POST', '/v1/mint/deposits', {
      token: shop.apiKey,
      rawBody: '{"coins": [',
    });
    expect((await expectProblem(malformed, 400)).code).toBe('invalid_message');
    const text = await bank.request('POST', '/v1/mint/deposits', {
      token: shop.apiKey,
      rawBody: '{"coins": []}',
      contentType: 'text/plain',
    });
    expect((await expectProblem(text, 415)).code).toBe('unsupported_media_type');
  });
});

describe('GET /v1/mint/coins/:coinPub', () => {
  it('says whether the mint has seen the coin spent', async () => {
    const [coin] = await withdrawCoins(bank, alice, [1]);
    const path = `/v1/mint/coins/${Buffer.from(coin!.coin.coinPublicKey).toString('base64url')}`;
    expect(await expectStatus(await bank.request('GET', path), 200)).toEqual({ status: 'unspent' });
    await expectStatus(await depositRequest(bank, shop, [permissionFor(coin!, shop)]), 200);
    expect(await expectStatus(await bank.request('GET', path), 200)).toEqual({
      status: 'spent',
      kind: 'deposit',
      spentAt: bank.clock.now,
    });
  });

  it('refuses a key that is not 32 bytes of base64url', async () => {
    expect((await expectProblem(await bank.request('GET', '/v1/mint/coins/AAAA'), 400)).code).toBe(
      'invalid_encoding',
    );
  });
});
