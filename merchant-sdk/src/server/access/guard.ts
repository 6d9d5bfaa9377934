/**
 * The guard in front of one priced resource (DESIGN.md "Priced link", step 5): the request
 * passes to the application with a valid access grant for exactly this resource, or after
 * paying inline with `Authorization: Farthing credential="…"`, or when it is the navigation
 * that follows a payment of this resource (`?farthing-paying=<id>`, follow-payment.ts: served
 * with that payment's grant once it is stored, waiting up to `paymentWaitMs` for it);
 * otherwise it gets the 402 challenge (challenge.ts).
 */
import { verifyAccessGrant } from '@farthing/protocol/access-grant';
import type { Amount } from '@farthing/protocol/amount';
import { toBase64url, utf8Bytes } from '@farthing/protocol/encoding';
import { isFarthingError } from '@farthing/protocol/errors';
import { navigationIdOf } from '@farthing/protocol/http/paying-navigation';
import type { ReceiptWire } from '@farthing/protocol/receipt';
import type { PaymentRecord } from '../../store/store.ts';
import type { ResolvedConfig } from '../config.ts';
import { grantCookie, grantCookieValues } from '../http/http.ts';
import {
  credentialBytes,
  isFarthingAuthorization,
  type PaymentDesk,
  receiptJson,
} from '../payments/payments.ts';
import type { OfferBook } from '../pricing/offers.ts';
import type { PricedResource } from '../pricing/price-table.ts';
import { paymentRequiredResponse } from './challenge.ts';
import { followNavigation } from './follow-payment.ts';

/** What the application learns about a paid request it is about to serve. */
export interface PaidAccess {
  readonly resource: string;
  readonly price: Amount;
  readonly title: string | undefined;
  /** Until when the payer's grant (carried, or just issued) opens the resource. */
  readonly grantExpiresAt: number;
  /** When the request itself paid (inline credential): the signed receipt. */
  readonly receipt?: ReceiptWire;
}

/** Answer now, or let the application serve (adding `headers`). */
export type GuardResult =
  | { readonly action: 'respond'; readonly response: Response }
  | {
      readonly action: 'continue';
      readonly paid: PaidAccess;
      /** The access grant that opened it (the delivery log's key, refunds/deliveries.ts). */
      readonly grantToken: string;
      /** To add to the application's response (appended, e.g. `Set-Cookie`). */
      readonly headers: Headers;
    };

/** What the guard needs beyond the request. */
export interface GuardContext {
  readonly config: ResolvedConfig;
  readonly offers: OfferBook;
  readonly desk: PaymentDesk;
  /** The merchant origin this request is served on. */
  readonly origin: string;
  /** Whether the grant cookie gets `Secure` (and the `__Host-` name). */
  readonly secure: boolean;
}

/** The `Set-Cookie` value carrying a stored payment's grant. */
export function paymentCookie(
  payment: Pick<PaymentRecord, 'resource' | 'grantToken' | 'grantExpiresAt'>,
  now: number,
  secure: boolean,
): string {
  return grantCookie({
    resource: payment.resource,
    token: payment.grantToken,
    maxAgeSeconds: (payment.grantExpiresAt - now) / 1000,
    secure,
  });
}

/** Guards one request for a priced resource. */
export async function guardPricedRequest(
  ctx: GuardContext,
  request: Request,
  priced: PricedResource,
): Promise<GuardResult> {
  const { config } = ctx;
  const authorization = request.headers.get('authorization');
  let refusal: unknown;
  if (authorization !== null && isFarthingAuthorization(authorization)) {
    try {
      return await payInline(ctx, authorization, priced);
    } catch (error) {
      refusal = error;
    }
  } else {
    for (const token of grantCookieValues(request, priced.resource)) {
      try {
        const grant = verifyAccessGrant(token, {
          key: config.grantKey,
          merchantId: config.merchantId,
          resource: priced.resource,
          now: config.now(),
        });
        return {
          action: 'continue',
          paid: paidAccess(priced, grant.expiresAt),
          grantToken: token,
          headers: new Headers(),
        };
      } catch (error) {
        // Only an honest grant that ran out is worth telling the payer about.
        if (isFarthingError(error, 'grant_expired')) refusal = error;
      }
    }
    // Only now, without a grant: the common request (a valid grant) does no more work. A
    // malformed id is no id: the 402 at once.
    const navigation = navigationIdOf(request.url);
    if (navigation !== undefined) return followingNavigation(ctx, request, priced, navigation);
  }
  return challenge(ctx, request, priced, refusal);
}

/** The 402 challenge (challenge.ts). */
async function challenge(
  ctx: GuardContext,
  request: Request,
  priced: PricedResource,
  refusal: unknown,
): Promise<GuardResult> {
  const issued = await ctx.offers.offerFor(priced, ctx.origin);
  return {
    action: 'respond',
    response: paymentRequiredResponse({
      request,
      priced,
      issued,
      origin: ctx.origin,
      merchantName: ctx.config.name,
      ...(refusal === undefined ? {} : { refusal }),
    }),
  };
}

/**
 * The navigation that follows its payment (follow-payment.ts): served with the payment's grant
 * when it pays exactly this resource and its grant still runs; a refusal answers the 402 with
 * it; else the usual 402. Served once: following takes the outcome (payment-waiters.ts `take`,
 * and `tell` serves only the first request waiting), so a copy of the URL (a third-party
 * script reading `location`, a log) opens nothing afterwards.
 */
async function followingNavigation(
  ctx: GuardContext,
  request: Request,
  priced: PricedResource,
  navigation: string,
): Promise<GuardResult> {
  const { waiters } = ctx.desk;
  const followed = await followNavigation(waiters, navigation);
  if (followed.status === 'stored') {
    const { payment } = followed;
    const now = ctx.config.now();
    if (payment.resource === priced.resource && payment.grantExpiresAt > now) {
      const headers = new Headers();
      headers.append('set-cookie', paymentCookie(payment, now, ctx.secure));
      return {
        action: 'continue',
        paid: paidAccess(priced, payment.grantExpiresAt),
        grantToken: payment.grantToken,
        headers,
      };
    }
  }
  return challenge(
    ctx,
    request,
    priced,
    followed.status === 'refused' ? followed.error : undefined,
  );
}

async function payInline(
  ctx: GuardContext,
  authorization: string,
  priced: PricedResource,
): Promise<GuardResult> {
  const payment = await ctx.desk.pay(credentialBytes(authorization, undefined), priced.resource);
  const receipt = receiptJson(payment) as ReceiptWire;
  const headers = new Headers();
  headers.append('set-cookie', paymentCookie(payment, ctx.config.now(), ctx.secure));
  // RFC 9110 §11.6.3: Authentication-Info carries what the server says about the completed
  // authentication; here the signed receipt, so a program paying inline gets it too.
  headers.set('authentication-info', `receipt="${toBase64url(utf8Bytes(payment.receipt))}"`);
  headers.set('access-control-expose-headers', 'Authentication-Info');
  return {
    action: 'continue',
    paid: { ...paidAccess(priced, payment.grantExpiresAt), receipt },
    grantToken: payment.grantToken,
    headers,
  };
}

/** What the application is told of a payer's access to a priced resource. */
function paidAccess(priced: PricedResource, grantExpiresAt: number): PaidAccess {
  return { resource: priced.resource, price: priced.price, title: priced.title, grantExpiresAt };
}
