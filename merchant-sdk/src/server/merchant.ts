/**
 * `createMerchant`: the SDK's server core, framework-free on web-standard `Request` and
 * `Response` (DESIGN.md "Parties": "a server part … with thin framework adapters").
 *
 * `merchant.handle(request)` is all an adapter calls (http/endpoints.ts). The merchant is put
 * together here from one piece per responsibility: the endpoints on the wire
 * (http/endpoints.ts), what the site sells (pricing/catalog.ts), the certificate it serves and
 * its renewal (certificates/certificate-keeper.ts), the payment desk with its instruments
 * (payments/, ecash/, payword/, purse/, card/), refunds (refunds/), and settlement with its
 * schedules and dashboard (settlement/).
 */
import type { Amount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import { BankClient } from './bank/bank-client.ts';
import { MerchantCard, type MerchantCardOption } from './card/card-pay.ts';
import { CertificateKeeper } from './certificates/certificate-keeper.ts';
import type {
  CertificateRenewal,
  KeepCertificateRenewedOptions,
} from './certificates/certificate-renewal.ts';
import {
  type CertificateChainInput,
  type MerchantCertificateStatus,
  type MerchantConfig,
  resolveConfig,
} from './config.ts';
import {
  type HandleOptions,
  type HandleResult,
  type MerchantDescriptor,
  MerchantEndpoints,
  merchantFailureReporter,
} from './http/endpoints.ts';
import { defaultPaymentWaitMs, PaymentWaiters } from './payments/payment-waiters.ts';
import { PaymentDesk } from './payments/payments.ts';
import {
  type OfferForReturnType,
  PriceCatalog,
  type RenderPricedLinkParameters,
} from './pricing/catalog.ts';
import { OfferBook } from './pricing/offers.ts';
import type { PricedResource } from './pricing/price-table.ts';
import { type MerchantPurseOption, merchantPurseDesk } from './purse/purse-pay.ts';
import { type DeliveryLogOption, merchantDeliveryLog } from './refunds/deliveries.ts';
import { type RefundOptions, type RefundReturnType, refundReceipt } from './refunds/refund.ts';
import type { RefundRequestPolicy } from './refunds/refund-request.ts';
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
} from './settlement/settlement.ts';
import { type MerchantSettleReturnType, SettlementRuns } from './settlement/settlement-runs.ts';
import type { WorkerEd25519Signer } from './signing/signer.ts';

export type {
  HandleOptions,
  HandleResult,
  MerchantDescriptor,
  PayResponseBody,
} from './http/endpoints.ts';
export type { OfferForReturnType, RenderPricedLinkParameters } from './pricing/catalog.ts';

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
  /** The whole SDK for one request (http/endpoints.ts). */
  handle(request: Request, options?: HandleOptions): Promise<HandleResult>;
  /** The pay endpoint alone: `{ receipt, grant }` with the grant cookie, or a problem. */
  pay(request: Request): Promise<Response>;
  /**
   * Redeems what is owed now (in-flight batches first), clears purse proofs with the issuer and
   * captures open card authorizations (`capturedCards`: how many this run captured).
   */
  settle(): Promise<MerchantSettleReturnType>;
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
  /** Where the SDK records whether paid content was served (default: in the process). */
  readonly deliveries?: DeliveryLogOption;
  /** The site's own answer to a payer's refund request (default: refund what was never served). */
  readonly decideRefundRequest?: RefundRequestPolicy;
  /**
   * How long a priced request carrying the wallet's navigation id (`?farthing-paying=<id>`)
   * waits for the payment POSTed with that id to be decided in this process before it gets the
   * 402 (access/follow-payment.ts); default 2,000 ms.
   */
  readonly paymentWaitMs?: number;
}

