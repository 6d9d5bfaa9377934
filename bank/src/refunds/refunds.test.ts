/**
 * Refunds over the bank's HTTP API alone (the SDK's side is test/refunds/): who may sign a
 * refund, which deposit it may name, and the refresh of refunded coins. Every refusal leaves
 * the merchant's balance as it was; the books balance after each test. The bank runs on SQLite
 * and on PostgreSQL (a throwaway server, store-backends.fixture.ts).
 */
import { randomBytes } from 'node:crypto';
import { amount } from '@farthing/protocol/amount';
import { refundRefreshes } from '@farthing/protocol/coin/refund-refresh';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { refunds, signRefund } from '@farthing/protocol/refund';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
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
import {
  depositRequest,
  fetchKeySet,
  finalizeCoins,
  issuanceIdOf,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawable,
  withdrawCoins,
} from '../mint/mint.fixture.ts';
import { postgresBackend, type StoreBackend } from '../store/store-backends.fixture.ts';

const offerSigner = ed25519Signer(new Uint8Array(32).fill(0x4d));
let bank: TestBank;
let shop: TestMerchant;
let other: TestMerchant;
let carol: TestCustomer;

async function certify(merchant: TestMerchant, signer = offerSigner): Promise<void> {
  const registration = await signMerchantRegistration(
    {
      merchantId: merchant.name,
      name: `Merchant ${merchant.name}`,
      origins: [`http://127.0.0.1:${merchant.id + 9000}`],
      bankId: bank.ctx.config.bankId,
      createdAt: bank.clock.now,
    },
    signer,
  );
  await expectStatus(
    await bank.request('POST', '/v1/merchants/me/certificates', {
      token: merchant.apiKey,
      body: merchantRegistrations.signedToWire(registration),
    }),
    201,
  );
}

/** Opens the bank (on `backend`, SQLite in its data folder without one) and its parties. */
async function openBank(backend?: StoreBackend): Promise<void> {
  const url = await backend?.newDatabase();
  bank = await openTestBank({
    coinValues: [1, 2, 5],
    ...(backend === undefined ? {} : { openStore: () => backend.open(url!) }),
  });
  shop = await openMerchant(bank, 'shop');
  other = await openMerchant(bank, 'other');
  carol = await openCustomer(bank, 'carol', 1_000);
  await certify(shop);
  await certify(other, ed25519Signer(new Uint8Array(32).fill(0x6f)));
}

/** Coins of `values` deposited by `merchant` for a fresh offer, under `depositId`. */
async function deposited(merchant: TestMerchant, values: readonly number[]) {
  const coins = await withdrawCoins(bank, carol, values);
  const offerHash = randomBytes(32);
  const depositId = `d-${randomBytes(8).toString('hex')}`;
  await expectStatus(
    await depositRequest(
      bank,
      merchant,
      coins.map((coin) => permissionFor(coin, merchant, { offerHash })),
      { depositId },
    ),
    200,
  );
  return { coins, offerHash, depositId };
}

async function refundBody(
  payment: { offerHash: Uint8Array; depositId: string },
  minor: number,
  options: { merchantId?: string; signer?: typeof offerSigner; paid?: number } = {},
) {
  return refunds.signedToWire(
    await signRefund(
      {
        merchantId: options.merchantId ?? 'shop',
        receiptId: randomBytes(16),
        offerHash: payment.offerHash,
        instrument: 'ecash',
        payment: payment.depositId,
        paid: amount('EUR', options.paid ?? 5),
        amount: amount('EUR', minor),
        refundId: `r-${randomBytes(6).toString('hex')}`,
        refundedAt: bank.clock.now,
      },
      options.signer ?? offerSigner,
    ),
  );
}

async function expectCode(response: Response, status: number, code: string): Promise<void> {
  expect((await expectProblem(response, status)).code).toBe(code);
}

async function refused(merchant: TestMerchant, body: unknown, status: number, code: string) {
  const before = await balanceOf(bank, merchant.name);
  await expectCode(
    await bank.request('POST', '/v1/refunds', { token: merchant.apiKey, body }),
    status,
    code,
  );
  expect(await balanceOf(bank, merchant.name)).toBe(before);
}

function refresh(coin: WalletCoin, values: readonly number[], seed = randomBytes(32)) {
  return (async () => {
    const keySet = await fetchKeySet(bank);
    const planned = planCoins(
      seed,
      values.map((value) => withdrawable(bank, keySet, value)),
    );
    const body = refundRefreshes.toWire(
      refundRefreshes.create({
        coin: coin.coin,
        coinSecretKey: coin.secretKey,
        issuanceId: issuanceIdOf(seed, 'refund'),
        coins: planned.map((p) => p.blinded),
      }),
    );
    return { planned, body };
  })();
}

