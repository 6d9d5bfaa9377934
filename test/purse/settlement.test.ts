/**
 * The purse instrument's clearing: it runs in the merchant SDK's settlement schedule (a proof
 * the desk accepted reaches the issuer without the site calling `clear()`), and a batch whose
 * answer was lost goes again under the same Idempotency-Key and is credited once.
 */

import { createMerchant } from '@farthing/merchant-sdk/server';
import { PurseDesk } from '@farthing/merchant-sdk/server/purse';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { amount } from '@farthing/protocol/amount';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { issueAndLoad, openPurseWorld, type PurseWorld } from './world.ts';

let world: PurseWorld;
let cardCertificate: Uint8Array;
beforeAll(async () => {
  world = await openPurseWorld();
  ({ cardCertificate } = await issueAndLoad(world, '1357', 1000));
});

async function payOnce(desk: PurseDesk, minor: number): Promise<void> {
  const challenge = await desk.createChallenge(amount('EUR', minor));
  const paying = world.connection.card.pay(
    fromBase64url(challenge.challenge),
    challenge.merchantChain.map((der) => fromBase64url(der)),
  );
  await world.press('confirm');
  desk.acceptProof({ proof: (await paying).bytes, cardCertificate });
}
afterAll(() => world?.close());

/** A desk on the world's store whose first clearing answer is lost after the bank gave it. */
function deskLosingFirstClearingAnswer(): PurseDesk {
  let lose = true;
  const losing: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (lose && String(input).endsWith('/v1/purse/clearings')) {
      lose = false;
      await response.body?.cancel();
      throw new TypeError('fetch failed: the connection dropped after the bank answered');
    }
    return response;
  };
  return new PurseDesk({
    merchantId: 'shop',
    signer: ed25519Signer(world.offerSeed),
    merchantChain: world.merchantChain,
    trustedRoots: [world.caCertificate],
    store: world.purseStore,
    bank: { url: world.running.url, apiKey: world.shop.apiKey, fetch: losing },
  });
}

it('clears accepted purse proofs on the settlement schedule', async () => {
  const merchant = createMerchant(
    {
      merchantId: 'shop',
      name: 'Merchant shop',
      origins: ['http://localhost:8701'],
      offerKey: world.offerSeed,
      certificateChain: world.merchantChain,
      bank: { url: world.running.url, apiKey: world.shop.apiKey },
      prices: [{ path: '/articles/:slug', price: 'EUR 0.05' }],
      store: new MemoryMerchantStore(),
    },
    { purse: world.desk },
  );
  const schedule = merchant.startSettlement({ intervalMs: 20 });
  try {
    await payOnce(world.desk, 300);
    await vi.waitUntil(() => world.purseStore.proofs()[0]?.outcome === 'cleared', {
      timeout: 10_000,
      interval: 10,
    });
  } finally {
    await schedule.stop();
    await merchant.close();
  }
  expect(await world.balance('shop')).toBe(300);
  expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
});

it('sends a batch whose answer was lost again under its key, and is credited once', async () => {
  const desk = deskLosingFirstClearingAnswer();
  const before = await world.balance('shop');
  await payOnce(desk, 200);
  await expect(desk.clear()).rejects.toMatchObject({ code: 'bank_unavailable' });
  // The bank cleared it; the merchant did not hear. The same batch goes again, same key.
  expect(await world.balance('shop')).toBe(before + 200);
  expect(await desk.clear()).toEqual({ batches: 1, cleared: 1, rejected: 0 });
  expect(await world.balance('shop')).toBe(before + 200);
  expect(world.purseStore.proofs().at(-1)?.outcome).toBe('cleared');
  expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
});

it('clears one proof at once (the pay endpoint) and, its answer lost, again under its key once', async () => {
  const desk = deskLosingFirstClearingAnswer();
  const before = await world.balance('shop');
  await payOnce(desk, 100);
  const tno = world.purseStore.proofs().at(-1)!.tno;
  await expect(desk.clearNow(tno)).rejects.toMatchObject({ code: 'bank_unavailable' });
  expect(await desk.clearNow(tno)).toBe('cleared');
  expect(await desk.clearNow(tno)).toBe('cleared');
  // Neither the retries nor the clearing job send it a third time.
  expect(await desk.clear()).toEqual({ batches: 0, cleared: 0, rejected: 0 });
  expect(await world.balance('shop')).toBe(before + 100);
  expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
});
