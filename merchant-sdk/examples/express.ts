import { farthing } from '@farthing/merchant-sdk/express';
import { createMerchant } from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import express from 'express';
import type { ShopSettings } from './settings.ts';

/** A shop whose articles cost five cents: Farthing on a fresh Express app. */
export function expressShop(settings: ShopSettings) {
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
  const app = express();
  app.use(farthing(merchant));
  app.get('/articles/:slug', (req, res) => {
    res.send(`Article ${req.params.slug}: thanks for paying!`);
  });
  app.get('/', async (_req, res) => {
    res.send(await merchant.renderPricedLink({ href: '/articles/7', text: 'Read article 7' }));
  });
  return { app, merchant };
}
