/**
 * The purse on the SDK's pay endpoint (issue 17, part 1): the wallet asks the merchant's
 * challenge endpoint for a challenge bound to an offer, the emulated reader's card pays it
 * (confirm pressed on the control API), and the `purse` credential bought the resource; a
 * retry gets the same receipt, a proof cannot pay another offer, and the issuer clears it.
 */

import { expectStatus } from '@farthing/bank/bank.fixture';
import { openHttpCustomer } from '@farthing/bank/test/http-bank.fixture';
import { createMerchant, type Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { amount } from '@farthing/protocol/amount';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import type { SignedOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { purseChallenges } from '@farthing/protocol/purse/challenge';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueAndLoad, openPurseWorld, type PurseWorld } from './world.ts';

const origin = 'http://localhost:8701';
let world: PurseWorld;
let merchant: Merchant;
let cardId: string;
let cardCertificate: Uint8Array;

beforeAll(async () => {
  world = await openPurseWorld();
  merchant = createMerchant(
    {
      merchantId: 'shop',
      name: 'Merchant shop',
      origins: [origin],
      offerKey: world.offerSeed,
      certificateChain: world.merchantChain,
      bank: { url: world.running.url, apiKey: world.shop.apiKey },
      prices: [{ path: '/articles/:slug', price: 'EUR 0.40' }],
      store: new MemoryMerchantStore(),
      instruments: ['payword', 'ecash', 'purse'],
    },
    { purse: world.desk },
  );
  ({ cardId, cardCertificate } = await issueAndLoad(world, '4711', 2000));
});
afterAll(async () => {
  await merchant?.close();
  await world?.close();
});

async function respond(path: string, body: unknown): Promise<Response> {
  const result = await merchant.handle(
    new Request(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
  if (result.action !== 'respond') throw new Error('expected the SDK to answer');
  return result.response;
}

async function offerFor(resource: string): Promise<{ offer: SignedOffer; token: string }> {
  const { token } = await merchant.offerFor(resource);
  return { offer: parseOfferToken(token), token };
}

/** Asks for a challenge for `token` and has the card pay it, confirm pressed on the reader. */
async function cardPays(token: string) {
  const answer = await respond('/.well-known/farthing/purse-challenge', { offer: token });
  expect(answer.status).toBe(200);
  const view = (await answer.json()) as { challenge: string; merchantChain: string[] };
  const paying = world.connection.card.pay(
    fromBase64url(view.challenge),
    view.merchantChain.map((der) => fromBase64url(der)),
  );
  // What the reader's own display shows while it waits for the holder's button.
  const display = await vi.waitUntil(async () => {
    const shown = (await (await fetch(`${world.reader.controlUrl}/display`)).json()) as {
      lines: string[];
      waitingForButton: boolean;
    };
    return shown.waitingForButton ? shown.lines : undefined;
  });
  await world.press('confirm');
  return { ...(await paying), display };
}

/** What the wallet posts: the purse credential's wire JSON. */
function payWith(
  offer: SignedOffer,
  proofBytes: Uint8Array,
  certificate = cardCertificate,
): Promise<Response> {
  const credential: Credential = {
    type: 'purse',
    offer,
    proofBytes,
    proof: purseProofs.decode(proofBytes),
    cardCertificate: certificate,
  };
  return respond(
    '/.well-known/farthing/pay',
    JSON.parse(new TextDecoder().decode(encodeCredential(credential))),
  );
}

describe('the purse on the pay endpoint', () => {
  it('lists purse in its offers and descriptor', async () => {
    const { offer } = await offerFor('/articles/one');
    expect(offer.instruments).toContain('purse');
    expect(merchant.descriptor().instruments).toContain('purse');
  });

  it('takes a card proof for a challenge asked for the offer, and answers a retry alike', async () => {
    const shopBefore = await world.balance('shop');
    const { offer, token } = await offerFor('/articles/one');
    const { bytes, proof, display } = await cardPays(token);
    expect(display.join(' ')).toMatch(/EUR 0\.40/);
    expect(proof.amount).toEqual(amount('EUR', 40));
    const first = await payWith(offer, bytes);
    expect(first.status).toBe(200);
    const paid = (await first.json()) as { receipt: { instrument: string }; grant: unknown };
    expect(paid.receipt.instrument).toBe('purse');
    // Cleared at the issuer before it was served: the shop holds the money already.
    expect((await world.balance('shop')) - shopBefore).toBe(40);
    expect(first.headers.get('set-cookie')).toMatch(/^farthing-grant-/);
    const again = await payWith(offer, bytes);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(paid);
    expect(world.purseStore.proofs()).toHaveLength(1);
    expect((await merchant.earnings()).find((e) => e.instrument === 'purse')?.payments).toBe(1);
  });

  it('refuses a proof for another offer of the same price, and a challenge for a free path', async () => {
    const { token } = await offerFor('/articles/two');
    const { offer: other } = await offerFor('/articles/three');
    const { bytes } = await cardPays(token);
    const refused = await payWith(other, bytes);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'offer_mismatch' });
    const junk = await respond('/.well-known/farthing/purse-challenge', { offer: 'nonsense' });
    expect(junk.status).toBeGreaterThanOrEqual(400);
    expect(world.purseStore.proofs()).toHaveLength(1);
  });

  it('refuses a challenge for an offer that does not accept the purse', async () => {
    const plain = createMerchant({
      merchantId: 'shop',
      name: 'Merchant shop',
      origins: [origin],
      offerKey: world.offerSeed,
      certificateChain: world.merchantChain,
      bank: { url: world.running.url, apiKey: world.shop.apiKey },
      prices: [{ path: '/articles/:slug', price: 'EUR 0.40' }],
      store: new MemoryMerchantStore(),
    });
    try {
      const answer = await plain.handle(
        new Request(`${origin}/.well-known/farthing/purse-challenge`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ offer: (await plain.offerFor('/articles/one')).token }),
        }),
      );
      expect(answer.action).toBe('respond');
      if (answer.action === 'respond') {
        expect(await answer.response.json()).toMatchObject({ code: 'instrument_not_accepted' });
      }
    } finally {
      await plain.close();
    }
  });

  it('leaves nothing for the clearing job: the proof it took was cleared before serving', async () => {
    const before = await world.balance('shop');
    expect(await world.desk.clear()).toMatchObject({ cleared: 0, rejected: 0 });
    expect(world.purseStore.proofs().every((p) => p.outcome === 'cleared')).toBe(true);
    expect(await world.balance('shop')).toBe(before);
    expect(await world.running.ctx.store.checkInvariants()).toMatchObject({ ok: true });
  });

  it('serves nothing for a card key made up in software, whose issuer holds no money for it', async () => {
    // Anyone can open an account and have the issuer certify a key as a "card": the issuer
    // cannot tell a key in a card from one in software. Its proofs verify offline.
    const mallory = await openHttpCustomer(world.bank, 'mallory', 0);
    const fake = ed25519Signer(randomSecretKey());
    const cardId = '00000000deadbeef';
    const issued = await expectStatus<{ certificate: string }>(
      await world.bank.request('POST', '/v1/purse/cards', {
        token: mallory.token,
        body: { cardId, publicKey: toBase64url(fake.publicKey) },
      }),
      201,
    );
    const before = await world.balance('shop');
    const { offer, token } = await offerFor('/articles/fake');
    const answer = await respond('/.well-known/farthing/purse-challenge', { offer: token });
    const challenge = purseChallenges.decode(
      fromBase64url(((await answer.json()) as { challenge: string }).challenge),
    );
    const proof = purseProofs.encode(
      await purseProofs.sign(
        {
          cardId,
          sno: 1,
          merchantId: challenge.merchantId,
          tno: challenge.tno,
          amount: challenge.amount,
          nonce: challenge.nonce,
        },
        fake,
      ),
    );
    const refused = await payWith(offer, proof, fromBase64url(issued.certificate));
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      code: 'purse_not_cleared',
      reason: 'insufficient_funds',
    });
    expect(refused.headers.get('set-cookie')).toBeNull();
    // Sent again, the same refusal: nothing is served and the shop gained nothing.
    expect((await payWith(offer, proof, fromBase64url(issued.certificate))).status).toBe(402);
    expect(await world.balance('shop')).toBe(before);
    expect(await world.running.ctx.store.checkInvariants()).toMatchObject({ ok: true });
  });

  // Last: it blocks the one card of this world.
  it('serves nothing for a card reported lost once its balance went back to the holder', async () => {
    await expectStatus(
      await world.bank.request('POST', `/v1/purse/cards/${cardId}/block`, {
        token: world.holder.token,
        body: {},
      }),
      200,
    );
    await world.running.ctx.store.closeBlockedPurseCards({
      blockedBefore: Date.now() + 1,
      now: Date.now(),
    });
    const before = await world.balance('shop');
    const { offer, token } = await offerFor('/articles/lost');
    const { bytes } = await cardPays(token);
    const refused = await payWith(offer, bytes);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ code: 'purse_not_cleared' });
    expect(await world.balance('shop')).toBe(before);
  });
});
