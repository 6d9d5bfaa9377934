/**
 * `@farthing/merchant-sdk/express`: the SDK as Express (or Connect) middleware, a thin layer
 * over `merchant.handle`: Node's request becomes a web `Request` (headers, and a body only for
 * the pay endpoint), the core's `Response` is written back to Node's response.
 *
 *   app.use(farthing(merchant));
 *
 * Register it before the routes, without a path (it must see every request to guard priced
 * paths under any spelling: Express matches routes case-insensitively and ignores a trailing
 * slash, request-path.ts refuses such spellings of priced paths). The raw request-target
 * (`req.originalUrl`) is what the guard judges, since that is what Express routes on.
 * A route serving a priced resource finds what was paid in `res.locals.farthing`.
 *
 * The pay endpoint's body is read here unless a body parser already did: `express.json()`
 * (its object is serialized again; the credential's meaning does not depend on its bytes),
 * `express.raw()` or `express.text()`. Its default 100 kB limit is below the 256 KiB an e-cash
 * payment may take, so register this middleware first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { maxCredentialBytes } from '@farthing/protocol/credential';
import { FarthingError, problemResponse } from '@farthing/protocol/errors';
import type { PaidAccess } from '../server/access/guard.ts';
import { payPath } from '../server/http/pages.ts';
import type { Merchant } from '../server/merchant.ts';
import { requestPathOf } from '../server/pricing/request-path.ts';
import { refundRequestPath } from '../server/refunds/refund-request.ts';

/** Node's request as Express or Connect hand it on. */
export type NodeRequest = IncomingMessage & {
  readonly originalUrl?: string;
  readonly protocol?: string;
  readonly body?: unknown;
};

/** Node's response, with Express's `locals` when present. */
export type NodeResponse = ServerResponse & { locals?: Record<string, unknown> };

/** Express's `res.locals` gets `farthing: PaidAccess` on paid requests. */
export interface FarthingLocals {
  farthing?: PaidAccess;
}

async function readStream(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new FarthingError('payload_too_large', `the body may be at most ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The pay endpoint's body, wherever an earlier middleware may have put it. */
async function payBody(req: NodeRequest): Promise<Uint8Array<ArrayBuffer> | string | undefined> {
  if (!req.readableEnded) return readStream(req, maxCredentialBytes);
  const { body } = req;
  if (body instanceof Uint8Array) return new Uint8Array(body);
  if (typeof body === 'string') return body;
  if (body !== undefined && body !== null) return JSON.stringify(body);
  return undefined;
}

/**
 * Node's request as a web `Request`: its headers, and a body only for the pay endpoint
 * (other bodies stay unread for the application). `target` is the raw request-target.
 */
export async function toWebRequest(req: NodeRequest, target: string): Promise<Request> {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const protocol = req.protocol ?? (encrypted ? 'https' : 'http');
  let url: URL;
  try {
    url = new URL(target.startsWith('/') ? `${protocol}://${req.headers.host}${target}` : target);
  } catch {
    url = new URL(`${protocol}://localhost/`); // a bad Host header; the path is judged from `target`
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = req.method ?? 'GET';
  let body: Uint8Array<ArrayBuffer> | string | undefined;
  const path = requestPathOf(target);
  // The SDK's two POST endpoints read a body: the pay endpoint and the refund request.
  if (method === 'POST' && (path === payPath || path === refundRequestPath)) {
    body = await payBody(req);
    // The body may have been parsed and serialized again: its length is the new one.
    headers.delete('content-length');
    headers.delete('transfer-encoding');
  }
  return new Request(url, { method, headers, ...(body === undefined ? {} : { body }) });
}

async function send(res: NodeResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
  res.end(body);
}

function addHeaders(res: NodeResponse, headers: Headers): void {
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = headers.getSetCookie();
  if (cookies.length === 0) return;
  const existing = res.getHeader('set-cookie');
  const before =
    existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('set-cookie', [...before, ...cookies]);
}

/** Express/Connect middleware: `app.use(farthing(merchant))`. */
export function farthing(merchant: Merchant) {
  return function farthingMiddleware(
    req: NodeRequest,
    res: NodeResponse,
    next: (error?: unknown) => void,
  ): void {
    const target = req.originalUrl ?? req.url ?? '/';
    (async () => {
      let request: Request;
      try {
        request = await toWebRequest(req, target);
      } catch (error) {
        await send(res, problemResponse(error, { headers: { 'cache-control': 'no-store' } }));
        return;
      }
      const result = await merchant.handle(request, { target });
      if (result.action === 'respond') {
        await send(res, result.response);
        return;
      }
      if (result.paid !== undefined) {
        addHeaders(res, result.headers);
        if (res.locals !== undefined) res.locals.farthing = result.paid;
        const { delivered } = result;
        if (delivered !== undefined) res.once('finish', () => delivered(res.statusCode));
      }
      next();
    })().catch(next);
  };
}
