/**
 * SET card payments over HTTP against the real bank: cardholder registration and certificate
 * query, authorization, sale, capture, the reversals and credits, every refusal with its code
 * and no money moved, and the books after the mixed run.
 */
import { randomUUID } from 'node:crypto';
import { amount as money } from '@farthing/protocol/amount';
import { cardAccountDigest } from '@farthing/protocol/set/card-account';
import { cardholderCertificateTemplate } from '@farthing/protocol/set/certificates';
import { signCertificate } from '@farthing/protocol/x509/certificate-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, expectProblem, expectStatus } from '../../bank/src/testing.ts';
import {
  authorizationRequest,
  balances,
  type Cardholder,
  type CardWorld,
  gatewayAnswer,
  issueCard,
  type Merchant,
  makePurchase,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
  post,
  registerCardholder,
  signedRequest,
} from './world.ts';

let world: CardWorld;
let shop: Merchant;
let otherShop: Merchant;
let alice: Cardholder;

const description = 'Order 1: 2 × Farthing enamel mug, 1 × Gazette tote bag';

beforeAll(async () => {
  world = await openCardWorld();
  shop = await openMerchant(world, 'card-shop');
  otherShop = await openMerchant(world, 'other-shop');
  const customer = await openHttpCustomer(world.bank, 'alice', 0, ['account']);
  alice = await registerCardholder(world, customer, await issueCard(world, customer, 50_00));
}, 60_000);

afterAll(async () => {
  await world?.close();
});

async function authorize(
  cardholder: Cardholder,
  amount: number,
  options: { capture?: boolean } = {},
) {
  const purchase = await makePurchase(world, cardholder, {
    merchantId: shop.name,
    amount,
    description,
  });
  const body = await authorizationRequest(shop, purchase, options);
  const answer = gatewayAnswer(
    world,
    'authorization-response',
    await expectStatus(await post(world, shop, '/v1/set/authorizations', body), 201),
  );
  return { purchase, answer, body };
}

async function operate(
  path: string,
  type: 'capture-request' | 'authorization-reversal-request' | 'capture-reversal-request',
  transactionId: string,
  amount: number,
) {
  return post(
    world,
    shop,
    `/v1/set/${path}`,
    await signedRequest(shop, type, {
      transactionId,
      merchantId: shop.name,
      amount: money('EUR', amount),
      requestedAt: Date.now(),
    }),
  );
}

async function credit(
  path: 'credits' | 'credit-reversals',
  transactionId: string,
  creditId: string,
  amount: number,
) {
  return post(
    world,
    shop,
    `/v1/set/${path}`,
    await signedRequest(shop, path === 'credits' ? 'credit-request' : 'credit-reversal-request', {
      transactionId,
      merchantId: shop.name,
      creditId,
      amount: money('EUR', amount),
      requestedAt: Date.now(),
    }),
  );
}

/** Runs `attempt`, expects the refusal, and that no balance moved. */
async function refusedWithoutMoney(
  attempt: () => Promise<Response>,
  status: number,
  code: string,
): Promise<void> {
  const before = await balances(world, shop.name, otherShop.name, 'alice');
  const problem = await expectProblem(await attempt(), status);
  expect(problem.code).toBe(code);
  expect(await balances(world, shop.name, otherShop.name, 'alice')).toEqual(before);
}

