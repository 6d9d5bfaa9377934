/**
 * Refusals over real HTTP on loopback (issue 3, "Done when": forged coin, unknown or expired
 * denomination, bad permission signature, malformed JSON, oversized body, wrong account,
 * expired token): each must be a clear coded RFC 9457 problem AND change nothing — no
 * balance, no coin status, no invariant (`refusedWithoutChange`, loopback-bank.fixture.ts).
 */
import { blindSign } from '@farthing/protocol/blind-rsa';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { toBase64url } from '@farthing/protocol/encoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { day, expectStatus } from '../src/bank.fixture.ts';
import { newToken, sessionTokenPrefix, tokenHash } from '../src/http/auth.ts';
import {
  depositRequest,
  fetchKeySet,
  finalizeCoins,
  flipBase64url,
  issuanceIdOf,
  permissionFor,
  planCoins,
  withdrawable,
  withdrawalBody,
  withdrawCoins,
} from '../src/mint/mint.fixture.ts';
import type { HttpMerchant } from './http-bank.fixture.ts';
import { type LoopbackBank, maxBody, openLoopbackBank } from './loopback-bank.fixture.ts';

let loopback: LoopbackBank;
let stopped = false;

beforeAll(async () => {
  loopback = await openLoopbackBank();
}, 60_000);

afterAll(() => loopback?.close());

afterEach(async () => {
  if (!stopped) expect(await loopback.problems()).toEqual([]);
});

const deposit = (merchant: HttpMerchant, coins: unknown[]) => () =>
  loopback.bank.request('POST', '/v1/mint/deposits', { token: merchant.apiKey, body: { coins } });

