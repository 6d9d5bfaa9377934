import { farthing } from '@farthing/merchant-sdk/express';
import express from 'express';
import { articleMerchant } from './merchant.ts';
import type { ShopSettings } from './settings.ts';

/** The article shop on a fresh Express app. */
export function expressShop(settings: ShopSettings) {
  const merchant = articleMerchant(settings);
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
