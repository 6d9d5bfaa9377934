import { amount } from '@farthing/protocol/amount';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { verifyPaywordUserCertificate } from '@farthing/protocol/payword/certificate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  balanceOf,
  expectStatus,
  openCustomer,
  openMerchant,
  type TestBank,
  type TestCustomer,
} from '../bank.fixture.ts';
import {
  heldBalance,
  openBrokerTestBank,
  openPaywordCustomer,
  requestCertificate,
} from './broker.fixture.ts';
import { createBroker } from './broker.ts';
import { issueUserCertificate } from './certificates.ts';

let bank: TestBank;
let alice: TestCustomer;

beforeEach(async () => {
  bank = await openBrokerTestBank();
  alice = await openPaywordCustomer(bank, 'alice', 2_000);
});

afterEach(async () => {
  const report = await bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  await bank.close();
});

const books = async () => ({
  alice: await balanceOf(bank, 'alice'),
  held: await heldBalance(bank),
});

function issue(body: unknown, token = alice.token, idempotencyKey?: string) {
  return bank.request('POST', '/v1/broker/certificates', {
    token,
    body,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
}

describe('GET /v1/broker/key', () => {
  it("publishes the broker's id and the key that verifies its certificates", async () => {
    const key = await expectStatus<{ brokerId: string; algorithm: string; publicKey: string }>(
      await bank.request('GET', '/v1/broker/key'),
      200,
    );
    expect(key).toEqual({
      brokerId: 'farthing-bank',
      algorithm: 'Ed25519',
      publicKey: toBase64url(bank.ctx.keys.broker.publicKey),
    });
    const wallet = await requestCertificate(bank, alice, 'EUR 1.00');
    expect(() =>
      verifyPaywordUserCertificate(wallet.certificate, {
        brokerPublicKey: fromBase64url(key.publicKey, 'publicKey', 32),
        now: bank.clock.now,
      }),
    ).not.toThrow();
  });

  it('documents the broker routes in the OpenAPI document', async () => {
    const document = await expectStatus<{ paths: Record<string, unknown> }>(
      await bank.request('GET', '/v1/openapi.json'),
      200,
    );
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/broker/key',
        '/v1/broker/certificates',
        '/v1/broker/certificates/{serial}',
        '/v1/broker/redemptions',
      ]),
    );
  });
});