describe('the bank over loopback HTTP refuses', () => {
  it('a forged coin with coin_invalid, changing nothing', async () => {
    const { bank, alice, shop } = loopback;
    const [coin] = await withdrawCoins(bank, alice, [20]);
    const wire = permissionFor(coin!, shop);
    const signature = flipBase64url(wire.coin.denominationSignature, 100);
    const forged = { ...wire, coin: { ...wire.coin, denominationSignature: signature } };
    const problem = await loopback.refusedWithoutChange(
      deposit(shop, [forged]),
      400,
      'coin_invalid',
      [coin!],
    );
    expect(problem.index).toBe(0);
  });

  it('a coin of an unknown denomination, changing nothing', async () => {
    const { bank, alice, shop } = loopback;
    const [coin] = await withdrawCoins(bank, alice, [20]);
    const wire = permissionFor(coin!, shop);
    const denominationId = flipBase64url(wire.coin.denominationId);
    const unknown = { ...wire, coin: { ...wire.coin, denominationId } };
    await loopback.refusedWithoutChange(deposit(shop, [unknown]), 404, 'unknown_denomination', [
      coin!,
    ]);
  });

  it('a genuine coin of an expired denomination, and withdrawals with that key', async () => {
    const { bank, alice, shop, expired } = loopback;
    // The test holds the expired key, so it signs a coin as the mint did while the key was
    // valid; finalizeCoins verifies it, so the window is all that is wrong with the coin.
    const seed = randomWithdrawalSeed();
    const planned = planCoins(seed, [expired.denomination]);
    const blindSignature = blindSign(expired.signer, planned[0]!.blinded.blindedMessage);
    const [coin] = finalizeCoins(planned, {
      issuanceId: issuanceIdOf(seed),
      total: 'EUR 1.00',
      signatures: [toBase64url(blindSignature)],
    });
    const problem = await loopback.refusedWithoutChange(
      deposit(shop, [permissionFor(coin!, shop)]),
      410,
      'denomination_expired',
      [coin!],
    );
    expect(problem).toMatchObject({ index: 0, field: 'depositUntil' });
    const body = withdrawalBody(issuanceIdOf(randomWithdrawalSeed()), planned);
    await loopback.refusedWithoutChange(
      () => bank.request('POST', '/v1/mint/withdrawals', { token: alice.token, body }),
      410,
      'denomination_expired',
    );
  });

  it('a deposit permission whose signature does not verify', async () => {
    const { bank, alice, shop } = loopback;
    const [coin] = await withdrawCoins(bank, alice, [5]);
    const wire = permissionFor(coin!, shop);
    const bad = { ...wire, signature: flipBase64url(wire.signature, 7) };
    await loopback.refusedWithoutChange(deposit(shop, [bad]), 400, 'bad_signature', [coin!]);
  });

  it('malformed JSON on every state-changing mint and broker route', async () => {
    const { bank, alice, shop } = loopback;
    for (const [path, token] of [
      ['/v1/mint/withdrawals', alice.token],
      ['/v1/mint/deposits', shop.apiKey],
      ['/v1/mint/change', undefined],
      ['/v1/broker/redemptions', shop.apiKey],
    ] as const) {
      const rawBody = '{"coins": [';
      await loopback.refusedWithoutChange(
        () => bank.request('POST', path, { rawBody, ...(token === undefined ? {} : { token }) }),
        400,
        'invalid_message',
      );
    }
  });

  it('an oversized body, with a Content-Length and streamed without one', async () => {
    const { bank, alice, shop } = loopback;
    const [coin] = await withdrawCoins(bank, alice, [5]);
    const padding = 'x'.repeat(maxBody);
    const rawBody = JSON.stringify({ coins: [permissionFor(coin!, shop)], padding });
    await loopback.refusedWithoutChange(
      () => bank.request('POST', '/v1/mint/deposits', { token: shop.apiKey, rawBody }),
      413,
      'payload_too_large',
      [coin!],
    );
    // Chunked transfer: the limit must hold while reading, not only by the announced length.
    const bytes = new TextEncoder().encode(rawBody);
    const streamed = () =>
      fetch(`${bank.url}/v1/mint/deposits`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${shop.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': 'streamed-oversized',
        },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 8_192) {
              controller.enqueue(bytes.subarray(at, at + 8_192));
            }
            controller.close();
          },
        }),
        // Node's fetch needs `duplex` for a stream body; DOM's RequestInit does not name it.
        duplex: 'half',
      } as RequestInit);
    await loopback.refusedWithoutChange(streamed, 413, 'payload_too_large', [coin!]);
  });

  it("a customer asking for another customer's withdrawal, as if it did not exist", async () => {
    const { bank, alice, bob } = loopback;
    const seed = randomWithdrawalSeed();
    const keySet = await fetchKeySet(bank);
    const body = withdrawalBody(
      issuanceIdOf(seed),
      planCoins(seed, [withdrawable(bank, keySet, 10)]),
    );
    await expectStatus(
      await bank.request('POST', '/v1/mint/withdrawals', { token: alice.token, body }),
      200,
    );
    await loopback.refusedWithoutChange(
      () => bank.request('GET', `/v1/mint/withdrawals/${body.issuanceId}`, { token: bob.token }),
      404,
      'not_found',
    );
    // Nor can bob have it by repeating alice's request.
    await loopback.refusedWithoutChange(
      () => bank.request('POST', '/v1/mint/withdrawals', { token: bob.token, body }),
      409,
      'issuance_conflict',
    );
  });

  it('a merchant depositing a permission made for another merchant, who can still use it', async () => {
    const { bank, alice, shop, kiosk } = loopback;
    const [coin] = await withdrawCoins(bank, alice, [2]);
    const forKiosk = permissionFor(coin!, kiosk);
    await loopback.refusedWithoutChange(deposit(shop, [forKiosk]), 400, 'merchant_mismatch', [
      coin!,
    ]);
    await expectStatus(await depositRequest(bank, kiosk, [forKiosk]), 200);
  });

  it('an expired session token with token_expired', async () => {
    const { bank, running } = loopback;
    // Sessions last at least a minute (config.ts) and this bank runs on the real clock, so the
    // test stores a session that has already ended, as the log-in route would have.
    const token = newToken(sessionTokenPrefix);
    const account = (await running.ctx.store.getAccountByName('alice'))!;
    const now = Date.now();
    await running.ctx.store.createSession({
      tokenHash: tokenHash(token),
      accountId: account.id,
      scopes: ['account', 'withdraw'],
      expiresAt: now - 1,
      now: now - day,
    });
    const keySet = await fetchKeySet(bank);
    const seed = randomWithdrawalSeed();
    const body = withdrawalBody(
      issuanceIdOf(seed),
      planCoins(seed, [withdrawable(bank, keySet, 50)]),
    );
    const problem = await loopback.refusedWithoutChange(
      () => bank.request('POST', '/v1/mint/withdrawals', { token, body }),
      401,
      'token_expired',
    );
    expect(problem.detail).toMatch(/log in again/);
    await loopback.refusedWithoutChange(
      () => bank.request('GET', '/v1/accounts/me', { token }),
      401,
      'token_expired',
    );
  });

  it('nothing that `npm run bank -- check` finds unbalanced afterwards', async () => {
    stopped = true;
    const check = await loopback.stopAndCheck();
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain('the books balance');
  }, 30_000);
});
