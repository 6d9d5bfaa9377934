/**
 * Small HTTP pieces the core needs on web-standard `Request`/`Response`: content negotiation
 * between people and programs, the access-grant cookie, and a size-limited body.
 */
import { createHash } from 'node:crypto';
import { concatBytes } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError, problemResponse } from '@farthing/protocol/errors';

/** Media-range weights of an `Accept` value (RFC 9110 §12.5.1) for one media type. */
function weight(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = -1;
  let specificity = -1;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    const level = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (level > specificity && Number.isFinite(value)) {
      specificity = level;
      best = value;
    }
  }
  return Math.max(best, 0);
}

/**
 * People get HTML, programs JSON: HTML only when the client prefers it to JSON (browsers send
 * `text/html,…`); `*\/*`, no Accept, or a tie goes to problem+json.
 */
export function prefersHtml(request: Request): boolean {
  const accept = request.headers.get('accept');
  if (accept === null || accept === '') return false;
  const html = weight(accept, 'text/html');
  const json = Math.max(
    weight(accept, 'application/json'),
    weight(accept, 'application/problem+json'),
  );
  return html > json;
}

// --- the access-grant cookie

/**
 * One cookie per paid resource, so buying a second article does not overwrite the first
 * grant: the name carries 96 bits of SHA-256 of the resource (base64url is RFC 6265 token-safe).
 * Over https the name has the `__Host-` prefix (RFC 6265bis §4.1.3.2): the browser then only
 * accepts it with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant or
 * shadow a grant.
 */
export function grantCookieName(resource: string, secure: boolean): string {
  let id = cookieIds.get(resource);
  if (id === undefined) {
    id = createHash('sha256')
      .update(resource, 'utf8')
      .digest()
      .subarray(0, 12)
      .toString('base64url');
    // Each paid click and each guarded request names its cookie; a site has few resources.
    if (cookieIds.size >= 4096) cookieIds.clear();
    cookieIds.set(resource, id);
  }
  return `${secure ? '__Host-' : ''}farthing-grant-${id}`;
}

const cookieIds = new Map<string, string>();

/**
 * `HttpOnly`: page scripts never see the grant (a script injected into one article cannot
 * carry it off). `SameSite=Lax`: the browser sends it on top-level navigations, including when
 * the payer follows a link to the paid article from another site later, but not on cross-site
 * subresource requests or POSTs, so another site cannot use the payer's grants in the
 * background; `Strict` would show the paywall again to a payer arriving from a search result.
 * `Path=/`: the grant itself names its resource (a signed check, unlike cookie paths, which are
 * prefix matches and no security boundary, RFC 6265 §8.5). `Max-Age` is the grant's lifetime.
 */
export function grantCookie(parameters: {
  readonly resource: string;
  readonly token: string;
  readonly maxAgeSeconds: number;
  readonly secure: boolean;
}): string {
  const name = grantCookieName(parameters.resource, parameters.secure);
  const maxAge = Math.max(0, Math.round(parameters.maxAgeSeconds));
  return `${name}=${parameters.token}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Lax${
    parameters.secure ? '; Secure' : ''
  }`;
}

/** Whether a request carries any grant cookie, whatever its resource (a cheap first look). */
export function carriesGrantCookie(request: Request): boolean {
  return request.headers.get('cookie')?.includes('farthing-grant-') ?? false;
}

/** The grant cookies a request carries for `resource` (both spellings of the name). */
export function grantCookieValues(request: Request, resource: string): string[] {
  const header = request.headers.get('cookie');
  if (header === null) return [];
  const plain = grantCookieName(resource, false);
  const prefixed = grantCookieName(resource, true);
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const name = pair.slice(0, at).trim();
    if (name === plain || name === prefixed) values.push(pair.slice(at + 1).trim());
  }
  return values;
}

// --- bodies and responses

/**
 * The request body, refusing more than `limit` bytes before reading them all. A body that ends
 * early (the client went away, or the server cut off a body shorter than its Content-Length)
 * is the client's failure, not the merchant's: `invalid_message`, not reported as an error.
 */
export async function readLimitedBody(request: Request, limit: number): Promise<Uint8Array> {
  try {
    return await readBody(request, limit);
  } catch (error) {
    if (isFarthingError(error)) throw error;
    throw new FarthingError('invalid_message', 'the request body did not arrive whole', {
      cause: error,
    });
  }
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new FarthingError('payload_too_large', `the body may be at most ${limit} bytes`, {
      details: { limit },
    });
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (declared !== null) {
    // A declared length within the limit: read at once (the platform enforces the length).
    // Not touching `request.body` first matters on Node: @hono/node-server then reads the
    // socket directly instead of building a web stream (a fifth of a payment's time).
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.length > limit) throw tooLarge();
    return body;
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
}

/** 415 unless the request declares an `application/json` body; `what` names it (`the offer`). */
export function requireJsonContentType(request: Request, what: string): void {
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) {
    throw new FarthingError('unsupported_media_type', `send ${what} as application/json`);
  }
}

// RFC 8259 §8.1: a parser may ignore a leading byte order mark, so the decoder drops it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request body of at most `limit` bytes (`readLimitedBody`), parsed as UTF-8 JSON:
 * `invalid_message` naming `what` (`the refund request`) if it is not JSON.
 */
export async function readJsonBody(
  request: Request,
  limit: number,
  what: string,
): Promise<unknown> {
  const body = await readLimitedBody(request, limit);
  try {
    return JSON.parse(utf8.decode(body));
  } catch (cause) {
    throw new FarthingError('invalid_message', `${what} is not JSON`, {
      details: { field: 'body' },
      cause,
    });
  }
}

/** A JSON response. */
export function jsonResponse(body: unknown, status: number, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status, headers: merged });
}

/** RFC 9457 problem, never cached: refusals depend on state that changes. */
export function noStoreProblem(error: unknown, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set('cache-control', 'no-store');
  return problemResponse(error, { headers: merged });
}

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML element content or a quoted attribute value (HTML §13.1.2.3, §13.5). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c]!);
}
