import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import type { SignedMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { toBase64url } from '@farthing/protocol/encoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  balanceOf,
  day,
  expectProblem,
  expectStatus,
  logIn,
  openCustomer,
  openTestBank,
  type TestBank,
  type TestCustomer,
} from '../bank.fixture.ts';
import type { IssuanceView } from './issuance.ts';
import {
  fetchKeySet,
  finalizeCoins,
  issuanceIdOf,
  planCoins,
  withdrawable,
  withdrawalBody,
} from './mint.fixture.ts';

let bank: TestBank;
let keySet: SignedMintKeySet;
let alice: TestCustomer;
let bob: TestCustomer;

beforeAll(async () => {
  bank = await openTestBank();
  keySet = await fetchKeySet(bank);
  alice = await openCustomer(bank, 'alice', 10_000);
  bob = await openCustomer(bank, 'bob', 10_000);
});

afterAll(() => bank.close());

afterEach(async () => {
  const report = await bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
});

function plan(values: readonly number[], seed = randomWithdrawalSeed()) {
  const planned = planCoins(
    seed,
    values.map((value) => withdrawable(bank, keySet, value)),
  );
  return { seed, planned, body: withdrawalBody(issuanceIdOf(seed), planned) };
}

function withdraw(customer: TestCustomer, body: unknown, idempotencyKey?: string) {
  return bank.request('POST', '/v1/mint/withdrawals', {
    token: customer.token,
    body,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
}

describe('POST /v1/mint/withdrawals', () => {
  it('debits the account once and returns blind signatures the wallet can finalize', async () => {
    const before = await balanceOf(bank, 'alice');
    const { planned, body } = plan([100, 50, 20, 5, 5]);
    const view = await expectStatus<IssuanceView>(await withdraw(alice, body), 200);
    expect(view.issuanceId).toBe(body.issuanceId);
    expect(view.total).toBe('EUR 1.80');
    expect(view.signatures).toHaveLength(5);
    const coins = finalizeCoins(planned, view);
    expect(coins.map((coin) => coin.denomination.value.minor)).toEqual([100, 50, 20, 5, 5]);
    expect(await balanceOf(bank, 'alice')).toBe(before - 180);
  });

  it('returns the same signatures for the same issuance again without a second debit', async () => {
    const { seed, body } = plan([10, 2]);
    const first = await expectStatus<IssuanceView>(await withdraw(alice, body), 200);
    const after = await balanceOf(bank, 'alice');
    // A wallet that crashed re-derives the same coins from its seed and asks again.
    const again = plan([10, 2], seed);
    expect(again.body).toEqual(body);
    const second = await expectStatus<IssuanceView>(await withdraw(alice, again.body), 200);
    expect(second).toEqual(first);
    expect(await balanceOf(bank, 'alice')).toBe(after);
    expect(finalizeCoins(again.planned, second)).toHaveLength(2);
  });

  it('answers a retry with the same Idempotency-Key from the stored result', async () => {
    const { body } = plan([1]);
    const first = await expectStatus(await withdraw(alice, body, 'withdraw-retry-key'), 200);
    const before = await balanceOf(bank, 'alice');
    expect(await expectStatus(await withdraw(alice, body, 'withdraw-retry-key'), 200)).toEqual(
      first,
    );
    expect(await balanceOf(bank, 'alice')).toBe(before);
  });

  it('refuses another request under an issuance id already used', async () => {
    const { seed, body } = plan([10]);
    await expectStatus(await withdraw(alice, body), 200);
    const before = await balanceOf(bank, 'alice');
    const other = plan([20], seed);
    const problem = await expectProblem(await withdraw(alice, other.body), 409);
    expect(problem.code).toBe('issuance_conflict');
    // Nor may another customer claim it by sending the very same request.
    expect((await expectProblem(await withdraw(bob, body), 409)).code).toBe('issuance_conflict');
    expect(await balanceOf(bank, 'alice')).toBe(before);
  });

  it('changes nothing when the account cannot pay', async () => {
    const poor = await openCustomer(bank, 'poor-carol', 150);
    const { body } = plan([100, 100]);
    const problem = await expectProblem(await withdraw(poor, body), 409);
    expect(problem.code).toBe('insufficient_funds');
    expect(await balanceOf(bank, 'poor-carol')).toBe(150);
    expect(await bank.store.getIssuance(body.issuanceId)).toBeUndefined();
    // The wallet can use the same issuance id once it has the money.
    await bank.store.issueFunds({ accountId: poor.id, amount: 50, reference: 'top-up', now: 0 });
    await expectStatus(await withdraw(poor, body), 200);
    expect(await balanceOf(bank, 'poor-carol')).toBe(0);
  });

  it('refuses a denomination the mint does not know, naming the coin', async () => {
    const { body } = plan([5, 5]);
    body.coins[1] = { ...body.coins[1]!, denominationId: toBase64url(new Uint8Array(32)) };
    const problem = await expectProblem(await withdraw(alice, body), 404);
    expect(problem).toMatchObject({ code: 'unknown_denomination', index: 1 });
  });

  it('refuses a key that no longer signs, and signs with its successor', async () => {
    const { body } = plan([5]);
    const saved = bank.clock.now;
    try {
      bank.clock.now = withdrawable(bank, keySet, 5).withdrawUntil;
      await bank.ctx.mint.rotate();
      const token = await logIn(bank, 'alice');
      const late = await bank.request('POST', '/v1/mint/withdrawals', { token, body });
      expect((await expectProblem(late, 410)).code).toBe('denomination_expired');
      const fresh = await fetchKeySet(bank);
      const next = planCoins(randomWithdrawalSeed(), [withdrawable(bank, fresh, 5)]);
      const response = await bank.request('POST', '/v1/mint/withdrawals', {
        token,
        body: withdrawalBody(issuanceIdOf(randomWithdrawalSeed()), next),
      });
      expect(finalizeCoins(next, await expectStatus<IssuanceView>(response, 200))).toHaveLength(1);
    } finally {
      bank.clock.now = saved;
    }
  });

  it('refuses a blinded message that is not below the modulus', async () => {
    const { body } = plan([1]);
    body.coins[0] = {
      ...body.coins[0]!,
      blindedMessage: toBase64url(new Uint8Array(256).fill(0xff)),
    };
    const problem = await expectProblem(await withdraw(alice, body), 400);
    expect(problem.code).toBe('blind_rsa_invalid_blinded_message');
  });

  it.each<[string, (body: Record<string, unknown>) => unknown, string]>([
    ['no coins', (b) => ({ ...b, coins: [] }), 'invalid_message'],
    ['a short issuance id', (b) => ({ ...b, issuanceId: 'short' }), 'invalid_message'],
    ['an unknown member', (b) => ({ ...b, amount: 'EUR 1.00' }), 'invalid_message'],
    [
      'a blinded message of the wrong size',
      (b) => ({
        ...b,
        coins: [{ ...(b.coins as object[])[0], blindedMessage: 'AAAA' }],
      }),
      'invalid_encoding',
    ],
    [
      'more than 256 coins',
      (b) => ({ ...b, coins: Array(257).fill((b.coins as object[])[0]) }),
      'invalid_message',
    ],
  ])('refuses %s', async (_, change, code) => {
    const before = await balanceOf(bank, 'alice');
    const { body } = plan([1]);
    const problem = await expectProblem(await withdraw(alice, change(body)), 400);
    expect(problem.code).toBe(code);
    expect(await balanceOf(bank, 'alice')).toBe(before);
  });

  it('needs a session with the withdraw scope', async () => {
    const { body } = plan([1]);
    expect(
      (await expectProblem(await bank.request('POST', '/v1/mint/withdrawals', { body }), 401)).code,
    ).toBe('unauthorized');
    const readOnly = await openCustomer(bank, 'dave', 1_000, ['account']);
    expect((await expectProblem(await withdraw(readOnly, body), 403)).code).toBe(
      'insufficient_scope',
    );
  });
});

describe('HTTP conventions of the mint', () => {
  it('needs an Idempotency-Key on a withdrawal', async () => {
    const { body } = plan([1]);
    const response = await bank.request('POST', '/v1/mint/withdrawals', {
      token: alice.token,
      body,
      idempotencyKey: null,
    });
    expect((await expectProblem(response, 428)).code).toBe('idempotency_key_missing');
  });

  it('refuses an Idempotency-Key reused with another body, changing nothing', async () => {
    await expectStatus(await withdraw(alice, plan([1]).body, 'reused-key'), 200);
    const before = await balanceOf(bank, 'alice');
    const problem = await expectProblem(await withdraw(alice, plan([2]).body, 'reused-key'), 422);
    expect(problem.code).toBe('idempotency_key_reused');
    expect(await balanceOf(bank, 'alice')).toBe(before);
  });

  it('refuses malformed JSON and other content types', async () => {
    const malformed = await bank.request('POST', '/v1/mint/withdrawals', {
      token: alice.token,
      rawBody: '{"issuanceId": ',
    });
    expect((await expectProblem(malformed, 400)).code).toBe('invalid_message');
    const form = await bank.request('POST', '/v1/mint/withdrawals', {
      token: alice.token,
      rawBody: 'issuanceId=x',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect((await expectProblem(form, 415)).code).toBe('unsupported_media_type');
  });
});

describe('GET /v1/mint/withdrawals/:issuanceId', () => {
  it('gives the owner the same signatures again', async () => {
    const { planned, body } = plan([50, 1]);
    const first = await expectStatus<IssuanceView>(await withdraw(alice, body), 200);
    const fetched = await expectStatus<IssuanceView>(
      await bank.request('GET', `/v1/mint/withdrawals/${body.issuanceId}`, { token: alice.token }),
      200,
    );
    expect(fetched).toEqual(first);
    expect(finalizeCoins(planned, fetched)).toHaveLength(2);
  });

  it('tells anyone else the withdrawal does not exist', async () => {
    const { body } = plan([1]);
    await expectStatus(await withdraw(alice, body), 200);
    const path = `/v1/mint/withdrawals/${body.issuanceId}`;
    expect(
      (await expectProblem(await bank.request('GET', path, { token: bob.token }), 404)).code,
    ).toBe('not_found');
    expect((await expectProblem(await bank.request('GET', path), 401)).code).toBe('unauthorized');
    const unknown = `/v1/mint/withdrawals/${issuanceIdOf(randomWithdrawalSeed())}`;
    expect(
      (await expectProblem(await bank.request('GET', unknown, { token: alice.token }), 404)).code,
    ).toBe('not_found');
  });

  it('still answers after the key stopped signing', async () => {
    const { body } = plan([2]);
    const first = await expectStatus<IssuanceView>(await withdraw(alice, body), 200);
    const saved = bank.clock.now;
    try {
      bank.clock.now = saved + 40 * day;
      await bank.ctx.mint.rotate();
      const token = await logIn(bank, 'alice');
      const path = `/v1/mint/withdrawals/${body.issuanceId}`;
      expect(await expectStatus(await bank.request('GET', path, { token }), 200)).toEqual(first);
      const again = await bank.request('POST', '/v1/mint/withdrawals', { token, body });
      expect(await expectStatus(again, 200)).toEqual(first);
    } finally {
      bank.clock.now = saved;
    }
  });
});

describe('GET /v1/mint/keys', () => {
  it('serves the key set signed by the mint master key', async () => {
    const response = await bank.request('GET', '/v1/mint/keys');
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    const fetched = await fetchKeySet(bank);
    expect(fetched.masterPublicKey).toEqual(bank.ctx.keys.mintMaster.publicKey);
    expect(fetched.denominations.length).toBeGreaterThanOrEqual(7);
  });
});
