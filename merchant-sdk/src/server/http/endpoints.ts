/**
 * The merchant on the wire: `handle` mounts the SDK's endpoints (the descriptor, the pay
 * endpoint, the purse challenge, the card initiation, a receipt's refunds, a refund request), refuses odd
 * spellings of priced paths (request-path.ts), guards priced resources (access/guard.ts) and
 * lets everything else through untouched. `pay` is the pay endpoint alone.
 */
import { maxCredentialBytes } from '@farthing/protocol/credential';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { isNavigationId, navigationHeader } from '@farthing/protocol/http/paying-navigation';
import type { SdkInstrument } from '../../store/store.ts';
import {
  type GuardResult,
  guardPricedRequest,
  type PaidAccess,
  paymentCookie,
} from '../access/guard.ts';
import type { BankClient } from '../bank/bank-client.ts';
import { cardInitiationPath, type MerchantCard } from '../card/card-pay.ts';
import type { ResolvedConfig } from '../config.ts';
import { credentialBytes, type PaymentDesk } from '../payments/payments.ts';
import { nonCanonical } from '../pricing/catalog.ts';
import type { OfferBook } from '../pricing/offers.ts';
import { classifyRequestPath, requestPathOf } from '../pricing/request-path.ts';
import type { PurseDesk } from '../purse/purse-desk.ts';
import { purseChallengePath, purseChallengeResponse } from '../purse/purse-pay.ts';
import type { DeliveryLog } from '../refunds/deliveries.ts';
import { receiptRefunds, refundsPathPrefix } from '../refunds/refund.ts';
import {
  grantRefunded,
  type RefundRequestPolicy,
  refundRequestPath,
  refundRequestResponse,
} from '../refunds/refund-request.ts';
import {
  carriesGrantCookie,
  grantCookieValues,
  jsonResponse,
  noStoreProblem,
  readLimitedBody,
} from './http.ts';
import { descriptorPath, payPath } from './pages.ts';

/** What `/.well-known/farthing-merchant` serves: everything a wallet checks before paying. */
export interface MerchantDescriptor {
  readonly version: 1;
  readonly merchantId: string;
  readonly name: string;
  readonly origins: readonly string[];
  readonly bank: { readonly url: string };
  /** base64url DER: the merchant certificate, then the bank's CA certificate. */
  readonly certificateChain: readonly string[];
  /** base64url of the Ed25519 key offers are signed with (the certificate's key). */
  readonly offerPublicKey: string;
  readonly instruments: readonly SdkInstrument[];
  /** Absolute URL of the pay endpoint on the origin the descriptor was fetched from. */
  readonly payEndpoint: string;
}

/** How an adapter describes the request beyond the web `Request`. */
export interface HandleOptions {
  /**
   * The request-target exactly as received (Express: `req.originalUrl`), when the framework
   * routes on it rather than on `request.url`, which the URL parser has already normalised.
   */
  readonly target?: string;
}

/** `respond`: send this response. `continue`: run the application, adding `headers`. */
export type HandleResult =
  | { readonly action: 'respond'; readonly response: Response }
  | {
      readonly action: 'continue';
      /** Set when the request is for a priced resource the payer has access to. */
      readonly paid: PaidAccess | undefined;
      readonly headers: Headers;
      /**
       * For a paid request: the adapter reports the application's status here once it answered,
       * so the SDK knows whether the paid content was delivered (refunds/deliveries.ts).
       */
      readonly delivered?: (status: number) => void;
    };

/** The response of the pay endpoint. */
export interface PayResponseBody {
  readonly receipt: unknown;
  readonly grant: { readonly resource: string; readonly expiresAt: number };
  /**
   * Present (true) when the payer already held a valid grant for the resource in this browser:
   * the receipt is that earlier payment's, and the credential sent was not taken.
   */
  readonly owned?: true;
}