/** Creates the merchant; checks the configuration (certificate, key, prices) first. */
export function createMerchant(
  config: MerchantConfig,
  options: CreateMerchantOptions = {},
): Merchant {
  const resolved = resolveConfig(config);
  if (resolved.instruments.includes('purse') && options.purse === undefined) {
    throw new FarthingError('invalid_argument', '"instruments" lists purse: give a purse desk', {
      details: { field: 'instruments' },
    });
  }
  const bank = new BankClient({
    url: resolved.bankUrl,
    apiKey: resolved.apiKey,
    fetch: resolved.fetch,
  });
  const offers = new OfferBook(resolved);
  const purse = merchantPurseDesk(resolved, options.purse);
  const card = new MerchantCard(resolved, options.card);
  const desk = new PaymentDesk(
    resolved,
    offers,
    bank,
    purse.desk,
    card,
    new PaymentWaiters({ waitMs: paymentWaitMs(options.paymentWaitMs) }),
  );
  const settlement = new Settlement(
    { store: resolved.store, bank, now: resolved.now },
    options.settlement,
  );
  const runs = new SettlementRuns(settlement, purse.desk, card);
  const certificate = new CertificateKeeper(resolved);
  const catalog = new PriceCatalog(resolved, offers);
  const deliveries = merchantDeliveryLog(options.deliveries);
  const endpoints = new MerchantEndpoints({
    config: resolved,
    bank,
    offers,
    desk,
    purse: purse.desk,
    card,
    report: merchantFailureReporter(options.onError),
    deliveries: deliveries.log,
    settle: () => settlement.settle(),
    decideRefundRequest: options.decideRefundRequest,
  });
  // Refunds settle first what they refund (refunds/refund.ts).
  const refunds = { config: resolved, bank, settle: () => settlement.settle() };

  return {
    merchantId: resolved.merchantId,
    name: resolved.name,
    origins: resolved.origins,
    get certificate() {
      return certificate.status;
    },
    replaceCertificate: (chain) => certificate.replace(chain),
    keepCertificateRenewed: (renewalOptions) => certificate.keepRenewed(renewalOptions),
    priceOf: (path) => catalog.priceOf(path),
    offerFor: (resource, offerOptions) => catalog.offerFor(resource, offerOptions),
    renderPricedLink: (parameters) => catalog.renderPricedLink(parameters),
    descriptor: (origin) => endpoints.descriptor(origin),
    handle: (request, handleOptions) => endpoints.handle(request, handleOptions),
    pay: (request) => endpoints.pay(request),
    settle: () => runs.settle(),
    refund: (receiptId, amount, refundOptions) =>
      refundReceipt(refunds, receiptId, amount, refundOptions),
    withdrawResource: (resource) => withdrawResource(refunds, resource),
    startSettlement: (scheduleOptions) => runs.start(scheduleOptions),
    card: card.card,
    earnings: () => earningsOf(resolved.store),
    settlementStatus: () => settlementStatusOf(resolved.store),
    async settlementHistory(historyOptions = {}) {
      const batches = await resolved.store.listSettlementBatches(historyOptions.limit ?? 50);
      return batches.map(batchView);
    },
    async close() {
      certificate.stop();
      await runs.stopAll();
      purse.close();
      card.close();
      deliveries.close();
      // A signer the SDK made from a seed runs a thread; one the site gave is the site's.
      if (config.offerKey instanceof Uint8Array && 'close' in resolved.signer) {
        await (resolved.signer as WorkerEd25519Signer).close();
      }
    },
  };
}

/** `paymentWaitMs`, checked: whole milliseconds, at most a minute (a request held open). */
function paymentWaitMs(value: number | undefined): number {
  if (value === undefined) return defaultPaymentWaitMs;
  if (!Number.isSafeInteger(value) || value < 0 || value > 60_000) {
    throw new FarthingError(
      'invalid_argument',
      '"paymentWaitMs" must be a whole number of milliseconds from 0 to 60000',
      { details: { field: 'paymentWaitMs' } },
    );
  }
  return value;
}
