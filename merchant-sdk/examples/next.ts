import { farthingEndpoints, withFarthing } from '@farthing/merchant-sdk/next';
import { createMerchant } from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import type { ShopSettings } from './settings.ts';

/** A shop whose articles cost five cents: Farthing in a Next.js App Router site. */
export function nextShop(settings: ShopSettings) {
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
  // app/.well-known/[...farthing]/route.ts: export const { GET, HEAD, POST } = endpoints;
  const endpoints = farthingEndpoints(merchant);
  // app/articles/[slug]/route.ts: export const GET = article;
  const article = withFarthing(
    merchant,
    async (_request, { params }: { params: Promise<{ slug: string }> }) =>
      new Response(`Article ${(await params).slug}: thanks for paying!`),
  );
  return { endpoints, article, merchant };
}
