import { amount } from '@farthing/protocol/amount';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { hashWordTimes } from '@farthing/protocol/payword/chain';
import { paywordCommitments, verifyPaywordCommitment } from '@farthing/protocol/payword/commitment';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import { acceptPayment, initialVendorState } from '@farthing/protocol/payword/verifier';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  balanceOf,
  expectStatus,
  openMerchant,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '../bank.fixture.ts';
import {
  commitToVendor,
  heldBalance,
  openBrokerTestBank,
  openPaywordCustomer,
  outcomes,
  redeem,
  redemptionItem,
  requestCertificate,
  type TestChain,
  type TestWallet,
} from './broker.fixture.ts';

const cent = amount('EUR', 1);

let bank: TestBank;
let alice: TestCustomer;
let shop: TestMerchant;
let kiosk: TestMerchant;
let wallet: TestWallet;

beforeEach(async () => {
  bank = await openBrokerTestBank();
  alice = await openPaywordCustomer(bank, 'alice', 2_000);
  shop = await openMerchant(bank, 'shop');
  kiosk = await openMerchant(bank, 'kiosk');
  wallet = await requestCertificate(bank, alice, 'EUR 5.00');
});

afterEach(async () => {
  const report = await bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  await bank.close();
});

/** Every balance a redemption can touch, to show that a refusal changed nothing. */
async function books() {
  return {
    alice: await balanceOf(bank, 'alice'),
    shop: await balanceOf(bank, 'shop'),
    kiosk: await balanceOf(bank, 'kiosk'),
    held: await heldBalance(bank),
    redeemed: (await bank.store.getPaywordCertificate(wallet.certificate.serial))!.redeemed,
  };
}

function commit(vendor: TestMerchant, length = 100, valuePerWord = cent): Promise<TestChain> {
  return commitToVendor(wallet, vendor.name, { length, valuePerWord, createdAt: bank.clock.now });
}

