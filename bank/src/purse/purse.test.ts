import { amount } from '@farthing/protocol/amount';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { verifyPurseCardCertificate } from '@farthing/protocol/purse/card-certificate';
import { purseLoadAuthorizations, purseLoadRequests } from '@farthing/protocol/purse/load';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adminToken,
  balanceOf,
  day,
  expectProblem,
  expectStatus,
  logIn,
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '../bank.fixture.ts';

const eur = (minor: number) => amount('EUR', minor);
const cardId = '0123456789abcdef';
const card = ed25519Signer(new Uint8Array(32).fill(0xc1));

let bank: TestBank;
afterEach(() => bank.close());

interface Setup {
  holder: TestCustomer;
  shop: TestMerchant;
  issued: Record<string, string>;
}

async function setUp(env: Record<string, string> = {}): Promise<Setup> {
  bank = await openTestBank({ env, coinValues: [1] });
  const holder = await openCustomer(bank, 'holder', Number(env.FUNDS ?? 10_000));
  const shop = await openMerchant(bank, 'shop');
  const issued = await expectStatus<Record<string, string>>(
    await bank.request('POST', '/v1/purse/cards', {
      token: holder.token,
      body: { cardId, publicKey: toBase64url(card.publicKey) },
    }),
    201,
  );
  return { holder, shop, issued };
}

async function load(holder: TestCustomer, loadCounter: number, minor: number, key?: string) {
  const request = await purseLoadRequests.sign({ cardId, loadCounter, amount: eur(minor) }, card);
  return bank.request('POST', '/v1/purse/loads', {
    token: holder.token,
    body: { loadRequest: toBase64url(purseLoadRequests.encode(request)) },
    ...(key === undefined ? {} : { idempotencyKey: key }),
  });
}

const proof = async (sno: number, tno: number, minor: number, merchantId = 'shop') =>
  toBase64url(
    purseProofs.encode(
      await purseProofs.sign(
        { cardId, sno, merchantId, tno, amount: eur(minor), nonce: new Uint8Array(32).fill(sno) },
        card,
      ),
    ),
  );

async function clear(shop: TestMerchant, proofs: string[]) {
  return expectStatus<{
    items: { status: string; code?: string; fee?: string }[];
    cleared: number;
  }>(
    await bank.request('POST', '/v1/purse/clearings', { token: shop.apiKey, body: { proofs } }),
    200,
  );
}

const shadow = () => balanceOf(bank, `system:purse-shadow:${cardId}`);

