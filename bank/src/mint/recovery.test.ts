import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import type { SignedMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  issuanceIdOf,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawable,
  withdrawalBody,
} from './mint.fixture.ts';

interface Page {
  withdrawals: {
    issuanceId: string;
    createdAt: number;
    total: string;
    coins: { denominationId: string; signature: string }[];
  }[];
  nextPage: number | null;
}

let bank: TestBank;
let keySet: SignedMintKeySet;
let alice: TestCustomer;
let bob: TestCustomer;
let shop: TestMerchant;
/** Alice's withdrawals, oldest first. */
const made: { issuanceId: string; view: IssuanceView; coins: WalletCoin[] }[] = [];

beforeAll(async () => {
  bank = await openTestBank();
  keySet = await fetchKeySet(bank);
  alice = await openCustomer(bank, 'alice', 10_000);
  bob = await openCustomer(bank, 'bob', 10_000);
  shop = await openMerchant(bank, 'shop');
  for (let i = 0; i < 18; i++) {
    const seed = randomWithdrawalSeed();
    const planned = planCoins(seed, [withdrawable(bank, keySet, 5), withdrawable(bank, keySet, 2)]);
    const issuanceId = issuanceIdOf(seed);
    const view = await expectStatus<IssuanceView>(
      await bank.request('POST', '/v1/mint/withdrawals', {
        token: alice.token,
        body: withdrawalBody(issuanceId, planned),
      }),
      200,
    );
    made.push({ issuanceId, view, coins: finalizeCoins(planned, view) });
    bank.clock.now += 1_000;
  }
}, 60_000);

afterAll(() => bank.close());

async function page(customer: TestCustomer, n?: number): Promise<Page> {
  const query = n === undefined ? '' : `?page=${n}`;
  return expectStatus<Page>(
    await bank.request('GET', `/v1/mint/recovery/withdrawals${query}`, { token: customer.token }),
    200,
  );
}

describe('GET /v1/mint/recovery/withdrawals', () => {
  it('pages through the account’s last 16 withdrawals, newest first, and no further', async () => {
    const seen: Page['withdrawals'] = [];
    let next: number | null = 0;
    let pages = 0;
    while (next !== null) {
      const answer = await page(alice, next);
      seen.push(...answer.withdrawals);
      next = answer.nextPage;
      pages++;
    }
    expect(pages).toBe(4);
    expect(seen.map((w) => w.issuanceId)).toEqual(
      made
        .slice(-16)
        .reverse()
        .map((w) => w.issuanceId),
    );
    const newest = made.at(-1)!;
    expect(seen[0]!.coins.map((coin) => coin.signature)).toEqual(newest.view.signatures);
    expect(seen[0]!.total).toBe('EUR 0.07');
    const problem = await expectProblem(
      await bank.request('GET', '/v1/mint/recovery/withdrawals?page=4', { token: alice.token }),
      400,
    );
    expect(problem.code).toBe('invalid_argument');
  });

  it('answers only to the account’s own session', async () => {
    expect((await page(bob)).withdrawals).toEqual([]);
    const anonymous = await bank.request('GET', '/v1/mint/recovery/withdrawals');
    expect(anonymous.status).toBe(401);
  });
});

describe('POST /v1/mint/recovery/spent', () => {
  const search = (body: unknown) =>
    bank.request('POST', '/v1/mint/recovery/spent', { body, idempotencyKey: null });

  it('names the spent keys under the asked prefixes, never an unspent one', async () => {
    const spentCoin = made[3]!.coins[0]!;
    const unspentCoin = made[3]!.coins[1]!;
    await expectStatus(await depositRequest(bank, shop, [permissionFor(spentCoin, shop)]), 200);
    const prefixes = [spentCoin, unspentCoin].map((coin) =>
      toBase64url(coin.coin.coinPublicKey.subarray(0, 2)),
    );
    const answer = await expectStatus<{ spent: string[]; more: boolean }>(
      await search({ prefixes }),
      200,
    );
    expect(answer.more).toBe(false);
    expect(answer.spent).toContain(toBase64url(spentCoin.coin.coinPublicKey));
    expect(answer.spent).not.toContain(toBase64url(unspentCoin.coin.coinPublicKey));
    for (const key of answer.spent) {
      expect(prefixes).toContain(toBase64url(fromBase64url(key).subarray(0, 2)));
    }
    // Continuing after the last key finds nothing more in those ranges.
    const rest = await expectStatus<{ spent: string[] }>(
      await search({ prefixes, after: answer.spent.at(-1) }),
      200,
    );
    expect(rest.spent).toEqual([]);
  });

  it('finds keys at the edges of the key space', async () => {
    const answer = await expectStatus<{ spent: string[] }>(
      await search({
        prefixes: [toBase64url(Uint8Array.of(0, 0)), toBase64url(Uint8Array.of(255, 255))],
      }),
      200,
    );
    expect(answer.spent).toEqual([]);
  });

  it('refuses prefixes of another length, none, or too many', async () => {
    const cases = [
      [['AAAA'], 'invalid_encoding'],
      [[], 'invalid_message'],
      [new Array(257).fill('AAA'), 'invalid_message'],
    ] as const;
    for (const [prefixes, code] of cases) {
      const problem = await expectProblem(await search({ prefixes }), 400);
      expect([prefixes.length, problem.code]).toEqual([prefixes.length, code]);
    }
  });
});

