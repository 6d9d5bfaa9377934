/**
 * `@farthing/merchant-sdk/server`: the framework-free server core. Adapters live in `./hono`
 * and `./express`, stores in `./store/sqlite` (default) and `./store/memory` (tests only).
 */
export type { Amount } from '@farthing/protocol/amount';
export { formatAmount, parseAmount } from '@farthing/protocol/amount';
export { type ErrorCode, FarthingError, isFarthingError } from '@farthing/protocol/errors';
export type { PaidAccess } from './server/access/guard.ts';
export type {
  CertificateRenewal,
  KeepCertificateRenewedOptions,
  RenewedCertificateChain,
} from './server/certificates/certificate-renewal.ts';
export { OriginChallengeResponder } from './server/certificates/origin-challenges.ts';
export {
  type RegisterWithBankParameters,
  type RegisterWithBankReturnType,
  registerWithBank,
} from './server/certificates/registration.ts';
export type {
  CertificateChainInput,
  MerchantCertificateStatus,
  MerchantConfig,
} from './server/config.ts';
// The escaping of the SDK's own markup, for a site's markup around its priced links.
export { escapeHtml } from './server/http/http.ts';
export { descriptorPath, payPath } from './server/http/pages.ts';
export {
  type CreateMerchantOptions,
  createMerchant,
  type HandleOptions,
  type HandleResult,
  type Merchant,
  type MerchantDescriptor,
  type OfferForReturnType,
  type PayResponseBody,
  type RenderPricedLinkParameters,
} from './server/merchant.ts';
export type { PricedResource, PriceEntry } from './server/pricing/price-table.ts';
export type {
  InstrumentEarnings,
  PaywordChainView,
  SettlementBatchView,
  SettlementStatus,
  SettlementTotals,
} from './server/settlement/dashboard.ts';
export type {
  SettlementOptions,
  SettlementSchedule,
  SettleReturnType,
} from './server/settlement/settlement.ts';
export type {
  EarningsRecord,
  MerchantStore,
  PaymentRecord,
  PaywordChainRecord,
  SdkInstrument,
  SettlementBatchRecord,
} from './store/store.ts';