describe('cardholder CA', () => {
  it('certifies the key for the card without putting the card number in the certificate', () => {
    expect(Buffer.from(alice.certificate).includes(Buffer.from(alice.card.pan))).toBe(false);
  });

  it('answers a certificate query signed by the registered key, and shows a revocation', async () => {
    const bob = await openHttpCustomer(world.bank, 'bob', 0, ['account']);
    const cardholder = await registerCardholder(world, bob, await issueCard(world, bob, 10_00));
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
      world,
      'certificate-query-response',
      await expectStatus(
        await world.bank.request('POST', '/v1/set/certificate-queries', { body: await query() }),
        200,
      ),
    );
    expect(issued.status).toBe('issued');
    expect(issued.certificates[0]).toEqual(cardholder.certificate);
    await expectStatus(
      await world.bank.request(
        'POST',
        `/v1/admin/set/cardholder-certificates/${cardholder.serial}/revocation`,
        { token: adminToken },
      ),
      200,
    );
    const revoked = gatewayAnswer(
      world,
      'certificate-query-response',
      await expectStatus(
        await world.bank.request('POST', '/v1/set/certificate-queries', { body: await query() }),
        200,
      ),
    );
    expect(revoked.status).toBe('revoked');
  });

  it("refuses another customer's card as unknown", async () => {
    const mallory = await openHttpCustomer(world.bank, 'mallory', 0, ['account']);
    const { registrationMessage } = await import('./world.ts');
    const { ed25519Signer, randomSecretKey } = await import('@farthing/protocol/ed25519');
    const { setMessageToWire } = await import('@farthing/protocol/set/messages');
    const message = await registrationMessage(
      world,
      ed25519Signer(randomSecretKey()),
      alice.card,
      `reg-${randomUUID()}`,
    );
    const problem = await expectProblem(
      await world.bank.request('POST', '/v1/set/cardholder-registrations', {
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
    const before = await balances(world, shop.name);
    const { purchase, answer } = await authorize(alice, 12_00);
    expect(answer.status).toBe('authorized');
    const held = await balances(world, shop.name);
    expect(held['system:card-holds']! - before['system:card-holds']!).toBe(12_00);
    expect(held['system:card-credit']! - before['system:card-credit']!).toBe(-12_00);
    expect(held[shop.name]).toBe(before[shop.name]);

    const captured = gatewayAnswer(
      world,
      'capture-response',
      await expectStatus(
        await operate('captures', 'capture-request', purchase.oi.transactionId, 10_00),
        200,
      ),
    );
    expect(captured).toMatchObject({ status: 'captured', captured: money('EUR', 10_00) });
    const after = await balances(world, shop.name);
    expect(after[shop.name]! - before[shop.name]!).toBe(10_00);
    expect(after['system:card-holds']).toBe(before['system:card-holds']);
    expect(after['system:card-credit']! - before['system:card-credit']!).toBe(-10_00);
  });

  it('pays the merchant at once on a sale, credits part back, and reverses the credit', async () => {
    const before = await balances(world, shop.name);
    const { purchase, answer } = await authorize(alice, 5_00, { capture: true });
    expect(answer).toMatchObject({ status: 'captured', captured: money('EUR', 5_00) });
    const id = purchase.oi.transactionId;
    gatewayAnswer(
      world,
      'credit-response',
      await expectStatus(await credit('credits', id, 'c1', 2_00), 200),
    );
    expect((await balances(world, shop.name))[shop.name]! - before[shop.name]!).toBe(3_00);
    const reversed = gatewayAnswer(
      world,
      'credit-reversal-response',
      await expectStatus(await credit('credit-reversals', id, 'c1', 2_00), 200),
    );
    expect(reversed.credited).toEqual(money('EUR', 0));
    expect((await balances(world, shop.name))[shop.name]! - before[shop.name]!).toBe(5_00);
    await refusedWithoutMoney(
      () => credit('credit-reversals', id, 'c1', 2_00),
      409,
      'set_credit_reversed',
    );
    await refusedWithoutMoney(
      () => credit('credits', id, 'c2', 5_01),
      409,
      'set_credit_exceeds_capture',
    );
  });

  it('releases the hold on an authorization reversal and refuses a capture after it', async () => {
    const before = await balances(world, shop.name);
    const { purchase } = await authorize(alice, 4_00);
    const id = purchase.oi.transactionId;
    gatewayAnswer(
      world,
      'authorization-reversal-response',
      await expectStatus(
        await operate('authorization-reversals', 'authorization-reversal-request', id, 4_00),
        200,
      ),
    );
    expect(await balances(world, shop.name)).toEqual(before);
    await refusedWithoutMoney(
      () => operate('captures', 'capture-request', id, 4_00),
      409,
      'set_authorization_reversed',
    );
  });

  it('returns the money on a capture reversal', async () => {
    const before = await balances(world, shop.name);
    const { purchase } = await authorize(alice, 3_00, { capture: true });
    gatewayAnswer(
      world,
      'capture-reversal-response',
      await expectStatus(
        await operate(
          'capture-reversals',
          'capture-reversal-request',
          purchase.oi.transactionId,
          3_00,
        ),
        200,
      ),
    );
    expect(await balances(world, shop.name)).toEqual(before);
  });

  it('answers a retry with the same Idempotency-Key once, and refuses a replay under a new key', async () => {
    const before = await balances(world, shop.name);
    const purchase = await makePurchase(world, alice, {
      merchantId: shop.name,
      amount: 1_00,
      description,
    });
    const body = await authorizationRequest(shop, purchase);
    const key = randomUUID();
    const first = await expectStatus(
      await post(world, shop, '/v1/set/authorizations', body, key),
      201,
    );
    const retry = await expectStatus(
      await post(world, shop, '/v1/set/authorizations', body, key),
      201,
    );
    expect(retry).toEqual(first);
    const held = await balances(world, shop.name);
    expect(held['system:card-holds']! - before['system:card-holds']!).toBe(1_00);
    await refusedWithoutMoney(
      () => post(world, shop, '/v1/set/authorizations', body),
      409,
      'set_transaction_replayed',
    );
  });
});

describe('refusals, each with no money moved', () => {
  it('refuses a forged dual signature', async () => {
    const purchase = await makePurchase(world, alice, {
      merchantId: shop.name,
      amount: 1_00,
      description,
    });
    const forged = {
      ...purchase,
      dualSignature: purchase.dualSignature.map((b, i) => (i === 0 ? b ^ 1 : b)),
    };
    const body = await authorizationRequest(shop, forged);
    await refusedWithoutMoney(
      () => post(world, shop, '/v1/set/authorizations', body),
      400,
      'set_dual_signature_invalid',
    );
  });

  it('refuses OI of another order', async () => {
    const purchase = await makePurchase(world, alice, {
      merchantId: shop.name,
      amount: 1_00,
      description,
    });
    const other = await makePurchase(world, alice, {
      merchantId: shop.name,
      amount: 1_00,
      description: 'another order',
    });
    const body = await authorizationRequest(shop, { ...purchase, oiDigest: other.oiDigest });
    await refusedWithoutMoney(
      () => post(world, shop, '/v1/set/authorizations', body),
      400,
      'set_order_mismatch',
    );
  });

  it('refuses PI for another amount, and PI the cardholder made out to another merchant', async () => {
    const cheaper = await makePurchase(world, alice, {
      merchantId: shop.name,
      amount: 20_00,
      description,
      piOverrides: { amount: money('EUR', 1_00) },
    });
    await refusedWithoutMoney(
      async () =>
        post(world, shop, '/v1/set/authorizations', await authorizationRequest(shop, cheaper)),
      400,
      'set_payment_mismatch',
    );
    // The cardholder paid other-shop; card-shop submits that payment as its own.
    const forOther = await makePurchase(world, alice, {
      merchantId: otherShop.name,
      amount: 1_00,
      description,
    });
    await refusedWithoutMoney(
      async () =>
        post(world, shop, '/v1/set/authorizations', await authorizationRequest(shop, forOther)),
      400,
      'set_envelope_invalid',
    );
    // ...or names other-shop in its request with its own API key and signature.
    await refusedWithoutMoney(
      async () =>
        post(
          world,
          shop,
          '/v1/set/authorizations',
          await authorizationRequest(shop, forOther, { merchantId: otherShop.name }),
        ),
      400,
      'merchant_mismatch',
    );
  });

  it('refuses a merchant replaying a PI for another order of its own', async () => {
    const { purchase } = await authorize(alice, 1_00);
    const replay = { ...purchase, oi: { ...purchase.oi, transactionId: `tx-${randomUUID()}` } };
    await refusedWithoutMoney(
      async () =>
        post(world, shop, '/v1/set/authorizations', await authorizationRequest(shop, replay)),
      400,
      'set_envelope_invalid',
    );
  });

  it('refuses a merchant replaying a PI to another gateway', async () => {
    const elsewhere = await openCardWorld();
    try {
      const merchant = await openMerchant(elsewhere, shop.name);
      const purchase = await makePurchase(world, alice, {
        merchantId: shop.name,
        amount: 1_00,
        description,
      });
      const before = await balances(elsewhere, merchant.name);
      const problem = await expectProblem(
        await post(
          elsewhere,
          merchant,
          '/v1/set/authorizations',
          await authorizationRequest(merchant, purchase),
        ),
        400,
      );
      expect(problem.code).toBe('set_envelope_invalid');
      expect(await balances(elsewhere, merchant.name)).toEqual(before);
    } finally {
      await elsewhere.close();
    }
  }, 60_000);

  it('refuses a request not signed by the merchant', async () => {
    const purchase = await makePurchase(world, alice, {
      merchantId: shop.name,
      amount: 1_00,
      description,
    });
    const body = await authorizationRequest(otherShop, purchase, { merchantId: shop.name });
    await refusedWithoutMoney(
      () => post(world, shop, '/v1/set/authorizations', body),
      400,
      'bad_signature',
    );
  });

  it('refuses a revoked and an expired cardholder certificate', async () => {
    const carol = await openHttpCustomer(world.bank, 'carol', 0, ['account']);
    const cardholder = await registerCardholder(world, carol, await issueCard(world, carol, 10_00));
    await expectStatus(
      await world.bank.request(
        'POST',
        `/v1/admin/set/cardholder-certificates/${cardholder.serial}/revocation`,
        {
          token: adminToken,
        },
      ),
      200,
    );
    const purchase = await makePurchase(world, cardholder, {
      merchantId: shop.name,
      amount: 1_00,
      description,
    });
    await refusedWithoutMoney(
      async () =>
        post(world, shop, '/v1/set/authorizations', await authorizationRequest(shop, purchase)),
      403,
      'set_cardholder_revoked',
    );

    // A certificate from the bank's own CA whose validity has ended.
    const now = Date.now();
    const expiredCertificate = await signCertificate(
      cardholderCertificateTemplate({
        serialNumber: Uint8Array.of(0x42, 0x42),
        notBefore: now - 10 * 86_400_000,
        notAfter: now - 86_400_000,
        publicKey: alice.signer.publicKey,
        accountDigest: cardAccountDigest(alice.card),
      }),
      world.running.ctx.ca.issuer,
    );
    const stale = await makePurchase(
      world,
      { ...alice, certificate: expiredCertificate },
      {
        merchantId: shop.name,
        amount: 1_00,
        description,
      },
    );
    await refusedWithoutMoney(
      async () =>
        post(world, shop, '/v1/set/authorizations', await authorizationRequest(shop, stale)),
      410,
      'certificate_expired',
    );
  });

  it('refuses a card over its limit', async () => {
    const dave = await openHttpCustomer(world.bank, 'dave', 0, ['account']);
    const cardholder = await registerCardholder(world, dave, await issueCard(world, dave, 10_00));
    const purchase = await makePurchase(world, cardholder, {
      merchantId: shop.name,
      amount: 10_01,
      description,
    });
    await refusedWithoutMoney(
      async () =>
        post(world, shop, '/v1/set/authorizations', await authorizationRequest(shop, purchase)),
      402,
      'card_over_limit',
    );
  });

  it('refuses a capture above the authorization, a second capture and a reversal after capture', async () => {
    const { purchase } = await authorize(alice, 2_00);
    const id = purchase.oi.transactionId;
    await refusedWithoutMoney(
      () => operate('captures', 'capture-request', id, 0),
      400,
      'invalid_amount',
    );
    await refusedWithoutMoney(
      () => operate('captures', 'capture-request', id, 2_01),
      409,
      'set_capture_exceeds_authorization',
    );
    await expectStatus(await operate('captures', 'capture-request', id, 2_00), 200);
    await refusedWithoutMoney(
      () => operate('captures', 'capture-request', id, 2_00),
      409,
      'set_already_captured',
    );
    await refusedWithoutMoney(
      () => operate('authorization-reversals', 'authorization-reversal-request', id, 2_00),
      409,
      'set_already_captured',
    );
    await refusedWithoutMoney(
      () => credit('credits', id, 'big', 2_01),
      409,
      'set_credit_exceeds_capture',
    );
  });
});

describe('after the mixed run', () => {
  it('the books balance, card holds and card credit included', async () => {
    const report = await world.running.ctx.store.checkInvariants();
    expect(report.problems).toEqual([]);
    expect(report.totals.cardCredit).toBeLessThan(0);
  });
});
