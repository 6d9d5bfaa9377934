import { farthing } from '@farthing/merchant-sdk/fastify';
import { createMerchant } from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import Fastify from 'fastify';
import type { ShopSettings } from './settings.ts';

/** A shop whose articles cost five cents: Farthing on a fresh Fastify app. */
export function fastifyShop(settings: ShopSettings) {
  const merchant = createMerchant({
    merchantId: settings.merchantId,
    name: settings.name,
    origins: [settings.origin],
    offerKey: settings.offerKey,
    certificateChain: settings.certificateChain,
    bank: { url: settings.bankUrl, apiKey: settings.apiKey },
    prices: [{ path: '/articles/:slug', price: 'EUR 0.05', title: 'Article' }],
    store: new SqliteMerchantStore({ path: settings.databasePath }),
  });
  const app = Fastify();
  app.addHook('onRequest', farthing(merchant));
  app.get<{ Params: { slug: string } }>('/articles/:slug', async (request) => {
    return `Article ${request.params.slug}: thanks for paying!`;
  });
  app.get('/', async (_request, reply) => {
    const link = await merchant.renderPricedLink({ href: '/articles/7', text: 'Read article 7' });
    return reply.type('text/html').send(link);
  });
  return { app, merchant };
}
