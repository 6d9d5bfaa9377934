// server.mjs: a site that sells articles for five cents and downloads for twenty.
import { randomBytes } from 'node:crypto';
import { farthing } from '@farthing/merchant-sdk/express';
import { createMerchant, registerWithBank } from '@farthing/merchant-sdk/server';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import express from 'express';

const env = process.env;
const port = Number(env.PORT ?? 3000);
const origin = `http://127.0.0.1:${port}`;
const bank = { url: env.FARTHING_BANK_URL, apiKey: env.FARTHING_API_KEY };
const account = { merchantId: env.FARTHING_MERCHANT_ID, name: env.FARTHING_MERCHANT_NAME };

// Your bank certifies your offer key for your origin (keep both; see "1." below).
const offerKey = randomBytes(32);
const { pem } = await registerWithBank({
  ...account,
  bankUrl: bank.url,
  apiKey: bank.apiKey,
  origins: [origin],
  offerKey,
});

const merchant = createMerchant({
  ...account,
  origins: [origin],
  offerKey,
  certificateChain: pem,
  bank,
  prices: [
    { path: '/articles/:slug', price: 'EUR 0.05', title: 'Article' },
    { path: '/downloads/:file', price: 'EUR 0.20' },
  ],
  // For a real shop keep this in SQLite: npm install better-sqlite3, then SqliteMerchantStore.
  store: new MemoryMerchantStore(),
});

const app = express();
app.use(farthing(merchant)); // first: answers 402, takes payments, guards priced paths
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
