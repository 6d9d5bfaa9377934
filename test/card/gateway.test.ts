/**
 * SET card payments over HTTP against the real bank: cardholder registration and certificate
 * query, authorization, sale, capture, the reversals and credits, and retries.
 */
import { randomUUID } from 'node:crypto';
import { adminToken, expectProblem, expectStatus } from '@farthing/bank/bank.fixture';
import { amount as money } from '@farthing/protocol/amount';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { description, type GatewayFixture, openGatewayFixture } from './gateway.fixture.ts';
import {
  authorizationRequest,
  balances,
  gatewayAnswer,
  issueCard,
  makePurchase,
  openHttpCustomer,
  post,
  registerCardholder,
} from './world.ts';

let f: GatewayFixture;
beforeAll(async () => {
  f = await openGatewayFixture();
}, 60_000);
afterAll(async () => {
  await f?.close();
});

describe('cardholder CA', () => {
  it('certifies the key for the card without putting the card number in the certificate', () => {
    expect(Buffer.from(f.alice.certificate).includes(Buffer.from(f.alice.card.pan))).toBe(false);
  });

  it('answers a certificate query signed by the registered key, and shows a revocation', async () => {
    const bob = await openHttpCustomer(f.world.bank, 'bob', 0, ['account']);
    const cardholder = await registerCardholder(f.world, bob, await issueCard(f.world, bob, 10_00));
    const { signSetMessage, setMessageToWire } = await import('@farthing/protocol/set/messages');
    const query = async () =>
      setMessageToWire(
        await signSetMessage(
          'certificate-query',
          { registrationId: cardholder.registrationId, requestedAt: Date.now() },
          cardholder.signer,
        ),
      );
    const issued = gatewayAnswer(
      f.world,
      'certificate-query-response',
      await expectStatus(
        await f.world.bank.request('POST', '/v1/set/certificate-queries', { body: await query() }),
        200,
      ),
    );
    expect(issued.status).toBe('issued');
    expect(issued.certificates[0]).toEqual(cardholder.certificate);
    await expectStatus(
      await f.world.bank.request(
        'POST',
        `/v1/admin/set/cardholder-certificates/${cardholder.serial}/revocation`,
        { token: adminToken },
      ),
      200,
    );
    const revoked = gatewayAnswer(
      f.world,
      'certificate-query-response',
      await expectStatus(
        await f.world.bank.request('POST', '/v1/set/certificate-queries', { body: await query() }),
        200,
      ),
    );
    expect(revoked.status).toBe('revoked');
  });

  it("refuses another customer's card as unknown", async () => {
    const mallory = await openHttpCustomer(f.world.bank, 'mallory', 0, ['account']);
    const { registrationMessage } = await import('./world.ts');
    const { ed25519Signer, randomSecretKey } = await import('@farthing/protocol/ed25519');
    const { setMessageToWire } = await import('@farthing/protocol/set/messages');
    const message = await registrationMessage(
      f.world,
      ed25519Signer(randomSecretKey()),
      f.alice.card,
      `reg-${randomUUID()}`,
    );
    const problem = await expectProblem(
      await f.world.bank.request('POST', '/v1/set/cardholder-registrations', {
        token: mallory.token,
        body: setMessageToWire(message),
      }),
      404,
    );
    expect(problem.code).toBe('card_unknown');
  });
});

