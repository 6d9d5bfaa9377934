/**
 * `@farthing/merchant-sdk/next`: the SDK in a Next.js App Router site, a thin layer over
 * `merchant.handle` (route handlers take a web-standard `Request` and answer a `Response`,
 * which is what the core works on; nothing of `next` itself is needed).
 *
 *   // app/.well-known/[...farthing]/route.ts — the merchant descriptor and the pay endpoint
 *   export const { GET, HEAD, POST } = farthingEndpoints(merchant);
 *
 *   // app/articles/[slug]/route.ts — a priced resource
 *   export const GET = withFarthing(merchant, (request, { farthing }) => new Response(…));
 *
 * `withFarthing` answers 402 (or serves the pay endpoint's answers) itself and calls the
 * handler only for a payer with access, adding the receipt, the grant cookie and
 * `Cache-Control: private` to its response. Wrap priced routes only: a request whose address
 * the price table does not price is refused (`non_canonical_path`), since the route and the
 * prices then disagree. Pages rendered by React Server Components have
 * no handler to wrap: put priced content behind a route handler, or check
 * `merchant.handle(request)` yourself. Next.js middleware is not supported: it cannot hand the
 * paid access to the page nor add the SDK's headers to the page's response.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { PaidAccess } from '../server/guard.ts';
import { noStoreProblem } from '../server/http.ts';
import type { Merchant } from '../server/merchant.ts';
import { withHeaders } from './web-response.ts';

/** What `withFarthing` adds to the route's context: the access paid for. */
export interface FarthingRouteContext {
  readonly farthing: PaidAccess;
}

/** Wraps an App Router route handler so it runs only once the payer has access. */
export function withFarthing<C extends object>(
  merchant: Merchant,
  handler: (request: Request, context: C & FarthingRouteContext) => Response | Promise<Response>,
): (request: Request, context: C) => Promise<Response> {
  return async function farthingRoute(request, context) {
    const result = await merchant.handle(request);
    if (result.action === 'respond') return result.response;
    if (result.paid === undefined) {
      // Next.js routed here an address the price table does not price (another spelling of
      // the path, a parameter it matched empty): the route and the prices disagree, so serve
      // nothing rather than the priced content for free.
      return noStoreProblem(
        new FarthingError(
          'non_canonical_path',
          'this route is priced, but its prices do not cover this address',
        ),
      );
    }
    let response: Response;
    try {
      response = await handler(request, { ...context, farthing: result.paid });
    } catch (error) {
      result.delivered?.(500);
      throw error;
    }
    result.delivered?.(response.status);
    return withHeaders(response, result.headers);
  };
}

/**
 * The SDK's own endpoints (`/.well-known/farthing-merchant`, `/.well-known/farthing/…`) as the
 * handlers of one catch-all route; any other path there is 404.
 */
export function farthingEndpoints(merchant: Merchant) {
  const endpoint = async (request: Request): Promise<Response> => {
    const result = await merchant.handle(request);
    return result.action === 'respond'
      ? result.response
      : new Response(null, { status: 404, headers: { 'cache-control': 'no-store' } });
  };
  return { GET: endpoint, HEAD: endpoint, POST: endpoint };
}
