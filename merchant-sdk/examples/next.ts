import { farthingEndpoints, withFarthing } from '@farthing/merchant-sdk/next';
import { articleMerchant } from './merchant.ts';
import type { ShopSettings } from './settings.ts';

/** The article shop in a Next.js App Router site. */
export function nextShop(settings: ShopSettings) {
  const merchant = articleMerchant(settings);
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
