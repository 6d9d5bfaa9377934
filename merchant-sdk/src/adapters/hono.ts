/**
 * `@farthing/merchant-sdk/hono`: the SDK as Hono middleware, a thin layer over
 * `merchant.handle` (the core works on the same web-standard `Request` Hono has).
 *
 *   app.use(farthing(merchant));
 *
 * mounts the merchant descriptor and the pay endpoint and guards every priced path. Register it
 * before the routes, on every path (`app.use(...)` without a path). A route serving a priced
 * resource can read what was paid with `c.get('farthing')`. Hono routes on the URL as the
 * `Request` parsed it, which is also what the guard judges.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { MiddlewareHandler } from 'hono';
import type { PaidAccess } from '../server/access/guard.ts';
import { noStoreProblem } from '../server/http/http.ts';
import type { Merchant } from '../server/merchant.ts';
import { withHeaders } from './web-response.ts';

/** Context variables the middleware sets, for `new Hono<FarthingEnv>()`. */
export interface FarthingEnv {
  Variables: {
    /** Set for a priced resource the payer has access to. */
    farthing: PaidAccess | undefined;
  };
}

/** Hono middleware: `app.use(farthing(merchant))`, before the routes. */
export function farthing(merchant: Merchant): MiddlewareHandler<FarthingEnv> {
  return async function farthingMiddleware(c, next) {
    // A middleware before this one may have read the body (`c.req.json()`); Hono keeps a copy.
    const raw = c.req.raw;
    const request = raw.bodyUsed ? new Request(raw, { body: await c.req.arrayBuffer() }) : raw;
    const result = await merchant.handle(request);
    if (result.action === 'respond') return result.response;
    if (result.paid === undefined) return next();
    c.set('farthing', result.paid);
    await next();
    // What the application answered (Hono's onError has made a throw a 5xx by now).
    result.delivered?.(c.res.status);
    const response = withHeaders(c.res, result.headers);
    if (response !== c.res) {
      // Hono's `res` setter copies the old headers over the new ones; clear it first.
      c.res = undefined;
      c.res = response;
    }
  };
}

/**
 * For @hono/node-server's `getRequestListener(app.fetch, { errorHandler: farthingRequestErrors })`
 * (its `serve()` takes no error handler): a request the server refuses before any middleware
 * runs gets an RFC 9457 problem with a stable code instead of a bare 400. A backslash in the
 * path (which the URL parser would read as `/`) is `non_canonical_path`, as the guard answers
 * every other odd spelling of an address; anything else the server could not read (a bad Host,
 * an invalid URL) is `invalid_message`; an error of the application is `internal`.
 */
export function farthingRequestErrors(error: unknown): Response {
  if (!(error instanceof Error) || error.name !== 'RequestError') return noStoreProblem(error);
  if (/backslash/i.test(error.message)) {
    return noStoreProblem(
      new FarthingError(
        'non_canonical_path',
        'this spelling of an address is not accepted; use the address exactly as linked',
        { details: { field: 'path' } },
      ),
    );
  }
  return noStoreProblem(
    new FarthingError('invalid_message', 'the request could not be read', {
      details: { field: 'request' },
    }),
  );
}
