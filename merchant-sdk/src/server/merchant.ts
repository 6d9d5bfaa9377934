/**
 * `createMerchant`: the SDK's server core, framework-free on web-standard `Request` and
 * `Response` (DESIGN.md "Parties": "a server part … with thin framework adapters").
 *
 * `merchant.handle(request)` is all an adapter calls. It answers the merchant descriptor
 * (`GET /.well-known/farthing-merchant`) and the pay endpoint (`POST /.well-known/farthing/pay`),
 * refuses odd spellings of priced paths (request-path.ts), guards priced resources
 * (guard.ts), and lets everything else through untouched.
 *
 * The certificate chain is the one part of the configuration that changes at runtime:
 * `replaceCertificate` checks a renewed chain as `createMerchant` checked the first and swaps
 * it in whole, and `keepCertificateRenewed` does that on a schedule (certificate-renewal.ts).
 */
import type { Amount } from '@farthing/protocol/amount';
import { maxCredentialBytes } from '@farthing/protocol/credential';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import type { SignedOffer } from '@farthing/protocol/offer';
import type { SdkInstrument } from '../store/store.ts';
import {
  type GuardResult,
  guardPricedRequest,
  type PaidAccess,
  paymentCookie,
} from './access/guard.ts';
import { BankClient } from './bank/bank-client.ts';
import { cardInitiationPath, MerchantCard, type MerchantCardOption } from './card/card-pay.ts';
import {
  type CertificateRenewal,
  type KeepCertificateRenewedOptions,
  startCertificateRenewal,
} from './certificates/certificate-renewal.ts';
import {
  type CertificateChainInput,
  checkCertificateChain,
  type MerchantCertificateStatus,
  type MerchantConfig,
  type ResolvedConfig,
  resolveConfig,
} from './config.ts';
import {
  carriesGrantCookie,
  grantCookieValues,
  jsonResponse,
  noStoreProblem,
  readLimitedBody,
} from './http/http.ts';
import { descriptorPath, payPath, pricedLinkHtml } from './http/pages.ts';
import { credentialBytes, PaymentDesk } from './payments/payments.ts';
import { OfferBook } from './pricing/offers.ts';
import type { PricedResource } from './pricing/price-table.ts';
import { classifyRequestPath, requestPathOf } from './pricing/request-path.ts';
import {
  type MerchantPurseOption,
  merchantPurseDesk,
  purseChallengePath,
  purseChallengeResponse,
} from './purse/purse-pay.ts';
import {
  type RefundOptions,
  type RefundReturnType,
  receiptRefunds,
  refundReceipt,
  refundsPathPrefix,
} from './refunds/refund.ts';
import { type WithdrawResourceReturnType, withdrawResource } from './refunds/withdraw.ts';
import {
  batchView,
  earningsOf,
  type InstrumentEarnings,
  type SettlementBatchView,
  type SettlementStatus,
  settlementStatusOf,
} from './settlement/dashboard.ts';
import {
  Settlement,
  type SettlementOptions,
  type SettlementSchedule,
  type SettleReturnType,
} from './settlement/settlement.ts';
import type { WorkerEd25519Signer } from './signing/signer.ts';

/** What `/.well-known/farthing-merchant` serves: everything a wallet checks before paying. */
/** The merchant: everything the SDK does for a site, on web-standard requests. */
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
    };

/** The current offer for a priced resource. */
export interface OfferForReturnType {
  readonly offer: SignedOffer;
  /** The compact token (`data-farthing-offer`, the challenge's `offer`). */
  readonly token: string;
  readonly price: Amount;
  readonly resource: string;
}

/** What `renderPricedLink` writes. */
export interface RenderPricedLinkParameters {
  /** A priced path, optionally with a query: `/articles/7`. */
  readonly href: string;
  /** The link text (escaped). */
  readonly text: string;
  /** More attributes for the `<a>`; `href` and the Farthing data attributes are the SDK's. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** The origin the page is served on, if not the first configured one. */
  readonly origin?: string;
}

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

