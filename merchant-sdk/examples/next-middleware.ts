import { farthingMiddleware } from '@farthing/merchant-sdk/next';
import { createMerchant } from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import type { ShopSettings } from './settings.ts';

/** The same shop with its article pages guarded by a Next.js middleware. */
export function nextMiddlewareShop(settings: ShopSettings) {
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
  // middleware.ts: export const middleware = farthingMiddleware(merchant);
  const middleware = farthingMiddleware(merchant);
  // Run it on every path but Next.js's own files, in the Node.js runtime (the store is SQLite).
  const config = { matcher: ['/((?!_next/).*)'], runtime: 'nodejs' };
  return { middleware, config, merchant };
}