describe('purse issuer', () => {
  it('certifies the card under the bank CA and hands out what personalisation needs', async () => {
    const { issued } = await setUp();
    const verified = verifyPurseCardCertificate({
      chain: [fromBase64url(issued.certificate)],
      trustedRoots: [fromBase64url(issued.issuerRoot)],
      now: bank.clock.now,
    });
    expect(verified.cardId).toBe(cardId);
    expect(verified.cardPublicKey).toEqual(card.publicKey);
    expect(issued).toMatchObject({
      maximum: 'EUR 200.00',
      status: 'active',
      shadowBalance: 'EUR 0.00',
    });
    expect(fromBase64url(issued.issuerLoadKey)).toEqual(bank.ctx.keys.purseIssuer.publicKey);
  });

  it('loads against a card-signed request: account debited, shadow credited, authorization bound to the counter', async () => {
    const { holder, issued } = await setUp();
    const body = await expectStatus<{ authorization: string }>(await load(holder, 0, 2000), 201);
    const authorization = purseLoadAuthorizations.decode(fromBase64url(body.authorization));
    purseLoadAuthorizations.verify(authorization, fromBase64url(issued.issuerLoadKey!));
    expect(authorization).toMatchObject({ cardId, loadCounter: 0, amount: eur(2000) });
    expect(await balanceOf(bank, 'holder')).toBe(8000);
    expect(await shadow()).toBe(2000);
    // The same request again (another idempotency key) is the same load, not a second debit.
    const again = await expectStatus<{ authorization: string }>(await load(holder, 0, 2000), 201);
    expect(again.authorization).toBe(body.authorization);
    expect(await balanceOf(bank, 'holder')).toBe(8000);
    expect((await expectProblem(await load(holder, 0, 500), 409)).code).toBe('conflict');
    expect((await bank.store.checkInvariants()).ok).toBe(true);
  });

  it('refuses a forged load request, one over the maximum and one beyond the balance, moving nothing', async () => {
    const { holder } = await setUp();
    const forged = await purseLoadRequests.sign(
      { cardId, loadCounter: 0, amount: eur(100) },
      ed25519Signer(new Uint8Array(32).fill(9)),
    );
    const response = await bank.request('POST', '/v1/purse/loads', {
      token: holder.token,
      body: { loadRequest: toBase64url(purseLoadRequests.encode(forged)) },
    });
    expect((await expectProblem(response, 400)).code).toBe('bad_signature');
    expect((await expectProblem(await load(holder, 0, 20001), 409)).code).toBe(
      'purse_over_maximum',
    );
    expect((await expectProblem(await load(holder, 0, 10_001), 409)).code).toBe(
      'insufficient_funds',
    );
    expect(await balanceOf(bank, 'holder')).toBe(10_000);
    expect(await shadow()).toBe(0);
  });

  it('clears proofs once, refusing duplicates, other merchants, forgeries and unknown cards', async () => {
    const { holder, shop } = await setUp();
    await expectStatus(await load(holder, 0, 2000), 201);
    const first = await clear(shop, [await proof(1, 10, 250), await proof(2, 11, 100)]);
    expect(first.cleared).toBe(2);
    const forged = `${(await proof(3, 12, 100)).slice(0, -4)}AAAA`;
    const again = await clear(shop, [
      await proof(1, 10, 250), // uploaded twice
      await proof(3, 10, 100), // same TNo again
      await proof(4, 13, 100, 'other-shop'),
      forged,
      toBase64url(
        purseProofs.encode(
          await purseProofs.sign(
            {
              cardId: 'ffffffffffffffff',
              sno: 1,
              merchantId: 'shop',
              tno: 14,
              amount: eur(1),
              nonce: new Uint8Array(32),
            },
            card,
          ),
        ),
      ),
    ]);
    expect(again.items.map((item) => item.code)).toEqual([
      'purse_proof_duplicate',
      'purse_proof_duplicate',
      'merchant_mismatch',
      'bad_signature',
      'purse_card_unknown',
    ]);
    expect(await balanceOf(bank, 'shop')).toBe(350);
    expect(await shadow()).toBe(1650);
    expect((await bank.store.checkInvariants()).ok).toBe(true);
  });

  it('takes the fee setting: 0.3 %, at least 0.01, into the fees account', async () => {
    const { holder, shop } = await setUp({
      FARTHING_PURSE_FEE_BP: '30',
      FARTHING_PURSE_FEE_MIN: '1',
      FUNDS: '20000',
    });
    await expectStatus(await load(holder, 0, 20000), 201);
    const result = await clear(shop, [await proof(1, 1, 10000), await proof(2, 2, 50)]);
    expect(result.items.map((item) => item.fee)).toEqual(['EUR 0.30', 'EUR 0.01']);
    expect(await balanceOf(bank, 'shop')).toBe(10000 - 30 + 50 - 1);
    expect(await balanceOf(bank, 'system:purse-fees')).toBe(31);
    expect((await bank.store.checkInvariants()).ok).toBe(true);
  });

  it('returns a blocked card’s shadow balance after the window, then refuses its proofs', async () => {
    const { holder, shop } = await setUp();
    await expectStatus(await load(holder, 0, 2000), 201);
    await expectStatus(
      await bank.request('POST', `/v1/purse/cards/${cardId}/block`, {
        token: holder.token,
        body: {},
      }),
      200,
    );
    expect((await expectProblem(await load(holder, 1, 100), 423)).code).toBe('purse_card_blocked');
    // Within the window, proofs made before the loss still clear.
    expect((await clear(shop, [await proof(1, 1, 500)])).cleared).toBe(1);
    const close = () =>
      bank.request('POST', '/v1/admin/purse/close-blocked', { token: adminToken });
    expect(await expectStatus(await close(), 200)).toEqual({ closed: 0 });
    bank.clock.now += 31 * day;
    expect(await expectStatus(await close(), 200)).toEqual({ closed: 1 });
    expect(await balanceOf(bank, 'holder')).toBe(8000 + 1500);
    expect(await shadow()).toBe(0);
    const view = await expectStatus<Record<string, unknown>>(
      await bank.request('GET', `/v1/purse/cards/${cardId}`, {
        token: await logIn(bank, 'holder'),
      }),
      200,
    );
    expect(view).toMatchObject({
      status: 'closed',
      refunded: 'EUR 15.00',
      shadowBalance: 'EUR 0.00',
    });
    const stranger = await openCustomer(bank, 'stranger', 0);
    const hidden = await bank.request('GET', `/v1/purse/cards/${cardId}`, {
      token: stranger.token,
    });
    expect((await expectProblem(hidden, 404)).code).toBe('purse_card_unknown');
    const late = await clear(shop, [await proof(2, 2, 100)]);
    expect(late.items[0]?.code).toBe('purse_card_blocked');
    expect(await balanceOf(bank, 'shop')).toBe(500);
    expect((await bank.store.checkInvariants()).ok).toBe(true);
  });
});