/** The merchant: everything the SDK does for a site, on web-standard requests. */
export interface Merchant {
  readonly merchantId: string;
  readonly name: string;
  readonly origins: readonly string[];
  /** The certificate served now (it changes with `replaceCertificate`). */
  readonly certificate: MerchantCertificateStatus;
  /**
   * Serves `chain` from now on, checked as `config.certificateChain` is (same merchant id, name,
   * every origin, the offer key, chaining to the CA given with it, valid now). A chain that does
   * not fit throws the same coded errors and changes nothing.
   */
  replaceCertificate(chain: CertificateChainInput): MerchantCertificateStatus;
  /**
   * Renews the certificate before it expires, until stopped (or `close`); one schedule at a
   * time (certificate-renewal.ts).
   */
  keepCertificateRenewed(options: KeepCertificateRenewedOptions): CertificateRenewal;
  /** The price of a request path; undefined when free. Throws `non_canonical_path`. */
  priceOf(path: string): PricedResource | undefined;
  /** The current signed offer for a priced resource (reused while fresh). */
  offerFor(resource: string, options?: { readonly origin?: string }): Promise<OfferForReturnType>;
  /** `<a href data-farthing-offer data-farthing-price>` for a priced resource. */
  renderPricedLink(parameters: RenderPricedLinkParameters): Promise<string>;
  /** The merchant descriptor as served on `origin` (default: the first origin). */
  descriptor(origin?: string): MerchantDescriptor;
  /** The whole SDK for one request (see the module comment). */
  handle(request: Request, options?: HandleOptions): Promise<HandleResult>;
  /** The pay endpoint alone: `{ receipt, grant }` with the grant cookie, or a problem. */
  pay(request: Request): Promise<Response>;
  /**
   * Redeems what is owed now (in-flight batches first), clears purse proofs with the issuer and
   * captures open card authorizations (`capturedCards`: how many this run captured).
   */
  settle(): Promise<SettleReturnType & { readonly capturedCards: number }>;
  /** The card instrument (the `card` option), for the shop's card checkout and dashboard. */
  readonly card: MerchantCard['card'];
  /**
   * Refunds all (no amount) or part of an e-cash or PayWord receipt through the bank
   * (refunds/refund.ts); card receipts are `CardMerchant.refund`'s.
   */
  refund(
    receiptId: string,
    amount?: Amount | string,
    options?: RefundOptions,
  ): Promise<RefundReturnType>;
  /**
   * Takes a paid resource down: refunds in full every payment whose grant for it still runs
   * (refunds/withdraw.ts). Idempotent per receipt.
   */
  withdrawResource(resource: string): Promise<WithdrawResourceReturnType>;
  /** Settles every `intervalMs` until stopped (or `close`). */
  startSettlement(options: {
    readonly intervalMs: number;
    readonly onError?: (error: unknown) => void;
  }): SettlementSchedule;
  earnings(): Promise<readonly InstrumentEarnings[]>;
  settlementStatus(): Promise<SettlementStatus>;
  settlementHistory(options?: { readonly limit?: number }): Promise<readonly SettlementBatchView[]>;
  /** Stops settlement and renewal schedules (the store is the caller's to close). */
  close(): Promise<void>;
}

/** Tuning beyond the configuration proper. */
export interface CreateMerchantOptions {
  readonly settlement?: SettlementOptions;
  /** Called with failures that are the merchant's, not the payer's (5xx answers). */
  readonly onError?: (error: unknown) => void;
  /**
   * The hardware purse desk, whose clearing then runs in the settlement schedule; or where the
   * SDK keeps the records of one it makes from this configuration (purse/purse-pay.ts).
   */
  readonly purse?: MerchantPurseOption;
  /** The card merchant, whose captures then run in the settlement schedule (card/card-pay.ts). */
  readonly card?: MerchantCardOption;
}

function notPriced(resource: string): FarthingError {
  return new FarthingError('invalid_argument', `"${resource}" is not a priced resource`, {
    details: { field: 'resource' },
  });
}

