import { createMerchant } from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import type { ShopSettings } from './settings.ts';

/** The merchant of every example below: a shop whose articles cost five cents. */
export function articleMerchant(settings: ShopSettings) {
  return createMerchant({
    merchantId: settings.merchantId,
    name: settings.name,
    origins: [settings.origin],
    offerKey: settings.offerKey,
    certificateChain: settings.certificateChain,
    bank: { url: settings.bankUrl, apiKey: settings.apiKey },
    prices: [{ path: '/articles/:slug', price: 'EUR 0.05', title: 'Article' }],
    store: new SqliteMerchantStore({ path: settings.databasePath }),
  });
}
