import { farthingMiddleware } from '@farthing/merchant-sdk/next';
import { nextShop } from './next.ts';
import type { ShopSettings } from './settings.ts';

/** The same shop with its article pages guarded by a Next.js middleware. */
export function nextMiddlewareShop(settings: ShopSettings) {
  // The merchant of the route handler example above, made once for the whole site.
  const { merchant } = nextShop(settings);
  // middleware.ts: export const middleware = farthingMiddleware(merchant);
  const middleware = farthingMiddleware(merchant);
  // Run it on every path but Next.js's own files, in the Node.js runtime (the store is SQLite).
  const config = { matcher: ['/((?!_next/).*)'], runtime: 'nodejs' };
  return { middleware, config, merchant };
}
