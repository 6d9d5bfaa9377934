import { farthing } from '@farthing/merchant-sdk/fastify';
import Fastify from 'fastify';
import { articleMerchant } from './merchant.ts';
import type { ShopSettings } from './settings.ts';

/** The article shop on a fresh Fastify app. */
export function fastifyShop(settings: ShopSettings) {
  const merchant = articleMerchant(settings);
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
