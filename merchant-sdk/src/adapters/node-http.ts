/**
 * A `node:http` server for a merchant site: Node's own refusals (a head over 16 KiB, broken
 * framing, a request that does not arrive in time) answered as RFC 9457 problems with the
 * protocol's stable codes, and timeouts a slow client cannot hold a connection open with
 * (`@farthing/server-runtime/http-server`). Pass it any request listener, for instance
 * `getRequestListener(app.fetch)` from `@hono/node-server` or an Express app.
 */
import type { RequestListener, Server } from 'node:http';
import { FarthingError, toProblemDetails } from '@farthing/protocol/errors';
import {
  createHttpServer,
  type HttpRefusalCode,
  type HttpRefusalProblem,
  type HttpTimeouts,
} from '@farthing/server-runtime/http-server';

// For a site configured from its environment as the demo shop is (FARTHING_HTTP_*_MS).
export {
  type Environment,
  environmentHttpTimeouts,
  environmentInteger,
} from '@farthing/server-runtime/environment';
export {
  defaultHttpTimeouts,
  type HttpTimeouts,
  resolveHttpTimeouts,
} from '@farthing/server-runtime/http-server';

/** A refusal of Node's HTTP layer as the protocol's problem details. */
export function httpRefusalProblem(code: HttpRefusalCode, detail: string): HttpRefusalProblem {
  const problem = toProblemDetails(new FarthingError(code, detail));
  return { status: problem.status, body: JSON.stringify(problem) };
}

/** The server, not yet listening. */
export function createMerchantHttpServer(
  listener: RequestListener,
  options: { readonly timeouts?: Partial<HttpTimeouts> } = {},
): Server {
  return createHttpServer(listener, {
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    refusal: httpRefusalProblem,
  });
}
