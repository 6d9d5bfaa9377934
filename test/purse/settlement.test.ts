/**
 * The purse instrument's clearing runs in the merchant SDK's settlement schedule: a proof the
 * desk accepted reaches the issuer without the site calling `clear()` itself.
 */

import { createMerchant } from '@farthing/merchant-sdk/server';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { amount } from '@farthing/protocol/amount';
import { fromBase64url } from '@farthing/protocol/encoding';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { issueAndLoad, openPurseWorld, type PurseWorld } from './world.ts';

let world: PurseWorld;
beforeAll(async () => {
  world = await openPurseWorld();
});
afterAll(() => world?.close());

it('clears accepted purse proofs on the settlement schedule', async () => {
  const { cardCertificate } = await issueAndLoad(world, '1357', 1000);
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
    const challenge = await world.desk.createChallenge(amount('EUR', 300));
    const paying = world.connection.card.pay(
      fromBase64url(challenge.challenge),
      challenge.merchantChain.map((der) => fromBase64url(der)),
    );
    await world.press('confirm');
    world.desk.acceptProof({ proof: (await paying).bytes, cardCertificate });
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