/** Creates the merchant; checks the configuration (certificate, key, prices) first. */
export function createMerchant(
  config: MerchantConfig,
  options: CreateMerchantOptions = {},
): Merchant {
  const resolved: ResolvedConfig = resolveConfig(config);
  const bank = new BankClient({
    url: resolved.bankUrl,
    apiKey: resolved.apiKey,
    fetch: resolved.fetch,
  });
  const offers = new OfferBook(resolved);
  if (resolved.instruments.includes('purse') && options.purse === undefined) {
    throw new FarthingError('invalid_argument', '"instruments" lists purse: give a purse desk', {
      details: { field: 'instruments' },
    });
  }
  const purse = merchantPurseDesk(resolved, options.purse);
  const card = new MerchantCard(resolved, options.card);
  const desk = new PaymentDesk(resolved, offers, bank, purse.desk, card);
  const settlement = new Settlement(
    { store: resolved.store, bank, now: resolved.now },
    options.settlement,
  );
  const schedules = new Set<SettlementSchedule>();
  let renewal: CertificateRenewal | undefined;

  const replaceCertificate = (chain: CertificateChainInput): MerchantCertificateStatus => {
    // Checked in full before anything changes; then one assignment swaps the whole chain.
    resolved.certified = checkCertificateChain(chain, resolved, resolved.now());
    return resolved.certified.status;
  };
  const report = (error: unknown) => {
    if (!isFarthingError(error) || error.status >= 500) options.onError?.(error);
  };

  const originOf = (request: Request): string => {
    const origin = new URL(request.url).origin;
    return resolved.origins.includes(origin) ? origin : resolved.origins[0]!;
  };
  const isSecure = (request: Request, origin: string) =>
    request.url.startsWith('https:') || origin.startsWith('https:');

  const priceOf = (path: string): PricedResource | undefined => {
    const decision = classifyRequestPath(resolved.prices, requestPathOf(path));
    if (decision.kind === 'refused') throw nonCanonical(decision.pattern);
    return decision.kind === 'priced' ? decision.priced : undefined;
  };

  const offerFor = async (resource: string, offerOptions: { readonly origin?: string } = {}) => {
    if (!resource.startsWith('/') || resource.startsWith('//')) throw notPriced(resource);
    const priced = priceOf(resource);
    if (priced === undefined) throw notPriced(resource);
    const origin = offerOptions.origin ?? resolved.origins[0]!;
    if (!resolved.origins.includes(origin)) {
      throw new FarthingError(
        'invalid_argument',
        `"${origin}" is not one of the merchant's origins`,
        {
          details: { field: 'origin' },
        },
      );
    }
    const issued = await offers.offerFor(priced, origin);
    return { ...issued, price: priced.price, resource: priced.resource };
  };

  const descriptor = (origin: string = resolved.origins[0]!): MerchantDescriptor => ({
    version: 1,
    merchantId: resolved.merchantId,
    name: resolved.name,
    origins: resolved.origins,
    bank: { url: resolved.bankUrl },
    certificateChain: resolved.certified.chain.map(toBase64url),
    offerPublicKey: toBase64url(resolved.publicKey),
    instruments: resolved.instruments,
    payEndpoint: `${origin}${payPath}`,
  });

  const pay = async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') {
      return new Response(null, { status: 405, headers: { allow: 'POST' } });
    }
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
      const origin = originOf(request);
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
          'set-cookie': paymentCookie(payment, resolved.now(), isSecure(request, origin)),
        },
      });
    } catch (error) {
      report(error);
      return noStoreProblem(error);
    }
  };

  const handle = async (
    request: Request,
    handleOptions: HandleOptions = {},
  ): Promise<HandleResult> => {
    const path = requestPathOf(handleOptions.target ?? request.url);
    if (path === payPath) return { action: 'respond', response: await pay(request) };
    if (path === purseChallengePath) {
      const context = { config: resolved, offers, desk: purse.desk };
      return { action: 'respond', response: await purseChallengeResponse(request, context) };
    }
    if (path === cardInitiationPath) {
      return { action: 'respond', response: await card.initiationResponse(request, offers) };
    }
    if (path.startsWith(refundsPathPrefix) && request.method === 'GET') {
      try {
        const refunds = await receiptRefunds({ bank }, path.slice(refundsPathPrefix.length));
        return {
          action: 'respond',
          response: jsonResponse(refunds, 200, { 'cache-control': 'no-store' }),
        };
      } catch (error) {
        report(error);
        return { action: 'respond', response: noStoreProblem(error) };
      }
    }
    if (path === descriptorPath && (request.method === 'GET' || request.method === 'HEAD')) {
      const response = jsonResponse(descriptor(originOf(request)), 200, {
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
      });
      return {
        action: 'respond',
        response: request.method === 'HEAD' ? new Response(null, response) : response,
      };
    }
    const decision = classifyRequestPath(resolved.prices, path);
    if (decision.kind === 'free')
      return { action: 'continue', paid: undefined, headers: new Headers() };
    if (decision.kind === 'refused') {
      return { action: 'respond', response: noStoreProblem(nonCanonical(decision.pattern)) };
    }
    const origin = originOf(request);
    let result: GuardResult;
    try {
      result = await guardPricedRequest(
        { config: resolved, offers, desk, origin, secure: isSecure(request, origin) },
        request,
        decision.priced,
      );
    } catch (error) {
      report(error);
      return { action: 'respond', response: noStoreProblem(error) };
    }
    if (result.action === 'respond') return result;
    // Paid content must never land in a shared cache (unless the application says otherwise).
    if (!result.headers.has('cache-control')) result.headers.set('cache-control', 'private');
    return { action: 'continue', paid: result.paid, headers: result.headers };
  };

  return {
    merchantId: resolved.merchantId,
    name: resolved.name,
    origins: resolved.origins,
    get certificate() {
      return resolved.certified.status;
    },
    replaceCertificate,
    keepCertificateRenewed(renewalOptions) {
      if (renewal !== undefined) {
        throw new FarthingError(
          'invalid_argument',
          'the certificate is already kept renewed; stop that schedule first',
          { details: { field: 'keepCertificateRenewed' } },
        );
      }
      const started = startCertificateRenewal(
        {
          get certificate() {
            return resolved.certified.status;
          },
          replaceCertificate,
          now: resolved.now,
        },
        renewalOptions,
      );
      const handle: CertificateRenewal = {
        stop() {
          started.stop();
          if (renewal === handle) renewal = undefined;
        },
      };
      renewal = handle;
      return handle;
    },
    priceOf,
    offerFor,
    async renderPricedLink(parameters) {
      if (typeof parameters?.href !== 'string' || !parameters.href.startsWith('/')) {
        throw notPriced(String(parameters?.href));
      }
      const path = requestPathOf(parameters.href);
      const issued = await offerFor(
        path,
        parameters.origin === undefined ? {} : { origin: parameters.origin },
      );
      return pricedLinkHtml({
        href: parameters.href,
        offerToken: issued.token,
        price: issued.price,
        text: parameters.text,
        ...(parameters.attributes === undefined ? {} : { attributes: parameters.attributes }),
      });
    },
    descriptor,
    handle,
    pay,
    async settle() {
      const settled = await settlement.settle();
      // Purse proofs are cleared at the issuer with the PayWord redemptions (purse/purse-desk.ts).
      await purse.desk?.clear();
      // Open card authorizations are captured in the same run (card/card-pay.ts).
      return { ...settled, capturedCards: await card.settle() };
    },
    refund: (receiptId, amount, refundOptions) =>
      refundReceipt(
        { config: resolved, bank, settle: () => settlement.settle() },
        receiptId,
        amount,
        refundOptions,
      ),
    withdrawResource: (resource) =>
      withdrawResource({ config: resolved, bank, settle: () => settlement.settle() }, resource),
    startSettlement(scheduleOptions) {
      const redemptions = settlement.start(scheduleOptions);
      // Purse proofs are cleared on the same schedule (purse/purse-desk.ts).
      const clearing = purse.desk?.startClearing(scheduleOptions);
      const capturing = card.card === undefined ? undefined : card.startCapture(scheduleOptions);
      const schedule: SettlementSchedule = {
        stop: async () => {
          await Promise.all([redemptions.stop(), clearing?.stop(), capturing?.stop()]);
        },
      };
      schedules.add(schedule);
      return {
        async stop() {
          schedules.delete(schedule);
          await schedule.stop();
        },
      };
    },
    card: card.card,
    earnings: () => earningsOf(resolved.store),
    settlementStatus: () => settlementStatusOf(resolved.store),
    async settlementHistory(historyOptions = {}) {
      const batches = await resolved.store.listSettlementBatches(historyOptions.limit ?? 50);
      return batches.map(batchView);
    },
    async close() {
      renewal?.stop();
      await Promise.all([...schedules].map((schedule) => schedule.stop()));
      schedules.clear();
      purse.close();
      card.close();
      // A signer the SDK made from a seed runs a thread; one the site gave is the site's.
      if (config.offerKey instanceof Uint8Array && 'close' in resolved.signer) {
        await (resolved.signer as WorkerEd25519Signer).close();
      }
    },
  };
}

function nonCanonical(pattern: string): FarthingError {
  return new FarthingError(
    'non_canonical_path',
    'this spelling of a priced address is not accepted; use the address exactly as linked',
    { details: { pattern } },
  );
}