describe('POST /v1/mint/recovery/change', () => {
  const search = (body: unknown) =>
    bank.request('POST', '/v1/mint/recovery/change', { body, idempotencyKey: null });

  it('hands out the change issuances under the asked id prefixes, with their signatures', async () => {
    const coin = made[5]!.coins[0]!;
    const seed = randomWithdrawalSeed();
    const planned = planCoins(seed, [
      withdrawable(bank, keySet, 2),
      withdrawable(bank, keySet, 2),
      withdrawable(bank, keySet, 1),
    ]);
    const issuanceId = issuanceIdOf(seed, 'change');
    const view = await expectStatus<IssuanceView>(
      await bank.request('POST', '/v1/mint/change', {
        body: changeRequestFor(coin, issuanceId, planned),
      }),
      200,
    );
    const answer = await expectStatus<{ issuances: Page['withdrawals']; more: boolean }>(
      await search({ prefixes: [issuanceId.slice(0, 3)] }),
      200,
    );
    expect(answer.more).toBe(false);
    const found = answer.issuances.find((i) => i.issuanceId === issuanceId);
    expect(found?.coins.map((c) => c.signature)).toEqual(view.signatures);
    expect(answer.issuances.every((i) => i.issuanceId.startsWith(issuanceId.slice(0, 3)))).toBe(
      true,
    );
    // Withdrawals are never listed here, whatever their prefix.
    const withdrawal = made[0]!.issuanceId;
    const other = await expectStatus<{ issuances: Page['withdrawals'] }>(
      await search({ prefixes: [withdrawal.slice(0, 3)] }),
      200,
    );
    expect(other.issuances.map((i) => i.issuanceId)).not.toContain(withdrawal);
    const after = await expectStatus<{ issuances: Page['withdrawals'] }>(
      await search({ prefixes: [issuanceId.slice(0, 3)], after: issuanceId }),
      200,
    );
    expect(after.issuances.map((i) => i.issuanceId)).not.toContain(issuanceId);
  });

  it('refuses prefixes that are not three base64url characters', async () => {
    for (const prefixes of [['AB'], ['ABCD'], ['A+B'], []]) {
      const problem = await expectProblem(await search({ prefixes }), 400);
      expect([prefixes, problem.code]).toEqual([prefixes, 'invalid_message']);
    }
  });
});

describe('POST /v1/mint/returns', () => {
  const giveBack = (customer: TestCustomer, coins: unknown[], idempotencyKey?: string) =>
    bank.request('POST', '/v1/mint/returns', {
      token: customer.token,
      body: { depositId: `return-${idempotencyKey ?? 'x'}`, coins },
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });

  it('credits the account once for coins returned twice, and the books balance', async () => {
    const coins = made[7]!.coins;
    const before = await balanceOf(bank, 'alice');
    const outstanding = await balanceOf(bank, systemAccounts.coins);
    const permissions = coins.map((coin) => permissionFor(coin, { name: 'alice' }));
    const first = await expectStatus<{ total: string; coins: number }>(
      await giveBack(alice, permissions, 'r1'),
      200,
    );
    expect(first).toMatchObject({ total: 'EUR 0.07', coins: 2 });
    // Asked again (the answer was lost): the same key, or another key with the same coins.
    expect(await expectStatus(await giveBack(alice, permissions, 'r1'), 200)).toEqual(first);
    expect(await expectStatus(await giveBack(alice, permissions, 'r2'), 200)).toEqual(first);
    // Newly signed permissions for the same coins are a second spend.
    const resigned = coins.map((coin) => permissionFor(coin, { name: 'alice' }));
    const again = await expectProblem(await giveBack(alice, resigned, 'r5'), 409);
    expect(again.code).toBe('coin_already_spent');
    expect(await balanceOf(bank, 'alice')).toBe(before + 7);
    expect(await balanceOf(bank, systemAccounts.coins)).toBe(outstanding - 7);
    expect((await bank.store.checkInvariants()).problems).toEqual([]);
  });

  it('refuses coins made out to another account, or already spent, and credits nothing', async () => {
    const before = await balanceOf(bank, 'bob');
    const [spentCoin, fresh] = [made[3]!.coins[0]!, made[8]!.coins[0]!];
    const toAlice = await expectProblem(
      await giveBack(bob, [permissionFor(fresh, { name: 'alice' })], 'r3'),
      400,
    );
    expect(toAlice.code).toBe('merchant_mismatch');
    const spentAlready = await expectProblem(
      await giveBack(
        bob,
        [permissionFor(fresh, { name: 'bob' }), permissionFor(spentCoin, { name: 'bob' })],
        'r4',
      ),
      409,
    );
    expect(spentAlready.code).toBe('coin_already_spent');
    expect(await balanceOf(bank, 'bob')).toBe(before);
  });
});
