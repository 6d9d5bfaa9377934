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
 * `merchant.handle(request)` yourself, or guard the page with `farthingMiddleware`.
 *
 *   // middleware.ts — every page behind its price, the SDK's endpoints served
 *   export const middleware = farthingMiddleware(merchant);
 *
 * `farthingMiddleware` is written on web-standard `Request` and `Response` like the rest, so it
 * imports nothing of `next`: its "let the request through" answer is what `NextResponse.next()`
 * is, a response carrying the header `x-middleware-next: 1`, whose other headers Next.js adds
 * to the page's response.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { PaidAccess } from '../server/access/guard.ts';
import { noStoreProblem } from '../server/http/http.ts';
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

/** The header by which Next.js middleware lets a request go on (what `NextResponse.next()` sets). */
export const middlewareNextHeader = 'x-middleware-next';

/**
 * A Next.js middleware (`(request) => Response | undefined`): answers the SDK's endpoints and
 * the 402 of a priced path itself, lets a payer with access through to the page with the
 * receipt, the grant cookie and `Cache-Control: private` added to the page's response, and
 * leaves every unpriced path alone (`undefined`). The page cannot read what was paid; a route
 * that needs it is a `withFarthing` route handler.
 */
export function farthingMiddleware(
  merchant: Merchant,
): (request: Request) => Promise<Response | undefined> {
  return async function farthingGate(request) {
    const result = await merchant.handle(request);
    if (result.action === 'respond') return result.response;
    if (result.paid === undefined) return undefined;
    const headers = new Headers(result.headers);
    headers.set(middlewareNextHeader, '1');
    return new Response(null, { headers });
  };
}
