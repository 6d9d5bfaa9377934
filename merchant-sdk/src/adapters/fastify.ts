/**
 * `@farthing/merchant-sdk/fastify`: the SDK as a Fastify `onRequest` hook, a thin layer over
 * `merchant.handle` (Node's request becomes a web `Request` as in the Express adapter).
 *
 *   app.addHook('onRequest', farthing(merchant));
 *
 * Add it on the root instance, not inside an encapsulated plugin, so that it sees every
 * request. `onRequest` runs before Fastify parses a body, so the pay endpoint's body is read
 * here from the raw stream, whatever content-type parsers the application has. The guard
 * judges the raw request-target (`request.raw.url`); Fastify routes case-sensitively and,
 * unless `ignoreTrailingSlash` is set, strictly, and request-path.ts refuses the other
 * spellings of a priced path anyway. One spelling Fastify routes differently: it matches
 * `/articles/` to `/articles/:slug` with an empty `slug`, a path the price table does not price
 * (a parameter is a non-empty segment); such a request to a priced route is refused here.
 * A route serving a priced resource finds what was paid in `request.farthing`.
 */
import { FarthingError, problemResponse } from '@farthing/protocol/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PaidAccess } from '../server/access/guard.ts';
import type { Merchant } from '../server/merchant.ts';
import { toWebRequest } from './express.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `farthing(merchant)` for a priced resource the payer has access to. */
    farthing?: PaidAccess;
  }
}

function setCookies(reply: FastifyReply, cookies: readonly string[]): void {
  if (cookies.length === 0) return;
  const existing = reply.getHeader('set-cookie');
  const before =
    existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  reply.header('set-cookie', [...before, ...cookies]);
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') reply.header(name, value);
  });
  setCookies(reply, response.headers.getSetCookie());
  const body = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
  return reply.send(body);
}

/**
 * Whether Fastify routed the request to a route whose pattern is priced, with a parameter it
 * matched empty (module comment): that route would serve a priced handler unpaid.
 */
function emptyParameterOfPricedRoute(request: FastifyRequest, merchant: Merchant): boolean {
  const params = request.params as Record<string, unknown> | undefined;
  const pattern = request.routeOptions.url;
  if (pattern === undefined || params === undefined) return false;
  if (!Object.values(params).some((value) => value === '')) return false;
  // Each parameter (`:name`, with a regular expression or not) and wildcard as a real segment.
  const filled = pattern.replace(/:\w+(\([^)]*\))?/g, 'x').replace(/\*/g, 'x');
  try {
    return merchant.priceOf(filled) !== undefined;
  } catch {
    return true;
  }
}

/** Fastify `onRequest` hook: `app.addHook('onRequest', farthing(merchant))`. */
export function farthing(merchant: Merchant) {
  return async function farthingHook(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const target = request.raw.url ?? '/';
    let web: Request;
    try {
      web = await toWebRequest(request.raw, target);
    } catch (error) {
      return send(reply, problemResponse(error, { headers: { 'cache-control': 'no-store' } }));
    }
    const result = await merchant.handle(web, { target });
    if (result.action === 'respond') return send(reply, result.response);
    if (result.paid === undefined && emptyParameterOfPricedRoute(request, merchant)) {
      const refused = new FarthingError(
        'non_canonical_path',
        'this address has an empty segment where the priced page has a name; use its canonical address',
      );
      return send(reply, problemResponse(refused, { headers: { 'cache-control': 'no-store' } }));
    }
    if (result.paid !== undefined) {
      // The SDK's headers (grant cookie, receipt, `Cache-Control: private`) go on the reply
      // now; a route that sets its own `cache-control` replaces the SDK's.
      result.headers.forEach((value, name) => {
        if (name !== 'set-cookie') reply.header(name, value);
      });
      setCookies(reply, result.headers.getSetCookie());
      request.farthing = result.paid;
      const { delivered } = result;
      if (delivered !== undefined) reply.raw.once('finish', () => delivered(reply.raw.statusCode));
    }
    return undefined;
  };
}
