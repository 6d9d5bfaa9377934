import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  balanceOf,
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
import type { IssuanceView } from './issuance.ts';
import {
  changeRequestFor,
  depositRequest,
  fetchKeySet,
  finalizeCoins,
  flipBase64url,
  issuanceIdOf,
  type PlannedCoin,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawable,
  withdrawCoins,
} from './mint.fixture.ts';

let bank: TestBank;
let alice: TestCustomer;
let shop: TestMerchant;

beforeAll(async () => {
  bank = await openTestBank();
  alice = await openCustomer(bank, 'alice', 100_000);
  shop = await openMerchant(bank, 'demo-shop');
});

afterAll(() => bank.close());

afterEach(async () => {
  const report = await bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
});

async function planChange(values: readonly number[], seed = randomWithdrawalSeed()) {
  const keySet = await fetchKeySet(bank);
  const planned = planCoins(
    seed,
    values.map((value) => withdrawable(bank, keySet, value)),
  );
  return { seed, planned, issuanceId: issuanceIdOf(seed, 'change') };
}

function change(body: unknown, idempotencyKey?: string) {
  return bank.request('POST', '/v1/mint/change', {
    body,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
}

async function exchange(coin: WalletCoin, values: readonly number[]) {
  const { planned, issuanceId } = await planChange(values);
  const body = changeRequestFor(coin, issuanceId, planned);
  const view = await expectStatus<IssuanceView>(await change(body), 200);
  return { planned, body, view, coins: finalizeCoins(planned, view) };
}

describe('POST /v1/mint/change', () => {
  it('spends one coin for smaller coins of the same total, which deposit fine', async () => {
    const [big] = await withdrawCoins(bank, alice, [100]);
    const outstanding = await balanceOf(bank, systemAccounts.coins);
    const customer = await balanceOf(bank, 'alice');
    const { view, coins } = await exchange(big!, [50, 20, 20, 5, 2, 2, 1]);
    expect(view.total).toBe('EUR 1.00');
    expect(coins).toHaveLength(7);
    // Value moved from one coin to others: no account and no outstanding total changed.
    expect(await balanceOf(bank, systemAccounts.coins)).toBe(outstanding);
    expect(await balanceOf(bank, 'alice')).toBe(customer);
    expect((await bank.store.getSpentCoin(big!.coin.coinPublicKey))?.kind).toBe('change');

    const shopBefore = await balanceOf(bank, 'demo-shop');
    const deposit = await depositRequest(
      bank,
      shop,
      coins.map((coin) => permissionFor(coin, shop)),
    );
    expect(await expectStatus(deposit, 200)).toMatchObject({ total: 'EUR 1.00', coins: 7 });
    expect(await balanceOf(bank, 'demo-shop')).toBe(shopBefore + 100);
  });

  it('refuses to deposit or change the old coin afterwards, showing the change request', async () => {
    const [big] = await withdrawCoins(bank, alice, [20]);
    const { body } = await exchange(big!, [10, 10]);
    const deposit = await depositRequest(bank, shop, [permissionFor(big!, shop)]);
    const problem = await expectProblem(deposit, 409);
    expect(problem).toMatchObject({ code: 'coin_already_spent', kind: 'change', proof: body });
    const { planned, issuanceId } = await planChange([10, 5, 5]);
    const again = await expectProblem(
      await change(changeRequestFor(big!, issuanceId, planned)),
      409,
    );
    expect(again.code).toBe('coin_already_spent');
    expect(await bank.store.getIssuance(issuanceId)).toBeUndefined();
  });

  it('gives the same signatures for the same request again (crash recovery)', async () => {
    const [big] = await withdrawCoins(bank, alice, [50]);
    const { seed, planned, issuanceId } = await planChange([20, 20, 10]);
    const body = changeRequestFor(big!, issuanceId, planned);
    const first = await expectStatus<IssuanceView>(await change(body), 200);
    // Re-derived from the seed and signed again: the same request, the same answer.
    const again = await planChange([20, 20, 10], seed);
    const retried = changeRequestFor(big!, again.issuanceId, again.planned);
    expect(retried).toEqual(body);
    expect(await expectStatus(await change(retried), 200)).toEqual(first);
    // Another request under that id is a conflict, not a second exchange.
    const other = planCoins(seed, again.planned.map((p) => p.denomination).reverse());
    const conflict = await change(changeRequestFor(big!, issuanceId, other));
    expect((await expectProblem(conflict, 409)).code).toBe('issuance_conflict');
  });

  it('lets only one of concurrent spends of a coin through', async () => {
    const [big] = await withdrawCoins(bank, alice, [20]);
    const changes = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const { planned, issuanceId } = await planChange([10, 10]);
        return changeRequestFor(big!, issuanceId, planned);
      }),
    );
    const responses = await Promise.all([
      ...changes.map((body) => change(body)),
      depositRequest(bank, shop, [permissionFor(big!, shop)]),
    ]);
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(5);
  });

  it('refuses new coins that do not add up to the coin', async () => {
    const [big] = await withdrawCoins(bank, alice, [20]);
    for (const values of [
      [10, 5],
      [10, 10, 1],
    ]) {
      const { planned, issuanceId } = await planChange(values);
      const problem = await expectProblem(
        await change(changeRequestFor(big!, issuanceId, planned)),
        400,
      );
      expect(problem.code).toBe('coin_amount_mismatch');
    }
    expect(await bank.store.getSpentCoin(big!.coin.coinPublicKey)).toBeUndefined();
  });

  it('refuses a forged coin and a request the coin key did not sign', async () => {
    const [big] = await withdrawCoins(bank, alice, [10]);
    const { planned, issuanceId } = await planChange([5, 5]);
    const body = changeRequestFor(big!, issuanceId, planned);
    const forged = {
      ...body,
      coin: { ...body.coin, denominationSignature: flipBase64url(body.coin.denominationSignature) },
    };
    expect((await expectProblem(await change(forged), 400)).code).toBe('coin_invalid');
    const unsigned = { ...body, signature: flipBase64url(body.signature, 10) };
    expect((await expectProblem(await change(unsigned), 400)).code).toBe('bad_signature');
    // Blinded coins swapped in transit no longer match the signature.
    const swapped = { ...body, coins: [...body.coins].reverse() };
    expect((await expectProblem(await change(swapped), 400)).code).toBe('bad_signature');
    expect(await bank.store.getSpentCoin(big!.coin.coinPublicKey)).toBeUndefined();
  });

  it('refuses new coins of a denomination the mint does not know', async () => {
    const [big] = await withdrawCoins(bank, alice, [10]);
    const { planned, issuanceId } = await planChange([5, 5]);
    const fake: PlannedCoin[] = [
      planned[0]!,
      { ...planned[1]!, blinded: { ...planned[1]!.blinded, denominationId: new Uint8Array(32) } },
    ];
    const problem = await expectProblem(
      await change(changeRequestFor(big!, issuanceId, fake)),
      404,
    );
    expect(problem).toMatchObject({ code: 'unknown_denomination', index: 1 });
  });

  it('takes only JSON change requests under an Idempotency-Key', async () => {
    const [big] = await withdrawCoins(bank, alice, [2]);
    const { planned, issuanceId } = await planChange([1, 1]);
    const body = changeRequestFor(big!, issuanceId, planned);
    const keyless = await bank.request('POST', '/v1/mint/change', { body, idempotencyKey: null });
    expect((await expectProblem(keyless, 428)).code).toBe('idempotency_key_missing');
    const malformed = await bank.request('POST', '/v1/mint/change', { rawBody: '{"version":1,' });
    expect((await expectProblem(malformed, 400)).code).toBe('invalid_message');
    const wrongType = await bank.request('POST', '/v1/mint/change', {
      rawBody: JSON.stringify(body),
      contentType: 'text/plain',
    });
    expect((await expectProblem(wrongType, 415)).code).toBe('unsupported_media_type');
    const partial = await change({ ...body, coins: [] });
    expect((await expectProblem(partial, 400)).code).toBe('invalid_message');
    await expectStatus(await change(body, 'change-key'), 200);
    const reused = await change({ ...body, issuanceId: `${issuanceId}x` }, 'change-key');
    expect((await expectProblem(reused, 422)).code).toBe('idempotency_key_reused');
  });
});
