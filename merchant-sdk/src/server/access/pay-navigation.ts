/**
 * The pay endpoint reached by the payer's own navigation (issue 21: a priced click as fast as a
 * free one): `GET /.well-known/farthing/pay?credential=<base64url>` pays exactly as the POST does
 * (payments.ts: the same credential id, so a resend is the same payment with the same receipt;
 * the same durable write before any answer) and answers `303 See Other` to the offer's own
 * resource on this origin, with the grant cookie. The wallet's tab then loads the article with
 * its grant in one navigation, while the wallet resends the same credential by POST, off the
 * click's path, for its receipt.
 *
 * Why a credential may travel in this URL (DESIGN.md says no payment token in a URL; this is
 * the measured exception, README "Paying on the navigation"):
 * - It is bound to this merchant and this offer (the merchant-signed offer is inside it, and a
 *   PayWord word only hashes onto a chain committed to this vendor), so a copy is worthless
 *   anywhere else.
 * - It is single-use: whoever sends it again gets the payment it already made (idempotent by
 *   credential id), never a second one. At most that copy opens what the user paid for, the
 *   same resource, until the grant the first payment issued expires (a resend gets that grant,
 *   not a new one).
 * - Only the wallet's service worker builds this URL, from the verified offer and the
 *   descriptor's pay endpoint, and navigates the tab with the browser's tab API: the page never
 *   holds it (no DOM, no script, no `navigate` event for a browser-initiated navigation), and no
 *   document is ever rendered at it when it pays (303; `Referrer-Policy: no-referrer`;
 *   `Cache-Control: no-store`). The wallet carries only credentials without the PayWord
 *   commitment in a URL, so the user's broker certificate never lands in history or logs.
 * - The redirect goes only to the resource the merchant's own offer names, on the origin the
 *   request came to: nothing of the request chooses where it leads (no open redirect).
 *
 * A refusal is the same refusal a POST gets, as a page a person can read, at its own status.
 */
import { maxCredentialBytes } from '@farthing/protocol/credential';
import { fromBase64url } from '@farthing/protocol/encoding';
import { FarthingError, toProblemDetails } from '@farthing/protocol/errors';
import type { ResolvedConfig } from '../config.ts';
import { carriesGrantCookie, escapeHtml, grantCookieValues } from '../http/http.ts';
import type { PaymentDesk } from '../payments/payments.ts';
import { paymentCookie } from './guard.ts';

/** The query parameter carrying the credential: base64url of the bytes a POST would send. */
export const navigationCredentialParam = 'credential';

/** base64url length of the largest credential the POST takes. */
const maxEncodedLength = Math.ceil((maxCredentialBytes * 4) / 3);

/** What the navigated pay endpoint needs beyond the request. */
export interface PayNavigationContext {
  readonly config: ResolvedConfig;
  readonly desk: PaymentDesk;
  /** The merchant origin the request came to (one of the configured origins). */
  readonly origin: string;
  /** Whether the grant cookie gets `Secure` (and the `__Host-` name). */
  readonly secure: boolean;
  /** Told of failures that are the merchant's, not the payer's. */
  readonly report: (error: unknown) => void;
}

/** Headers of every answer: nothing of it is cached, and its URL is never sent on. */
const privateHeaders = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

/** `GET …/pay?credential=…`: 303 to the paid resource with the grant cookie, or a refusal page. */
export async function payNavigationResponse(
  ctx: PayNavigationContext,
  request: Request,
): Promise<Response> {
  try {
    const bytes = navigationCredential(request);
    // As the POST: a payer who holds a grant for the resource already is sent to it, and this
    // credential is not taken (the wallet's own resend then hears `owned`).
    const held = carriesGrantCookie(request)
      ? await ctx.desk.heldPayment(bytes, (resource) => grantCookieValues(request, resource))
      : undefined;
    const payment = held ?? (await ctx.desk.pay(bytes));
    return new Response(null, {
      status: 303,
      headers: {
        ...privateHeaders,
        location: resourceLocation(ctx.origin, payment.resource),
        'set-cookie': paymentCookie(payment, ctx.config.now(), ctx.secure),
      },
    });
  } catch (error) {
    ctx.report(error);
    return refusalPage(error);
  }
}

/** Whether a request to the pay endpoint is a navigated payment (a GET with a credential). */
export function isPayNavigation(request: Request): boolean {
  return (
    request.method === 'GET' && new URL(request.url).searchParams.has(navigationCredentialParam)
  );
}

/** The credential bytes of the query: exactly one `credential`, nothing else beside it. */
function navigationCredential(request: Request): Uint8Array {
  const query = new URL(request.url).searchParams;
  const values = query.getAll(navigationCredentialParam);
  if (values.length !== 1 || [...query.keys()].length !== 1) {
    throw new FarthingError('invalid_message', 'send exactly one credential and nothing else', {
      details: { field: navigationCredentialParam },
    });
  }
  const [value] = values as [string];
  if (value.length > maxEncodedLength) {
    throw new FarthingError(
      'payload_too_large',
      `the credential may be at most ${maxCredentialBytes} bytes`,
      { details: { limit: maxCredentialBytes } },
    );
  }
  return fromBase64url(value, navigationCredentialParam);
}

/**
 * The paid resource's URL on `origin`. The resource comes from the merchant's own signed offer
 * (the desk took nothing else), and must stay a path on this origin even so.
 */
function resourceLocation(origin: string, resource: string): string {
  const url = new URL(resource, origin);
  if (!resource.startsWith('/') || resource.startsWith('//') || url.origin !== origin) {
    throw new FarthingError('internal', 'the offer names a resource off this origin');
  }
  return url.href;
}

/** The refusal a POST gets (RFC 9457), as HTML a person can read, at the problem's status. */
function refusalPage(error: unknown): Response {
  const problem = toProblemDetails(error);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment not accepted · ${escapeHtml(problem.title)}</title>
</head>
<body>
<main>
<h1>The payment was not accepted</h1>
<p>${escapeHtml(problem.detail)}</p>
<p><small>${escapeHtml(problem.title)} (<code>${escapeHtml(problem.code)}</code>, HTTP ${problem.status})</small></p>
<p>Your wallet keeps its own record of this payment and says in its history what became of it.</p>
</main>
</body>
</html>
`;
  return new Response(html, {
    status: problem.status,
    headers: {
      ...privateHeaders,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    },
  });
}