describe.each([
  ['SQLite', undefined],
  ['PostgreSQL', postgresBackend()],
] as const)('refunds on %s', (_name, backend) => {
  beforeAll(async () => {
    await backend?.setup();
    await openBank(backend);
  }, 60_000);
  afterAll(async () => {
    await bank.close();
    await backend?.teardown();
  }, 60_000);
  afterEach(async () => {
    expect((await bank.store.checkInvariants()).problems).toEqual([]);
  });

  describe('POST /v1/refunds', () => {
    it('takes only refunds signed with the merchant’s certified offer key', async () => {
      const payment = await deposited(shop, [5]);
      const stranger = ed25519Signer(new Uint8Array(32).fill(0x99));
      await refused(shop, await refundBody(payment, 2, { signer: stranger }), 400, 'bad_signature');
      await refused(
        shop,
        await refundBody(payment, 2, { merchantId: 'other' }),
        400,
        'merchant_mismatch',
      );
    });

    it('refunds only the merchant’s own deposits, for the offer they paid', async () => {
      const theirs = await deposited(other, [5]);
      await refused(shop, await refundBody(theirs, 2), 404, 'not_found');
      const ours = await deposited(shop, [5]);
      await refused(
        shop,
        await refundBody({ ...ours, offerHash: randomBytes(32) }, 2),
        400,
        'offer_mismatch',
      );
    });

    it('caps the refunds of a deposit at its total, whatever the receipt claims it paid', async () => {
      const payment = await deposited(shop, [2]);
      await refused(shop, await refundBody(payment, 3, { paid: 5 }), 409, 'refund_exceeds_payment');
    });
  });

  describe('refreshing a refunded coin', () => {
    it('signs fresh coins up to the coin’s credit, the same ones again for the same request, and nothing more', async () => {
      const payment = await deposited(shop, [5]);
      const coin = payment.coins[0]!;
      expect(
        await expectStatus(
          await bank.request(
            'GET',
            `/v1/mint/coins/${toBase64url(coin.coin.coinPublicKey)}/refund`,
          ),
          200,
        ),
      ).toEqual({ status: 'none' });
      await expectStatus(
        await bank.request('POST', '/v1/refunds', {
          token: shop.apiKey,
          body: await refundBody(payment, 3),
        }),
        200,
      );
      const { planned, body } = await refresh(coin, [2, 1]);
      const first = await expectStatus<{ issuanceId: string; total: string; signatures: string[] }>(
        await bank.request('POST', '/v1/mint/refunds/refresh', { body }),
        200,
      );
      expect(first.total).toBe('EUR 0.03');
      // The signatures unblind to coins the mint's keys verify (finalizeCoins checks each).
      expect(finalizeCoins(planned, first)).toHaveLength(2);
      const again = await expectStatus(
        await bank.request('POST', '/v1/mint/refunds/refresh', { body }),
        200,
      );
      expect(again).toEqual(first);
      const more = await refresh(coin, [1]);
      await expectCode(
        await bank.request('POST', '/v1/mint/refunds/refresh', { body: more.body }),
        409,
        'refund_nothing_to_refresh',
      );
      expect(
        await expectStatus(
          await bank.request(
            'GET',
            `/v1/mint/coins/${toBase64url(coin.coin.coinPublicKey)}/refund`,
          ),
          200,
        ),
      ).toEqual({
        status: 'refreshed',
        refunded: 'EUR 0.03',
        refreshed: 'EUR 0.03',
        left: 'EUR 0.00',
      });
    });

    it('refuses a coin no refund credited, and a request not signed by the coin', async () => {
      const [coin] = await withdrawCoins(bank, carol, [2]);
      const { body } = await refresh(coin!, [1]);
      await expectCode(
        await bank.request('POST', '/v1/mint/refunds/refresh', { body }),
        409,
        'refund_nothing_to_refresh',
      );
      const forged = {
        ...body,
        signature: toBase64url(fromBase64url(body.signature).map((b, i) => (i === 0 ? b ^ 1 : b))),
      };
      await expectCode(
        await bank.request('POST', '/v1/mint/refunds/refresh', { body: forged }),
        400,
        'bad_signature',
      );
    });
  });
});
