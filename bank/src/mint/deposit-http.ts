/**
 * `POST /v1/mint/deposits` served straight from node:http: the bank's hottest route, which
 * merchants call once per sale. Through @hono/node-server every request builds a web-standard
 * `Request` with a `ReadableStream` body (the body-limit middleware asks for it) and a
 * `Response`, ~150 µs of the event loop per deposit with their garbage — more than the
 * deposit's own bookkeeping. Here the same route (`depositRoute`, shared with the Hono app:
 * merchant API key, Idempotency-Key, media type, then JSON and schema) runs on Node's request
 * and response, with the same RFC 9457 problems (`problemFor`) and headers (`x-request-id`,
 * `cache-control: no-store`).
 *
 * Anything unusual — no `Content-Length`, a chunked body, a body over the limit, a path in
 * absolute form — is left to the Hono app, which answers it exactly as before.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BankContext } from '../http/context.ts';
import { problemFor } from '../http/problems.ts';
import { readIncomingBody } from '../http/request.ts';
import { depositPath } from './deposit-checks.ts';
import { depositRoute } from './deposit-route.ts';

/**
 * A node:http listener for deposits: returns false, having touched nothing, for any request
 * it leaves to the Hono app.
 */
export function depositListener(
  ctx: BankContext,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const deposit = depositRoute(ctx);
  const { log } = ctx;

  async function serve(request: IncomingMessage, response: ServerResponse, length: number) {
    const requestId = randomUUID();
    const started = performance.now();
    let status: number;
    let headers: Record<string, string>;
    let answer: string;
    try {
      const asked = {
        authorization: request.headers.authorization,
        idempotencyKey: header(request, 'idempotency-key'),
        contentType: request.headers['content-type'],
      };
      const view = await deposit(asked, () => readIncomingBody(request, length));
      status = 200;
      headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
      answer = JSON.stringify(view);
    } catch (error) {
      const problem = problemFor(error, log, { instance: depositPath, requestId });
      ({ status, headers } = problem);
      answer = problem.body;
    }
    headers['x-request-id'] = requestId;
    headers['content-length'] = String(Buffer.byteLength(answer));
    response.writeHead(status, headers);
    response.end(answer);
    log.debug(
      { requestId, method: 'POST', path: depositPath, status, ms: performance.now() - started },
      'request',
    );
  }

  return function deposits(request, response) {
    if (request.method !== 'POST') return false;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    if ((query === -1 ? url : url.slice(0, query)) !== depositPath) return false;
    const declared = request.headers['content-length'];
    if (declared === undefined || request.headers['transfer-encoding'] !== undefined) return false;
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length > ctx.config.maxBodyBytes) return false;
    serve(request, response, length).catch((error: unknown) => {
      log.error({ err: error, path: depositPath }, 'deposit response failed');
      response.destroy();
    });
    return true;
  };
}

/** A header as the web `Headers` gives it: repeated fields joined with ", ". */
function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
