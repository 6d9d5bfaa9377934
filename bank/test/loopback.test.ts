/**
 * The bank over real HTTP on loopback (issue 3, "Done when"): the server `npm run bank`
 * runs, on a fresh SQLite file at its durable settings, driven with `fetch` by the wallet and
 * merchant side built on the protocol's own code (mint/mint.fixture.ts). Money flows here;
 * the coded refusals are in loopback-refusals.test.ts.
 */
import { amount } from '@farthing/protocol/amount';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { hashWordTimes } from '@farthing/protocol/payword/chain';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, expectStatus } from '../src/bank.fixture.ts';
import {
  commitToVendor,
  outcomes,
  type RedemptionBody,
  redemptionItem,
} from '../src/broker/broker.fixture.ts';
import type { DepositView } from '../src/mint/deposit.ts';
import type { IssuanceView } from '../src/mint/issuance.ts';
import {
  changeRequestFor,
  depositRequest,
  fetchKeySet,
  finalizeCoins,
  issuanceIdOf,
  permissionFor,
  planCoins,
  withdrawable,
  withdrawalBody,
  withdrawCoins,
} from '../src/mint/mint.fixture.ts';
import {
  coinStatus,
  customerBalance,
  type HttpBank,
  type HttpCustomer,
  type HttpMerchant,
  openHttpCustomer,
} from './http-bank.fixture.ts';
import { type LoopbackBank, openLoopbackBank } from './loopback-bank.fixture.ts';

let loopback: LoopbackBank;
let stopped = false;
let bank: HttpBank;
let alice: HttpCustomer;
let shop: HttpMerchant;
let kiosk: HttpMerchant;

beforeAll(async () => {
  loopback = await openLoopbackBank();
  ({ bank, alice, shop, kiosk } = loopback);
}, 60_000);

afterAll(() => loopback?.close());

afterEach(async () => {
  if (!stopped) expect(await loopback.problems()).toEqual([]);
});

const books = () => loopback.books();
const deposit = (merchant: HttpMerchant, coins: unknown[]) => () =>
  bank.request('POST', '/v1/mint/deposits', { token: merchant.apiKey, body: { coins } });