describe('POST /v1/broker/redemptions', () => {
  it('pays the vendor from the hold, so the customer is charged exactly the paywords spent', async () => {
    const chain = await commit(shop, 100, amount('EUR', 2));
    // The vendor's side: verify the commitment once, then accept seven one-word clicks.
    const key = await expectStatus<{ publicKey: string }>(
      await bank.request('GET', '/v1/broker/key'),
      200,
    );
    const verified = verifyPaywordCommitment(chain.commitment, {
      vendorId: shop.name,
      brokerPublicKey: fromBase64url(key.publicKey, 'publicKey', 32),
      now: bank.clock.now,
    });
    let state = initialVendorState(verified);
    for (let index = 1; index <= 7; index++) {
      const payment = createPaywordPayment({ ...chain, index, firstUse: index === 1 });
      state = acceptPayment(state, payment, { now: bank.clock.now, maxStep: 1 }).state;
    }
    expect(await books()).toMatchObject({ alice: 1_500, shop: 0, held: 500 });

    const body = await redeem(bank, shop, [
      {
        commitment: paywordCommitments.toJson(chain.commitment),
        index: state.lastIndex,
        word: toBase64url(state.lastWord),
      },
    ]);

    expect(body).toEqual({
      redemptions: [
        {
          commitmentId: toBase64url(verified.commitmentId),
          status: 'redeemed',
          paid: 'EUR 0.14',
          index: 7,
          totalRedeemed: 'EUR 0.14',
        },
      ],
      paid: 'EUR 0.14',
    });
    expect(await books()).toEqual({ alice: 1_500, shop: 14, kiosk: 0, held: 486, redeemed: 14 });
    const status = await expectStatus(
      await bank.request('GET', `/v1/broker/certificates/${wallet.certificate.serial}`, {
        token: alice.token,
      }),
      200,
    );
    expect(status).toMatchObject({ redeemed: 'EUR 0.14', remaining: 'EUR 4.86', released: false });
  });

  it('pays only the difference on a later, longer redemption and nothing on an exact repeat', async () => {
    const chain = await commit(shop);
    const first = await redeem(bank, shop, [redemptionItem(chain, 3)]);
    expect(first.redemptions[0]).toMatchObject({ paid: 'EUR 0.03', index: 3 });

    const second = await redeem(bank, shop, [redemptionItem(chain, 10)]);
    expect(second.redemptions[0]).toMatchObject({
      status: 'redeemed',
      paid: 'EUR 0.07',
      index: 10,
      totalRedeemed: 'EUR 0.10',
    });
    expect(second.paid).toBe('EUR 0.07');

    const repeat = await redeem(bank, shop, [redemptionItem(chain, 10)]);
    expect(repeat.redemptions[0]).toMatchObject({
      status: 'redeemed',
      paid: 'EUR 0.00',
      index: 10,
      totalRedeemed: 'EUR 0.10',
    });
    expect(await books()).toMatchObject({ alice: 1_500, shop: 10, held: 490, redeemed: 10 });
  });

  it('rejects a shorter redemption as replayed and a different word at the same index as a mismatch', async () => {
    const chain = await commit(shop);
    await redeem(bank, shop, [redemptionItem(chain, 10)]);
    const before = await books();

    const shorter = await redeem(bank, shop, [redemptionItem(chain, 5)]);
    const other = redemptionItem(chain, 10);
    const sameIndexOtherWord = await redeem(bank, shop, [
      { ...other, word: toBase64url(chain.chain.wordAt(11)) },
    ]);

    expect(outcomes(shorter)).toEqual(['payword_replayed']);
    expect(shorter.redemptions[0]!.problem).toMatchObject({ status: 409 });
    expect(outcomes(sameIndexOtherWord)).toEqual(['payword_mismatch']);
    expect(shorter.paid).toBe('EUR 0.00');
    expect(await books()).toEqual(before);
  });

  it('rejects a forged word, a word under the wrong index and an index past the chain', async () => {
    const chain = await commit(shop, 20);
    const item = redemptionItem(chain, 5);
    const forged = toBase64url(crypto.getRandomValues(new Uint8Array(32)));
    const before = await books();

    const body = await redeem(bank, shop, [
      { ...item, word: forged },
      { ...item, index: 6 },
      { ...item, index: 4 },
      { ...item, index: 21 },
    ]);

    expect(outcomes(body)).toEqual([
      'payword_mismatch',
      'payword_mismatch',
      'payword_mismatch',
      'payword_out_of_range',
    ]);
    expect(await books()).toEqual(before);
    expect(await bank.store.getPaywordRedemption(verifiedId(chain))).toBeUndefined();
  });

  it('rejects a commitment made for another vendor, before and after its vendor redeemed it', async () => {
    const chain = await commit(shop);
    const before = await books();
    expect(outcomes(await redeem(bank, kiosk, [redemptionItem(chain, 4)]))).toEqual([
      'payword_vendor_mismatch',
    ]);
    expect(await books()).toEqual(before);

    await redeem(bank, shop, [redemptionItem(chain, 4)]); // now verified and cached
    const after = await books();
    expect(outcomes(await redeem(bank, kiosk, [redemptionItem(chain, 6)]))).toEqual([
      'payword_vendor_mismatch',
    ]);
    expect(await books()).toEqual(after);
  });

  it('rejects a forged commitment signature, also when the genuine commitment is cached', async () => {
    const chain = await commit(shop);
    const forge = (item: ReturnType<typeof redemptionItem>) => {
      const signature = chain.commitment.signature.slice();
      signature[0]! ^= 1;
      return { ...item, commitment: { ...item.commitment, signature: toBase64url(signature) } };
    };
    const before = await books();
    expect(outcomes(await redeem(bank, shop, [forge(redemptionItem(chain, 4))]))).toEqual([
      'bad_signature',
    ]);
    expect(await books()).toEqual(before);

    await redeem(bank, shop, [redemptionItem(chain, 4)]);
    const after = await books();
    expect(outcomes(await redeem(bank, shop, [forge(redemptionItem(chain, 8))]))).toEqual([
      'bad_signature',
    ]);
    expect(await books()).toEqual(after);
  });

  it('rejects certificates this broker did not issue: another broker, an unknown serial, altered terms', async () => {
    const otherBroker = ed25519Signer(randomSecretKey());
    const fromOtherBroker = await paywordCertificates.sign(wallet.certificate, otherBroker);
    const unknownSerial = await paywordCertificates.sign(
      { ...wallet.certificate, serial: wallet.certificate.serial + 1 },
      bank.ctx.keys.broker,
    );
    // Signed with the broker's own key but never recorded, so never held for.
    const raisedLimit = await paywordCertificates.sign(
      { ...wallet.certificate, creditLimit: amount('EUR', 1_000) },
      bank.ctx.keys.broker,
    );
    const chains = await Promise.all(
      [fromOtherBroker, unknownSerial, raisedLimit].map((certificate) =>
        commitToVendor({ signer: wallet.signer, certificate }, shop.name, {
          length: 100,
          valuePerWord: cent,
          createdAt: bank.clock.now,
        }),
      ),
    );
    const before = await books();

    const body = await redeem(
      bank,
      shop,
      chains.map((chain) => redemptionItem(chain, 5)),
    );

    expect(outcomes(body)).toEqual(['bad_signature', 'not_found', 'bad_signature']);
    expect(await books()).toEqual(before);
  });

  it('rejects the excess when two vendors together redeem more than the held credit', async () => {
    const small = await requestCertificate(bank, alice, 'EUR 1.00');
    const terms = { length: 80, valuePerWord: cent, createdAt: bank.clock.now };
    const atShop = await commitToVendor(small, shop.name, terms);
    const atKiosk = await commitToVendor(small, kiosk.name, terms);
    const held = await heldBalance(bank);

    expect((await redeem(bank, shop, [redemptionItem(atShop, 60)])).paid).toBe('EUR 0.60');
    const over = await redeem(bank, kiosk, [redemptionItem(atKiosk, 60)]);
    expect(outcomes(over)).toEqual(['payword_over_limit']);
    expect(over.redemptions[0]!.problem).toMatchObject({ status: 402, redeemed: 60, owed: 60 });
    expect(await balanceOf(bank, 'kiosk')).toBe(0);

    // The kiosk can still redeem what fits: it hashes its w_60 down to w_40 itself.
    const w60 = redemptionItem(atKiosk, 60);
    const w40 = hashWordTimes(atKiosk.chain.wordAt(60), 20);
    const fits = await redeem(bank, kiosk, [{ ...w60, index: 40, word: toBase64url(w40) }]);
    expect(fits.paid).toBe('EUR 0.40');
    expect(outcomes(await redeem(bank, shop, [redemptionItem(atShop, 61)]))).toEqual([
      'payword_over_limit',
    ]);
    expect(await balanceOf(bank, 'shop')).toBe(60);
    expect(await balanceOf(bank, 'kiosk')).toBe(40);
    expect(await heldBalance(bank)).toBe(held - 100);
    expect((await bank.store.getPaywordCertificate(small.certificate.serial))!.redeemed).toBe(100);
  });

  it('redeems the good items of a mixed batch and rejects the bad ones, in request order', async () => {
    const a = await commit(shop);
    const b = await commit(shop);
    const forKiosk = await commit(kiosk);
    const forged = { ...redemptionItem(b, 2), word: toBase64url(new Uint8Array(32)) };

    const body = await redeem(bank, shop, [
      redemptionItem(a, 5),
      forged,
      { commitment: { version: 1 }, index: 1, word: toBase64url(new Uint8Array(32)) },
      redemptionItem(b, 3),
      redemptionItem(forKiosk, 3),
      redemptionItem(a, 8),
      redemptionItem(a, 2),
    ]);

    expect(outcomes(body)).toEqual([
      'redeemed',
      'payword_mismatch',
      'invalid_message',
      'redeemed',
      'payword_vendor_mismatch',
      'redeemed',
      'payword_replayed',
    ]);
    expect(body.redemptions.map((item) => item.paid ?? null)).toEqual([
      'EUR 0.05',
      null,
      null,
      'EUR 0.03',
      null,
      'EUR 0.03',
      null,
    ]);
    expect(body.redemptions[2]!.commitmentId).toBeNull();
    expect(body.redemptions[0]!.commitmentId).toBe(toBase64url(verifiedId(a)));
    expect(body.paid).toBe('EUR 0.11');
    expect(await books()).toMatchObject({ shop: 11, held: 489, redeemed: 11 });
  });

  it('answers an Idempotency-Key retry with the same response and pays once', async () => {
    const chain = await commit(shop);
    const items = [redemptionItem(chain, 6)];
    const first = await redeem(bank, shop, items, 'batch-1');
    const retry = await redeem(bank, shop, items, 'batch-1');
    expect(retry).toEqual(first);
    expect(retry.paid).toBe('EUR 0.06');
    expect(await books()).toMatchObject({ shop: 6, held: 494 });

    const reused = await bank.request('POST', '/v1/broker/redemptions', {
      token: shop.apiKey,
      idempotencyKey: 'batch-1',
      body: { redemptions: [redemptionItem(chain, 9)] },
    });
    expect(await expectStatus(reused, 422)).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await books()).toMatchObject({ shop: 6, held: 494 });
  });

  it('refuses calls without a merchant key, without an Idempotency-Key or with a malformed batch', async () => {
    const chain = await commit(shop);
    const body = { redemptions: [redemptionItem(chain, 1)] };
    const asCustomer = await bank.request('POST', '/v1/broker/redemptions', {
      token: alice.token,
      body,
    });
    expect(await expectStatus(asCustomer, 401)).toMatchObject({ code: 'unauthorized' });
    const withoutKey = await bank.request('POST', '/v1/broker/redemptions', {
      token: shop.apiKey,
      idempotencyKey: null,
      body,
    });
    expect(await expectStatus(withoutKey, 428)).toMatchObject({ code: 'idempotency_key_missing' });
    const tooMany = await bank.request('POST', '/v1/broker/redemptions', {
      token: shop.apiKey,
      body: { redemptions: Array.from({ length: 257 }, () => body.redemptions[0]) },
    });
    expect(await expectStatus(tooMany, 400)).toMatchObject({ code: 'invalid_message' });
    const empty = await bank.request('POST', '/v1/broker/redemptions', {
      token: shop.apiKey,
      body: { redemptions: [] },
    });
    expect(await expectStatus(empty, 400)).toMatchObject({ code: 'invalid_message' });
    expect(await books()).toMatchObject({ shop: 0, held: 500 });
  });
});

function verifiedId(chain: TestChain): Uint8Array {
  return verifyPaywordCommitment(chain.commitment, {
    vendorId: chain.commitment.vendorId,
    brokerPublicKey: bank.ctx.keys.broker.publicKey,
    now: chain.commitment.createdAt,
  }).commitmentId;
}
