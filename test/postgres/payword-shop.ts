/**
 * One shop process for payword-shops.test.ts: the merchant SDK's pay endpoint over HTTP on a
 * free loopback port, its state in `PostgresMerchantStore` on the database the test names, the
 * bank reached over HTTP. The test starts three of these; each prints `listening <port>` once
 * it answers. Its settings come as JSON in FARTHING_TEST_SHOP (the test's ShopSettings).
 */

import { createMerchant } from '@farthing/merchant-sdk/server/merchant';
import { PostgresMerchantStore } from '@farthing/merchant-sdk/store/postgres';
import { serve } from '@hono/node-server';

export interface ShopSettings {
  readonly storeUrl: string;
  readonly bankUrl: string;
  readonly apiKey: string;
  readonly origin: string;
  /** Hex of the offer key's seed (the same at every process: same receipts, same grants). */
  readonly offerSeed: string;
  /** Base64 DER certificates: the shop's, then the bank's CA. */
  readonly certificateChain: readonly string[];
  /** The test bank's clock, which does not move during the test. */
  readonly now: number;
}

const settings = JSON.parse(process.env.FARTHING_TEST_SHOP ?? '') as ShopSettings;
const store = await PostgresMerchantStore.open({ url: settings.storeUrl, poolSize: 8 });
const merchant = createMerchant({
  merchantId: 'shop',
  name: 'Merchant shop',
  origins: [settings.origin],
  offerKey: Buffer.from(settings.offerSeed, 'hex'),
  certificateChain: settings.certificateChain.map((der) => Buffer.from(der, 'base64')),
  bank: { url: settings.bankUrl, apiKey: settings.apiKey },
  prices: [{ path: '/articles/:slug', price: 'EUR 0.05', title: 'An article' }],
  store,
  now: () => settings.now,
});

const server = serve({
  hostname: '127.0.0.1',
  port: 0,
  // The pay endpoint as the shop's origin sees it (a reverse proxy would pass it on so).
  fetch: async (request) => {
    const path = new URL(request.url).pathname;
    return merchant.pay(
      new Request(`${settings.origin}${path}`, {
        method: request.method,
        headers: request.headers,
        body: await request.arrayBuffer(),
      }),
    );
  },
});
server.once('listening', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) {
    process.stdout.write(`listening ${address.port}\n`);
  }
});
process.once('SIGTERM', () => {
  server.close();
  void store.close().then(() => process.exit(0));
});
