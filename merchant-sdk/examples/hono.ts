import { farthing } from '@farthing/merchant-sdk/hono';
import { createMerchant } from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import { Hono } from 'hono';
import type { ShopSettings } from './settings.ts';

/** A shop whose articles cost five cents: Farthing on a fresh Hono app. */
export function honoShop(settings: ShopSettings) {
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
  const app = new Hono();
  app.use(farthing(merchant));
  app.get('/articles/:slug', (c) => c.text(`Article ${c.req.param('slug')}: thanks for paying!`));
  app.get('/', async (c) =>
    c.html(await merchant.renderPricedLink({ href: '/articles/7', text: 'Read article 7' })),
  );
  return { app, merchant };
}