/** The parts of the merchant the endpoints answer with. */
export interface EndpointParts {
  readonly config: ResolvedConfig;
  readonly bank: BankClient;
  readonly offers: OfferBook;
  readonly desk: PaymentDesk;
  readonly purse: PurseDesk | undefined;
  readonly card: MerchantCard;
  /** Told of failures that are the merchant's, not the payer's. */
  readonly report: (error: unknown) => void;
  /** Whether each grant's paid content was served (refunds/deliveries.ts). */
  readonly deliveries: DeliveryLog;
  /** Settles what the merchant holds, so a refund can be paid (refunds/refund.ts). */
  readonly settle: () => Promise<unknown>;
  readonly decideRefundRequest: RefundRequestPolicy | undefined;
}

/** A 5xx or an unexpected throw is the merchant's to hear of; a payer's mistake is not. */
export function merchantFailureReporter(
  onError: ((error: unknown) => void) | undefined,
): (error: unknown) => void {
  return (error) => {
    if (!isFarthingError(error) || error.status >= 500) onError?.(error);
  };
}

export class MerchantEndpoints {
  readonly #parts: EndpointParts;

  constructor(parts: EndpointParts) {
    this.#parts = parts;
  }

  /** The merchant descriptor as served on `origin` (default: the first origin). */
  descriptor(origin: string = this.#parts.config.origins[0]!): MerchantDescriptor {
    const config = this.#parts.config;
    return {
      version: 1,
      merchantId: config.merchantId,
      name: config.name,
      origins: config.origins,
      bank: { url: config.bankUrl },
      certificateChain: config.certified.chain.map(toBase64url),
      offerPublicKey: toBase64url(config.publicKey),
      instruments: config.instruments,
      payEndpoint: `${origin}${payPath}`,
    };
  }

