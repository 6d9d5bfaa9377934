/**
 * The gateway's refusals over HTTP against the real bank, each with its stable code and no
 * money moved, then the books after the mixed run.
 */
import { randomUUID } from 'node:crypto';
import { adminToken, expectProblem, expectStatus } from '@farthing/bank/bank.fixture';
import { amount as money } from '@farthing/protocol/amount';
import { cardAccountDigest } from '@farthing/protocol/set/card-account';
import { cardholderCertificateTemplate } from '@farthing/protocol/set/certificates';
import { signCertificate } from '@farthing/protocol/x509/certificate-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { description, type GatewayFixture, openGatewayFixture } from './gateway.fixture.ts';
import {
  authorizationRequest,
  balances,
  issueCard,
  makePurchase,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
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

describe('refusals, each with no money moved', () => {
  it('refuses a forged dual signature', async () => {
    const purchase = await makePurchase(f.world, f.alice, {
      merchantId: f.shop.name,
      amount: 1_00,
      description,
    });
    const forged = {
      ...purchase,
      dualSignature: purchase.dualSignature.map((b, i) => (i === 0 ? b ^ 1 : b)),
    };
    const body = await authorizationRequest(f.shop, forged);
    await f.refusedWithoutMoney(
      () => post(f.world, f.shop, '/v1/set/authorizations', body),
      400,
      'set_dual_signature_invalid',
    );
  });

  it('refuses OI of another order', async () => {
    const purchase = await makePurchase(f.world, f.alice, {
      merchantId: f.shop.name,
      amount: 1_00,
      description,
    });
    const other = await makePurchase(f.world, f.alice, {
      merchantId: f.shop.name,
      amount: 1_00,
      description: 'another order',
    });
    const body = await authorizationRequest(f.shop, { ...purchase, oiDigest: other.oiDigest });
    await f.refusedWithoutMoney(
      () => post(f.world, f.shop, '/v1/set/authorizations', body),
      400,
      'set_order_mismatch',
    );
  });

  it('refuses PI for another amount, and PI the cardholder made out to another merchant', async () => {
    const cheaper = await makePurchase(f.world, f.alice, {
      merchantId: f.shop.name,
      amount: 20_00,
      description,
      piOverrides: { amount: money('EUR', 1_00) },
    });
    await f.refusedWithoutMoney(
      async () =>
        post(
          f.world,
          f.shop,
          '/v1/set/authorizations',
          await authorizationRequest(f.shop, cheaper),
        ),
      400,
      'set_payment_mismatch',
    );
    // The cardholder paid other-f.shop; card-f.shop submits that payment as its own.
    const forOther = await makePurchase(f.world, f.alice, {
      merchantId: f.otherShop.name,
      amount: 1_00,
      description,
    });
    await f.refusedWithoutMoney(
      async () =>
        post(
          f.world,
          f.shop,
          '/v1/set/authorizations',
          await authorizationRequest(f.shop, forOther),
        ),
      400,
      'set_envelope_invalid',
    );
    // ...or names other-f.shop in its request with its own API key and signature.
    await f.refusedWithoutMoney(
      async () =>
        post(
          f.world,
          f.shop,
          '/v1/set/authorizations',
          await authorizationRequest(f.shop, forOther, { merchantId: f.otherShop.name }),
        ),
      400,
      'merchant_mismatch',
    );
  });

  it('refuses a merchant replaying a PI for another order of its own', async () => {
    const { purchase } = await f.authorize(f.alice, 1_00);
    const replay = { ...purchase, oi: { ...purchase.oi, transactionId: `tx-${randomUUID()}` } };
    await f.refusedWithoutMoney(
      async () =>
        post(f.world, f.shop, '/v1/set/authorizations', await authorizationRequest(f.shop, replay)),
      400,
      'set_envelope_invalid',
    );
  });

  it('refuses a merchant replaying a PI to another gateway', async () => {
    const elsewhere = await openCardWorld();
    try {
      const merchant = await openMerchant(elsewhere, f.shop.name);
      const purchase = await makePurchase(f.world, f.alice, {
        merchantId: f.shop.name,
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
    const purchase = await makePurchase(f.world, f.alice, {
      merchantId: f.shop.name,
      amount: 1_00,
      description,
    });
    const body = await authorizationRequest(f.otherShop, purchase, { merchantId: f.shop.name });
    await f.refusedWithoutMoney(
      () => post(f.world, f.shop, '/v1/set/authorizations', body),
      400,
      'bad_signature',
    );
  });

  it('refuses an authorization signed under a merchant certificate the operator revoked', async () => {
    const revokedShop = await openMerchant(f.world, 'revoked-shop');
    const store = f.world.running.ctx.store;
    const account = await store.getAccountByName('revoked-shop');
    const [certificate] = await store.listMerchantCertificates(account!.id);
    await expectStatus(
      await f.world.bank.request(
        'POST',
        `/v1/admin/merchant-certificates/${certificate!.serial}/revocation`,
        { token: adminToken },
      ),
      200,
    );
    const purchase = await makePurchase(f.world, f.alice, {
      merchantId: revokedShop.name,
      amount: 1_00,
      description,
    });
    await f.refusedWithoutMoney(
      async () =>
        post(
          f.world,
          revokedShop,
          '/v1/set/authorizations',
          await authorizationRequest(revokedShop, purchase),
        ),
      400,
      'bad_signature',
    );
  });

  it('refuses a revoked and an expired cardholder certificate', async () => {
    const carol = await openHttpCustomer(f.world.bank, 'carol', 0, ['account']);
    const cardholder = await registerCardholder(
      f.world,
      carol,
      await issueCard(f.world, carol, 10_00),
    );
    await expectStatus(
      await f.world.bank.request(
        'POST',
        `/v1/admin/set/cardholder-certificates/${cardholder.serial}/revocation`,
        {
          token: adminToken,
        },
      ),
      200,
    );
    const purchase = await makePurchase(f.world, cardholder, {
      merchantId: f.shop.name,
      amount: 1_00,
      description,
    });
    await f.refusedWithoutMoney(
      async () =>
        post(
          f.world,
          f.shop,
          '/v1/set/authorizations',
          await authorizationRequest(f.shop, purchase),
        ),
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
        publicKey: f.alice.signer.publicKey,
        accountDigest: cardAccountDigest(f.alice.card),
      }),
      f.world.running.ctx.ca.issuer,
    );
    const stale = await makePurchase(
      f.world,
      { ...f.alice, certificate: expiredCertificate },
      {
        merchantId: f.shop.name,
        amount: 1_00,
        description,
      },
    );
    await f.refusedWithoutMoney(
      async () =>
        post(f.world, f.shop, '/v1/set/authorizations', await authorizationRequest(f.shop, stale)),
      410,
      'certificate_expired',
    );
  });

  it('refuses a card over its limit', async () => {
    const dave = await openHttpCustomer(f.world.bank, 'dave', 0, ['account']);
    const cardholder = await registerCardholder(
      f.world,
      dave,
      await issueCard(f.world, dave, 10_00),
    );
    const purchase = await makePurchase(f.world, cardholder, {
      merchantId: f.shop.name,
      amount: 10_01,
      description,
    });
    await f.refusedWithoutMoney(
      async () =>
        post(
          f.world,
          f.shop,
          '/v1/set/authorizations',
          await authorizationRequest(f.shop, purchase),
        ),
      402,
      'card_over_limit',
    );
  });

  it('refuses a capture above the authorization, a second capture and a reversal after capture', async () => {
    const { purchase } = await f.authorize(f.alice, 2_00);
    const id = purchase.oi.transactionId;
    await f.refusedWithoutMoney(
      () => f.operate('captures', 'capture-request', id, 0),
      400,
      'invalid_amount',
    );
    await f.refusedWithoutMoney(
      () => f.operate('captures', 'capture-request', id, 2_01),
      409,
      'set_capture_exceeds_authorization',
    );
    await expectStatus(await f.operate('captures', 'capture-request', id, 2_00), 200);
    await f.refusedWithoutMoney(
      () => f.operate('captures', 'capture-request', id, 2_00),
      409,
      'set_already_captured',
    );
    await f.refusedWithoutMoney(
      () => f.operate('authorization-reversals', 'authorization-reversal-request', id, 2_00),
      409,
      'set_already_captured',
    );
    await f.refusedWithoutMoney(
      () => f.credit('credits', id, 'big', 2_01),
      409,
      'set_credit_exceeds_capture',
    );
  });
});

describe('after the mixed run', () => {
  it('the books balance, card holds and card credit included', async () => {
    const report = await f.world.running.ctx.store.checkInvariants();
    expect(report.problems).toEqual([]);
    expect(report.totals.cardCredit).toBeLessThan(0);
  });
});