describe('the bank over loopback HTTP', () => {
  it('credits the merchant exactly what the customer was debited on withdraw → deposit', async () => {
    const start = await books();
    const stated = await customerBalance(bank, alice);
    const coins = await withdrawCoins(bank, alice, [100, 20, 5]);
    expect(await customerBalance(bank, alice)).toBe(stated - 125);
    const withdrawn = await books();
    expect(withdrawn).toEqual({ ...start, alice: start.alice - 125, coins: start.coins + 125 });

    const wire = coins.map((coin) => permissionFor(coin, shop));
    const view = await expectStatus<DepositView>(await depositRequest(bank, shop, wire), 200);
    expect(view).toMatchObject({ total: 'EUR 1.25', coins: 3 });
    expect(await books()).toEqual({ ...withdrawn, shop: withdrawn.shop + 125, coins: start.coins });
    for (const coin of coins) expect(await coinStatus(bank, coin.coin.coinPublicKey)).toBe('spent');
  });

  it('answers a second spend with 409 coin_already_spent and the proof of the first', async () => {
    const [coin] = await withdrawCoins(bank, alice, [50]);
    const first = permissionFor(coin!, shop);
    await expectStatus(await depositRequest(bank, shop, [first]), 200);
    for (const merchant of [shop, kiosk]) {
      const problem = await loopback.refusedWithoutChange(
        deposit(merchant, [permissionFor(coin!, merchant)]),
        409,
        'coin_already_spent',
      );
      expect(problem).toMatchObject({ proof: first, kind: 'deposit' });
    }
  });

  it('accepts exactly one of 50 concurrent deposits of one coin, each for another offer', async () => {
    const [coin] = await withdrawCoins(bank, alice, [10]);
    const before = await books();
    // 50 permissions over 50 different offer hashes, sent at once over 50 connections.
    const permissions = Array.from({ length: 50 }, () => permissionFor(coin!, shop));
    const responses = await Promise.all(
      permissions.map((permission) => depositRequest(bank, shop, [permission])),
    );
    const accepted = responses.flatMap((response, index) => (response.ok ? [index] : []));
    expect(accepted).toHaveLength(1);
    const winner = permissions[accepted[0]!];
    for (const response of responses.filter((r) => !r.ok)) {
      const problem = await expectProblem(response, 409);
      expect(problem).toMatchObject({ code: 'coin_already_spent', proof: winner });
    }
    expect(await books()).toEqual({ ...before, shop: before.shop + 10, coins: before.coins - 10 });
  });

  it('answers retries under one Idempotency-Key byte for byte and changes state once', async () => {
    const keySet = await fetchKeySet(bank);
    const seed = randomWithdrawalSeed();
    const planned = planCoins(seed, [
      withdrawable(bank, keySet, 20),
      withdrawable(bank, keySet, 5),
    ]);
    const body = withdrawalBody(issuanceIdOf(seed), planned);
    const withdraw = () =>
      bank.request('POST', '/v1/mint/withdrawals', {
        token: alice.token,
        body,
        idempotencyKey: 'w-1',
      });
    const before = await books();
    const texts = [await (await withdraw()).text()];
    // Retries, one after another and then several at once.
    texts.push(await (await withdraw()).text());
    texts.push(
      ...(await Promise.all(
        [withdraw(), withdraw(), withdraw()].map(async (r) => (await r).text()),
      )),
    );
    expect(new Set(texts).size).toBe(1);
    expect(JSON.parse(texts[0]!)).toMatchObject({ issuanceId: body.issuanceId, total: 'EUR 0.25' });
    expect(await books()).toEqual({
      ...before,
      alice: before.alice - 25,
      coins: before.coins + 25,
    });

    const coins = finalizeCoins(planned, JSON.parse(texts[0]!) as IssuanceView);
    const wire = coins.map((coin) => permissionFor(coin, shop));
    const send = () => depositRequest(bank, shop, wire, { idempotencyKey: 'd-1' });
    const first = await (await send()).text();
    const again = await Promise.all([send(), send()].map(async (r) => (await r).text()));
    expect(again).toEqual([first, first]);
    expect((await books()).shop).toBe(before.shop + 25);

    // The same key with another body is refused and changes nothing.
    const seedTwo = randomWithdrawalSeed();
    const otherWithdrawal = withdrawalBody(
      issuanceIdOf(seedTwo),
      planCoins(seedTwo, [withdrawable(bank, keySet, 20)]),
    );
    await loopback.refusedWithoutChange(
      () =>
        bank.request('POST', '/v1/mint/withdrawals', {
          token: alice.token,
          body: otherWithdrawal,
          idempotencyKey: 'w-1',
        }),
      422,
      'idempotency_key_reused',
    );
    const [other] = await withdrawCoins(bank, alice, [1]);
    await loopback.refusedWithoutChange(
      () => depositRequest(bank, shop, [permissionFor(other!, shop)], { idempotencyKey: 'd-1' }),
      422,
      'idempotency_key_reused',
      [other!],
    );
  });

  it('gives a wallet that lost the answer the same signatures again, by GET and by re-POST', async () => {
    const keySet = await fetchKeySet(bank);
    const denominations = [50, 5, 1].map((value) => withdrawable(bank, keySet, value));
    const seed = randomWithdrawalSeed();
    const before = await books();
    const sent = withdrawalBody(issuanceIdOf(seed), planCoins(seed, denominations));
    const lost = await expectStatus<IssuanceView>(
      await bank.request('POST', '/v1/mint/withdrawals', { token: alice.token, body: sent }),
      200,
    );
    // The wallet crashed before storing the answer; it kept only the seed, from which it
    // derives the same coins, blinding and issuance id again.
    const replanned = planCoins(seed, denominations);
    const issuanceId = issuanceIdOf(seed);
    const fetched = await expectStatus<IssuanceView>(
      await bank.request('GET', `/v1/mint/withdrawals/${issuanceId}`, { token: alice.token }),
      200,
    );
    const reposted = await expectStatus<IssuanceView>(
      await bank.request('POST', '/v1/mint/withdrawals', {
        token: alice.token,
        body: withdrawalBody(issuanceId, replanned),
      }),
      200,
    );
    expect(fetched).toEqual(lost);
    expect(reposted).toEqual(lost);
    expect(finalizeCoins(replanned, fetched)).toHaveLength(3);
    expect(await books()).toEqual({
      ...before,
      alice: before.alice - 56,
      coins: before.coins + 56,
    });
  });

  it('exchanges a coin for smaller coins of the same total and refuses the old coin afterwards', async () => {
    const [big] = await withdrawCoins(bank, alice, [100]);
    const keySet = await fetchKeySet(bank);
    const seed = randomWithdrawalSeed();
    const planned = planCoins(
      seed,
      [50, 20, 20, 10].map((v) => withdrawable(bank, keySet, v)),
    );
    const request = changeRequestFor(big!, issuanceIdOf(seed, 'change'), planned);
    const before = await books();
    const view = await expectStatus<IssuanceView>(
      await bank.request('POST', '/v1/mint/change', { body: request }),
      200,
    );
    expect(view.total).toBe('EUR 1.00');
    // Value moved from one coin to four: no account changes.
    expect(await books()).toEqual(before);
    const small = finalizeCoins(planned, view);

    const spent = await loopback.refusedWithoutChange(
      deposit(shop, [permissionFor(big!, shop)]),
      409,
      'coin_already_spent',
    );
    expect(spent).toMatchObject({ kind: 'change', proof: request });
    const again = planCoins(randomWithdrawalSeed(), [withdrawable(bank, keySet, 100)]);
    await loopback.refusedWithoutChange(
      () =>
        bank.request('POST', '/v1/mint/change', {
          body: changeRequestFor(big!, issuanceIdOf(seed, 'again'), again),
        }),
      409,
      'coin_already_spent',
    );
    const wire = small.map((coin) => permissionFor(coin, shop));
    const deposited = await expectStatus<DepositView>(await depositRequest(bank, shop, wire), 200);
    expect(deposited).toMatchObject({ total: 'EUR 1.00', coins: 4 });
    expect(await books()).toEqual({
      ...before,
      shop: before.shop + 100,
      coins: before.coins - 100,
    });
  });

  it('redeems PayWord incrementally and refuses a redemption over the credit limit', async () => {
    const carol = await openHttpCustomer(bank, 'carol', 2_000, ['account', 'payword']);
    const signer = ed25519Signer(randomSecretKey());
    const certificateJson = await expectStatus(
      await bank.request('POST', '/v1/broker/certificates', {
        token: carol.token,
        body: { userPublicKey: toBase64url(signer.publicKey), creditLimit: 'EUR 1.00' },
      }),
      201,
    );
    const wallet = { signer, certificate: paywordCertificates.parse(certificateJson) };
    expect(await customerBalance(bank, carol)).toBe(1_900);
    const terms = { valuePerWord: amount('EUR', 1), createdAt: Date.now() };
    const atShop = await commitToVendor(wallet, shop.name, { ...terms, length: 100 });
    const redeem = async (vendor: HttpMerchant, items: unknown[]) =>
      expectStatus<RedemptionBody>(
        await bank.request('POST', '/v1/broker/redemptions', {
          token: vendor.apiKey,
          body: { redemptions: items },
        }),
        200,
      );
    const start = await books();

    expect((await redeem(shop, [redemptionItem(atShop, 30)])).paid).toBe('EUR 0.30');
    const longer = await redeem(shop, [redemptionItem(atShop, 45)]);
    expect(longer.redemptions[0]).toMatchObject({ paid: 'EUR 0.15', totalRedeemed: 'EUR 0.45' });
    expect((await redeem(shop, [redemptionItem(atShop, 45)])).paid).toBe('EUR 0.00');
    const paid = await books();
    expect(paid).toEqual({ ...start, shop: start.shop + 45, holds: start.holds - 45 });

    // 55 cents of credit are left; the kiosk asks for 60, is refused, then takes what fits.
    const atKiosk = await commitToVendor(wallet, kiosk.name, { ...terms, length: 80 });
    const over = await redeem(kiosk, [redemptionItem(atKiosk, 60)]);
    expect(outcomes(over)).toEqual(['payword_over_limit']);
    expect(over.redemptions[0]!.problem).toMatchObject({ status: 402 });
    expect(await books()).toEqual(paid);
    const w55 = hashWordTimes(atKiosk.chain.wordAt(60), 5);
    const fits = { ...redemptionItem(atKiosk, 60), index: 55, word: toBase64url(w55) };
    expect((await redeem(kiosk, [fits])).paid).toBe('EUR 0.55');
    expect(outcomes(await redeem(shop, [redemptionItem(atShop, 46)]))).toEqual([
      'payword_over_limit',
    ]);
    expect(await books()).toEqual({ ...paid, kiosk: paid.kiosk + 55, holds: paid.holds - 55 });
    expect(await customerBalance(bank, carol)).toBe(1_900);
  });

  it('leaves books that `npm run bank -- check` proves balanced', async () => {
    stopped = true;
    const check = await loopback.stopAndCheck();
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain('the books balance');
  }, 30_000);
});