  /** The pay endpoint: `{ receipt, grant }` with the grant cookie, or a problem. */
  async pay(request: Request): Promise<Response> {
    if (request.method !== 'POST') {
      return new Response(null, { status: 405, headers: { allow: 'POST' } });
    }
    const { desk, config } = this.#parts;
    // The navigation that follows this payment (protocol http/paying-navigation.ts); a
    // malformed id is ignored, the payment taken as without one.
    const header = request.headers.get(navigationHeader);
    const navigation = isNavigationId(header) ? header : undefined;
    try {
      const authorization = request.headers.get('authorization');
      const type = request.headers.get('content-type') ?? '';
      const body = await readLimitedBody(request, maxCredentialBytes);
      if (body.length > 0 && !/^application\/json\s*(;|$)/i.test(type)) {
        throw new FarthingError(
          'unsupported_media_type',
          'send the credential as application/json',
        );
      }
      const bytes = credentialBytes(authorization, body);
      // A payer who holds a grant for the resource already gets that payment's receipt. Only a
      // request carrying a grant cookie at all is asked about (it parses and verifies the
      // credential's offer): the common payment is not checked twice on its hot path.
      const held = carriesGrantCookie(request)
        ? await desk.heldPayment(bytes, (resource) => grantCookieValues(request, resource))
        : undefined;
      const payment = held ?? (await desk.pay(bytes));
      if (navigation !== undefined) {
        // The navigation following this payment is served with its grant (payment-waiters.ts),
        // an earlier payment the payer holds as well.
        const { resource, grantToken, grantExpiresAt } = payment;
        desk.waiters.tell(navigation, {
          status: 'stored',
          payment: { resource, grantToken, grantExpiresAt },
        });
      }
      const origin = this.#originOf(request);
      // `PayResponseBody`, with the stored receipt's JSON text spliced in as it is; `owned`
      // says the receipt is of an earlier payment and this credential was not taken.
      const answer = `{"receipt":${payment.receipt},"grant":${JSON.stringify({
        resource: payment.resource,
        expiresAt: payment.grantExpiresAt,
      })}${held === undefined ? '' : ',"owned":true'}${
        payment.purchase === undefined ? '' : `,"purchase":${JSON.stringify(payment.purchase)}`
      }}`;
      return new Response(answer, {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          'set-cookie': paymentCookie(payment, config.now(), isSecure(request, origin)),
        },
      });
    } catch (error) {
      // The navigation gets its 402 with this refusal at once (a refusal told after the
      // payment was stored does not take that back: `tell`).
      if (navigation !== undefined) desk.waiters.tell(navigation, { status: 'refused', error });
      this.#parts.report(error);
      return noStoreProblem(error);
    }
  }

  /** The whole SDK for one request (see the module comment). */
  async handle(request: Request, options: HandleOptions = {}): Promise<HandleResult> {
    const path = requestPathOf(options.target ?? request.url);
    const endpoint = await this.#endpoint(path, request);
    if (endpoint !== undefined) return { action: 'respond', response: endpoint };
    const decision = classifyRequestPath(this.#parts.config.prices, path);
    if (decision.kind === 'free')
      return { action: 'continue', paid: undefined, headers: new Headers() };
    if (decision.kind === 'refused') {
      return { action: 'respond', response: noStoreProblem(nonCanonical(decision.pattern)) };
    }
    const { config, offers, desk } = this.#parts;
    const origin = this.#originOf(request);
    let result: GuardResult;
    try {
      result = await guardPricedRequest(
        { config, offers, desk, origin, secure: isSecure(request, origin) },
        request,
        decision.priced,
      );
    } catch (error) {
      this.#parts.report(error);
      return { action: 'respond', response: noStoreProblem(error) };
    }
    if (result.action === 'respond') return result;
    const { grantToken } = result;
    const { deliveries, report } = this.#parts;
    if (deliveries.isRefunded(grantToken)) {
      return { action: 'respond', response: noStoreProblem(grantRefunded()) };
    }
    // Paid content must never land in a shared cache (unless the application says otherwise).
    if (!result.headers.has('cache-control')) result.headers.set('cache-control', 'private');
    const delivered = (status: number) =>
      void deliveries.answered(grantToken, status, config.now()).catch(report);
    return { action: 'continue', paid: result.paid, headers: result.headers, delivered };
  }

  /** The SDK's own endpoints, mounted by path; undefined when `path` is none of them. */
  async #endpoint(path: string, request: Request): Promise<Response | undefined> {
    const { config, offers, purse, card } = this.#parts;
    if (path === payPath) return this.pay(request);
    if (path === purseChallengePath) {
      return purseChallengeResponse(request, { config, offers, desk: purse });
    }
    if (path === cardInitiationPath) return card.initiationResponse(request, offers);
    if (path === refundRequestPath) return this.#refundRequest(request);
    if (path.startsWith(refundsPathPrefix) && request.method === 'GET') {
      return this.#refunds(path.slice(refundsPathPrefix.length));
    }
    if (path === descriptorPath && (request.method === 'GET' || request.method === 'HEAD')) {
      const response = jsonResponse(this.descriptor(this.#originOf(request)), 200, {
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
      });
      return request.method === 'HEAD' ? new Response(null, response) : response;
    }
    return undefined;
  }

  /** `POST /.well-known/farthing/refund-request`: a payer's refund for content not delivered. */
  async #refundRequest(request: Request): Promise<Response> {
    const { config, bank, settle, deliveries, decideRefundRequest, report } = this.#parts;
    const context = { config, bank, settle, deliveries, decide: decideRefundRequest };
    return refundRequestResponse(context, request).catch((error: unknown) => {
      report(error);
      return noStoreProblem(error);
    });
  }

  /** `GET /.well-known/farthing/refunds/<receiptId>`: the refunds of one receipt. */
  async #refunds(receiptId: string): Promise<Response> {
    try {
      const refunds = await receiptRefunds({ bank: this.#parts.bank }, receiptId);
      return jsonResponse(refunds, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      this.#parts.report(error);
      return noStoreProblem(error);
    }
  }

  /** The merchant's origin the request came to (the first one when it is none of them). */
  #originOf(request: Request): string {
    const origin = new URL(request.url).origin;
    const origins = this.#parts.config.origins;
    return origins.includes(origin) ? origin : origins[0]!;
  }
}

function isSecure(request: Request, origin: string): boolean {
  return request.url.startsWith('https:') || origin.startsWith('https:');
}
