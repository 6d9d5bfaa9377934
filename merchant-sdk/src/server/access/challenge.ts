/**
 * The answer at a priced URL without a valid grant (DESIGN.md "Priced link": "402 Payment
 * Required with a machine-readable challenge and a readable paywall page"):
 *
 *   HTTP/1.1 402 Payment Required
 *   WWW-Authenticate: Farthing realm="<origin>", offer="<offer>", descriptor="<url>"
 *                     [, error="<code>", error_description="<text>"]
 *   Cache-Control: no-store
 *   Access-Control-Expose-Headers: WWW-Authenticate
 *   Vary: Accept
 *
 * with an RFC 9457 problem (`payment_required`, or the code that refused the last credential)
 * for programs, or the paywall page for people; both carry the same offer. A failure on the
 * merchant's side (bank unreachable) keeps its own 5xx status, so the wallet retries.
 */
import { formatAmount } from '@farthing/protocol/amount';
import {
  FarthingError,
  isFarthingError,
  problemContentType,
  toProblemDetails,
} from '@farthing/protocol/errors';
import { formatFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerToBytes } from '@farthing/protocol/offer-token';
import { cardInitiationPath } from '../card/card-pay.ts';
import { prefersHtml } from '../http/http.ts';
import { descriptorPath, payPath, paywallHtml } from '../http/pages.ts';
import type { IssuedOffer } from '../pricing/offers.ts';
import type { PricedResource } from '../pricing/price-table.ts';

/** What the 402 answer is made of. */
export interface PaymentRequiredParameters {
  readonly request: Request;
  readonly priced: PricedResource;
  readonly issued: IssuedOffer;
  /** The merchant origin the offer names. */
  readonly origin: string;
  readonly merchantName: string;
  /** Why the credential sent with this request was refused. */
  readonly refusal?: unknown;
}

/** RFC 6750 §3 error_description characters: printable ASCII but `"` and `\`. */
function describable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 300);
}

/** The 402 (or, for the merchant's own failure, 5xx) answer at a priced URL. */
export function paymentRequiredResponse(p: PaymentRequiredParameters): Response {
  const refusal = p.refusal === undefined ? undefined : asFarthingError(p.refusal);
  const descriptor = `${p.origin}${descriptorPath}`;
  const challenge = formatFarthingChallenge({
    realm: p.origin,
    offer: offerToBytes(p.issued.offer),
    descriptor,
    ...(refusal === undefined
      ? {}
      : { error: refusal.code, errorDescription: describable(refusal.shortMessage) }),
  });
  const status = refusal !== undefined && refusal.status >= 500 ? refusal.status : 402;
  const headers = new Headers({
    'www-authenticate': challenge,
    'cache-control': 'no-store',
    'access-control-expose-headers': 'WWW-Authenticate',
    vary: 'Accept',
  });
  if (prefersHtml(p.request)) {
    headers.set('content-type', 'text/html; charset=utf-8');
    // The page needs no script and loads nothing; only its own inline style.
    headers.set(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    );
    const html = paywallHtml({
      merchantName: p.merchantName,
      resource: p.priced.resource,
      title: p.priced.title,
      price: p.priced.price,
      offerToken: p.issued.token,
      ...(refusal === undefined ? {} : { refusal: refusal.shortMessage }),
    });
    return new Response(p.request.method === 'HEAD' ? null : html, { status, headers });
  }
  // RFC 9457 §3.1.4: `title` is the code's summary; the resource's own title is `resourceTitle`.
  const problem = {
    ...toProblemDetails(
      refusal ?? new FarthingError('payment_required', 'this resource must be paid for first'),
      p.priced.resource,
    ),
    status,
    resource: p.priced.resource,
    price: formatAmount(p.priced.price),
    ...(p.priced.title === undefined ? {} : { resourceTitle: p.priced.title }),
    offer: p.issued.token,
    descriptor,
    payEndpoint: `${p.origin}${payPath}`,
    // Where a card payment starts (card/card-pay.ts), when the offer takes cards.
    ...(p.issued.offer.instruments.includes('card')
      ? { cardInitiation: `${p.origin}${cardInitiationPath}` }
      : {}),
  };
  headers.set('content-type', problemContentType);
  return new Response(p.request.method === 'HEAD' ? null : JSON.stringify(problem), {
    status,
    headers,
  });
}

function asFarthingError(error: unknown): FarthingError {
  return isFarthingError(error)
    ? error
    : new FarthingError('internal', 'the payment could not be completed');
}