describe('payment gateway', () => {
  it('holds on authorization, then captures part and releases the rest', async () => {
    const before = await balances(f.world, f.shop.name);
    const { purchase, answer } = await f.authorize(f.alice, 12_00);
    expect(answer.status).toBe('authorized');
    const held = await balances(f.world, f.shop.name);
    expect(held['system:card-holds']! - before['system:card-holds']!).toBe(12_00);
    expect(held['system:card-credit']! - before['system:card-credit']!).toBe(-12_00);
    expect(held[f.shop.name]).toBe(before[f.shop.name]);

    const captured = gatewayAnswer(
      f.world,
      'capture-response',
      await expectStatus(
        await f.operate('captures', 'capture-request', purchase.oi.transactionId, 10_00),
        200,
      ),
    );
    expect(captured).toMatchObject({ status: 'captured', captured: money('EUR', 10_00) });
    const after = await balances(f.world, f.shop.name);
    expect(after[f.shop.name]! - before[f.shop.name]!).toBe(10_00);
    expect(after['system:card-holds']).toBe(before['system:card-holds']);
    expect(after['system:card-credit']! - before['system:card-credit']!).toBe(-10_00);
  });

  it('pays the merchant at once on a sale, credits part back, and reverses the credit', async () => {
    const before = await balances(f.world, f.shop.name);
    const { purchase, answer } = await f.authorize(f.alice, 5_00, { capture: true });
    expect(answer).toMatchObject({ status: 'captured', captured: money('EUR', 5_00) });
    const id = purchase.oi.transactionId;
    gatewayAnswer(
      f.world,
      'credit-response',
      await expectStatus(await f.credit('credits', id, 'c1', 2_00), 200),
    );
    expect((await balances(f.world, f.shop.name))[f.shop.name]! - before[f.shop.name]!).toBe(3_00);
    const reversed = gatewayAnswer(
      f.world,
      'credit-reversal-response',
      await expectStatus(await f.credit('credit-reversals', id, 'c1', 2_00), 200),
    );
    expect(reversed.credited).toEqual(money('EUR', 0));
    expect((await balances(f.world, f.shop.name))[f.shop.name]! - before[f.shop.name]!).toBe(5_00);
    await f.refusedWithoutMoney(
      () => f.credit('credit-reversals', id, 'c1', 2_00),
      409,
      'set_credit_reversed',
    );
    await f.refusedWithoutMoney(
      () => f.credit('credits', id, 'c2', 5_01),
      409,
      'set_credit_exceeds_capture',
    );
  });

  it('releases the hold on an authorization reversal and refuses a capture after it', async () => {
    const before = await balances(f.world, f.shop.name);
    const { purchase } = await f.authorize(f.alice, 4_00);
    const id = purchase.oi.transactionId;
    gatewayAnswer(
      f.world,
      'authorization-reversal-response',
      await expectStatus(
        await f.operate('authorization-reversals', 'authorization-reversal-request', id, 4_00),
        200,
      ),
    );
    expect(await balances(f.world, f.shop.name)).toEqual(before);
    await f.refusedWithoutMoney(
      () => f.operate('captures', 'capture-request', id, 4_00),
      409,
      'set_authorization_reversed',
    );
  });

  it('returns the money on a capture reversal', async () => {
    const before = await balances(f.world, f.shop.name);
    const { purchase } = await f.authorize(f.alice, 3_00, { capture: true });
    gatewayAnswer(
      f.world,
      'capture-reversal-response',
      await expectStatus(
        await f.operate(
          'capture-reversals',
          'capture-reversal-request',
          purchase.oi.transactionId,
          3_00,
        ),
        200,
      ),
    );
    expect(await balances(f.world, f.shop.name)).toEqual(before);
  });

  it('answers a retry with the same Idempotency-Key once, and refuses a replay under a new key', async () => {
    const before = await balances(f.world, f.shop.name);
    const purchase = await makePurchase(f.world, f.alice, {
      merchantId: f.shop.name,
      amount: 1_00,
      description,
    });
    const body = await authorizationRequest(f.shop, purchase);
    const key = randomUUID();
    const first = await expectStatus(
      await post(f.world, f.shop, '/v1/set/authorizations', body, key),
      201,
    );
    const retry = await expectStatus(
      await post(f.world, f.shop, '/v1/set/authorizations', body, key),
      201,
    );
    expect(retry).toEqual(first);
    const held = await balances(f.world, f.shop.name);
    expect(held['system:card-holds']! - before['system:card-holds']!).toBe(1_00);
    await f.refusedWithoutMoney(
      () => post(f.world, f.shop, '/v1/set/authorizations', body),
      409,
      'set_transaction_replayed',
    );
  });
});
