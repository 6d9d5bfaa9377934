// A new merchant's Express site, in plain JavaScript on the installed packages.
import { farthing } from '@farthing/merchant-sdk/express';
import { createMerchant } from '@farthing/merchant-sdk/server';
import express from 'express';
import { siteSettings } from './settings.mjs';

const { port, origin, config } = await siteSettings();
const merchant = createMerchant(config);
const app = express();
app.use(farthing(merchant));
app.get('/articles/:slug', (req, res) => {
  res.send(`Article ${req.params.slug}: thanks for paying!`);
});
app.get('/downloads/:file', (req, res) => {
  res.send(`Download ${req.params.file}: thanks for paying!`);
});
app.get('/', async (_req, res) => {
  const links = await Promise.all([
    merchant.renderPricedLink({ href: '/articles/7', text: 'Read article 7' }),
    merchant.renderPricedLink({ href: '/downloads/map.pdf', text: 'The map' }),
  ]);
  res.send(links.join('\n'));
});
app.listen(port, '127.0.0.1', () => console.log(`listening ${origin}`));