describe('POST /v1/broker/certificates', () => {
  it('issues a signed certificate for the user key and holds the credit limit', async () => {
    const wallet = await requestCertificate(bank, alice, 'EUR 5.00');
    const { certificate } = wallet;

    expect(certificate).toMatchObject({
      brokerId: 'farthing-bank',
      userId: 'alice',
      issuedAt: bank.clock.now,
      expiresAt: bank.clock.now + 30 * 86_400_000,
      creditLimit: amount('EUR', 500),
    });
    expect(certificate.userPublicKey).toEqual(wallet.signer.publicKey);
    expect(Number.isSafeInteger(certificate.serial) && certificate.serial > 0).toBe(true);
    expect(await books()).toEqual({ alice: 1_500, held: 500 });
    const record = await bank.store.getPaywordCertificate(certificate.serial);
    expect(record).toMatchObject({ accountId: alice.id, creditLimit: 500, redeemed: 0 });
    expect(JSON.parse(record!.certificate)).toEqual(wallet.certificateJson);
  });

  it('issues for the requested validity', async () => {
    const wallet = await requestCertificate(bank, alice, 'EUR 1.00', 3_600);
    expect(wallet.certificate.expiresAt).toBe(bank.clock.now + 3_600_000);
  });

  it('refuses a limit the balance cannot cover and changes nothing', async () => {
    const signer = ed25519Signer(randomSecretKey());
    const response = await issue({
      userPublicKey: toBase64url(signer.publicKey),
      creditLimit: 'EUR 20.01',
    });
    expect(await expectStatus(response, 409)).toMatchObject({ code: 'insufficient_funds' });
    expect(await books()).toEqual({ alice: 2_000, held: 0 });
  });

  it.each([
    ['a zero limit', { creditLimit: 'EUR 0.00' }, 'invalid_amount'],
    ['a limit above EUR 1,000', { creditLimit: 'EUR 1000.01' }, 'invalid_amount'],
    ['another currency', { creditLimit: 'USD 1.00' }, 'currency_mismatch'],
    ['a validity beyond 90 days', { validForSeconds: 90 * 86_400 + 1 }, 'invalid_message'],
    ['a validity under a minute', { validForSeconds: 59 }, 'invalid_message'],
    ['a short public key', { userPublicKey: toBase64url(new Uint8Array(31)) }, 'invalid_encoding'],
    ['an unknown field', { note: 'hi' }, 'invalid_message'],
  ])('refuses %s with 400 and changes nothing', async (_, change, code) => {
    const signer = ed25519Signer(randomSecretKey());
    const response = await issue({
      userPublicKey: toBase64url(signer.publicKey),
      creditLimit: 'EUR 1.00',
      ...change,
    });
    expect(await expectStatus(response, 400)).toMatchObject({ code });
    expect(await books()).toEqual({ alice: 2_000, held: 0 });
  });

  it('needs a customer session with the payword scope', async () => {
    const shop = await openMerchant(bank, 'shop');
    const bob = await openCustomer(bank, 'bob', 1_000, ['account']);
    const body = {
      userPublicKey: toBase64url(new Uint8Array(32).fill(9)),
      creditLimit: 'EUR 1.00',
    };
    expect(await expectStatus(await issue(body, bob.token), 403)).toMatchObject({
      code: 'insufficient_scope',
    });
    expect(await expectStatus(await issue(body, shop.apiKey), 401)).toMatchObject({
      code: 'unauthorized',
    });
    expect(await balanceOf(bank, 'bob')).toBe(1_000);
  });

  it('answers an Idempotency-Key retry with the same certificate and holds once', async () => {
    const body = {
      userPublicKey: toBase64url(new Uint8Array(32).fill(7)),
      creditLimit: 'EUR 2.00',
    };
    const first = await expectStatus(await issue(body, alice.token, 'cert-1'), 201);
    const retry = await expectStatus(await issue(body, alice.token, 'cert-1'), 201);
    expect(retry).toEqual(first);
    expect(await books()).toEqual({ alice: 1_800, held: 200 });

    const other = await issue({ ...body, creditLimit: 'EUR 3.00' }, alice.token, 'cert-1');
    expect(await expectStatus(other, 422)).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await books()).toEqual({ alice: 1_800, held: 200 });
  });

  it('draws a new serial when the random one is taken', async () => {
    const serials = [42, 42, 43];
    const broker = createBroker(bank.ctx, { randomSerial: () => serials.shift()! });
    const account = (await bank.store.getAccount(alice.id))!;
    const params = {
      account,
      userPublicKey: new Uint8Array(32).fill(5),
      creditLimit: amount('EUR', 100),
    };
    const first = await issueUserCertificate(broker, params);
    const second = await issueUserCertificate(broker, params);
    expect([first.serial, second.serial]).toEqual([42, 43]);
    expect(serials).toEqual([]);
    expect(await books()).toEqual({ alice: 1_800, held: 200 });
  });
});

describe('GET /v1/broker/certificates/:serial', () => {
  it("shows the owner the certificate's credit, redemptions and expiry", async () => {
    const wallet = await requestCertificate(bank, alice, 'EUR 5.00');
    const status = await expectStatus(
      await bank.request('GET', `/v1/broker/certificates/${wallet.certificate.serial}`, {
        token: alice.token,
      }),
      200,
    );
    expect(status).toEqual({
      serial: wallet.certificate.serial,
      creditLimit: 'EUR 5.00',
      redeemed: 'EUR 0.00',
      remaining: 'EUR 5.00',
      issuedAt: bank.clock.now,
      expiresAt: wallet.certificate.expiresAt,
      redeemableUntil: wallet.certificate.expiresAt + bank.ctx.config.paywordRedeemGraceMs,
      released: false,
      releasedAt: null,
      certificate: wallet.certificateJson,
    });
  });

  it("answers not_found for another customer's certificate and for a malformed serial", async () => {
    const wallet = await requestCertificate(bank, alice, 'EUR 5.00');
    const bob = await openPaywordCustomer(bank, 'bob', 0);
    for (const [path, token] of [
      [`/v1/broker/certificates/${wallet.certificate.serial}`, bob.token],
      ['/v1/broker/certificates/0x10', alice.token],
      ['/v1/broker/certificates/99999999999999999', alice.token],
    ] as const) {
      expect(await expectStatus(await bank.request('GET', path, { token }), 404)).toMatchObject({
        code: 'not_found',
      });
    }
  });
});
