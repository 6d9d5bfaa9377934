// A new merchant's Hono site, in plain JavaScript on the installed packages.

import { farthing } from '@farthing/merchant-sdk/hono';
import { createMerchant } from '@farthing/merchant-sdk/server';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { siteSettings } from './settings.mjs';

const { port, origin, config } = await siteSettings();
const merchant = createMerchant(config);
const app = new Hono();
app.use(farthing(merchant));
app.get('/articles/:slug', (c) => c.text(`Article ${c.req.param('slug')}: thanks for paying!`));
app.get('/downloads/:file', (c) => c.text(`Download ${c.req.param('file')}: thanks for paying!`));
app.get('/', async (c) => {
  const links = await Promise.all([
    merchant.renderPricedLink({ href: '/articles/7', text: 'Read article 7' }),
    merchant.renderPricedLink({ href: '/downloads/map.pdf', text: 'The map' }),
  ]);
  return c.html(links.join('\n'));
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`listening ${origin}`));
