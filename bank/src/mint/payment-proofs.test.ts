import { randomBytes } from 'node:crypto';
import { amount } from '@farthing/protocol/amount';
import {
  createDepositPermission,
  depositPermissions,
} from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash, randomPayerCode } from '@farthing/protocol/coin/derivation';
import {
  paymentStatements,
  verifyPaymentStatement,
} from '@farthing/protocol/coin/payment-statement';
import { nobleEd25519Verify } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectProblem,
  expectStatus,
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestMerchant,
} from '../bank.fixture.ts';
import { depositRequest, type WalletCoin, withdrawCoins } from './mint.fixture.ts';

let bank: TestBank;
let shop: TestMerchant;
let coins: WalletCoin[];
const payerCode = randomPayerCode();
const offerHash = new Uint8Array(randomBytes(32));

function paid(coin: WalletCoin, code = payerCode, hash = offerHash) {
  return depositPermissions.signedToWire(
    createDepositPermission({
      coin: coin.coin,
      coinSecretKey: coin.secretKey,
      offerHash: hash,
      merchantId: shop.name,
      amount: amount('EUR', coin.denomination.value.minor),
      payerCodeHash: payerCodeHash(code),
    }),
  );
}

beforeAll(async () => {
  bank = await openTestBank();
  const alice = await openCustomer(bank, 'alice', 10_000);
  shop = await openMerchant(bank, 'shop');
  coins = await withdrawCoins(bank, alice, [10, 2, 5, 1]);
  await expectStatus(await depositRequest(bank, shop, [paid(coins[0]!), paid(coins[1]!)]), 200);
  // Another payment, under another code and offer.
  await expectStatus(
    await depositRequest(bank, shop, [paid(coins[2]!, randomPayerCode(), new Uint8Array(32))]),
    200,
  );
}, 60_000);

afterAll(() => bank.close());

const prove = (coinList: readonly WalletCoin[], code: Uint8Array) =>
  bank.request('POST', '/v1/mint/payment-proofs', {
    body: {
      coins: coinList.map((coin) => toBase64url(coin.coin.coinPublicKey)),
      payerCode: toBase64url(code),
    },
    idempotencyKey: null,
  });

describe('POST /v1/mint/payment-proofs', () => {
  it('signs who was paid, for which offer and when, given the payer code', async () => {
    bank.clock.now += 5_000;
    const wire = await expectStatus(await prove([coins[1]!, coins[0]!], payerCode), 200);
    const statement = v.parse(paymentStatements.schema, wire);
    expect(statement).toMatchObject({
      merchantId: 'shop',
      total: { currency: 'EUR', minor: 12 },
      issuedAt: bank.clock.now,
    });
    expect(statement.offerHash).toEqual(offerHash);
    expect(statement.depositedAt).toBeLessThan(statement.issuedAt);
    verifyPaymentStatement(statement, bank.ctx.keys.mintMaster.publicKey, nobleEd25519Verify);
    // Changing anything it says breaks the signature.
    expect(() =>
      verifyPaymentStatement(
        { ...statement, merchantId: 'other-shop' },
        bank.ctx.keys.mintMaster.publicKey,
        nobleEd25519Verify,
      ),
    ).toThrow(expect.objectContaining({ code: 'bad_signature' }));
  });

  it('proves nothing with a wrong code, an unspent coin, or coins of two payments', async () => {
    for (const [list, code] of [
      [[coins[0]!, coins[1]!], randomPayerCode()],
      [[coins[0]!, coins[3]!], payerCode],
      [[coins[0]!, coins[2]!], payerCode],
      [[coins[0]!, coins[0]!], payerCode],
    ] as const) {
      const problem = await expectProblem(await prove(list, code), 403);
      expect(problem.code).toBe('payment_not_proven');
    }
  });
});
