import { farthing } from '@farthing/merchant-sdk/hono';
import { Hono } from 'hono';
import { articleMerchant } from './merchant.ts';
import type { ShopSettings } from './settings.ts';

/** The article shop on a fresh Hono app. */
export function honoShop(settings: ShopSettings) {
  const merchant = articleMerchant(settings);
  const app = new Hono();
  app.use(farthing(merchant));
  app.get('/articles/:slug', (c) => c.text(`Article ${c.req.param('slug')}: thanks for paying!`));
  app.get('/', async (c) =>
    c.html(await merchant.renderPricedLink({ href: '/articles/7', text: 'Read article 7' })),
  );
  return { app, merchant };
}
