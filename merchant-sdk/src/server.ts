/**
 * `@farthing/merchant-sdk/server`: the framework-free server core. Adapters live in `./hono`
 * and `./express`, stores in `./store/sqlite` (default) and `./store/memory` (tests only).
 */
export type { Amount } from '@farthing/protocol/amount';
export { formatAmount, parseAmount } from '@farthing/protocol/amount';
export { type ErrorCode, FarthingError, isFarthingError } from '@farthing/protocol/errors';
export type {
  CertificateRenewal,
  KeepCertificateRenewedOptions,
  RenewedCertificateChain,
} from './server/certificate-renewal.ts';
export type {
  CertificateChainInput,
  MerchantCertificateStatus,
  MerchantConfig,
} from './server/config.ts';
export type {
  InstrumentEarnings,
  PaywordChainView,
  SettlementBatchView,
  SettlementStatus,
  SettlementTotals,
} from './server/dashboard.ts';
export type { PaidAccess } from './server/guard.ts';
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
export { OriginChallengeResponder } from './server/origin-challenges.ts';
export { descriptorPath, payPath } from './server/pages.ts';
export type { PricedResource, PriceEntry } from './server/price-table.ts';
export {
  type RegisterWithBankParameters,
  type RegisterWithBankReturnType,
  registerWithBank,
} from './server/registration.ts';
export type {
  SettlementOptions,
  SettlementSchedule,
  SettleReturnType,
} from './server/settlement.ts';
export type {
  EarningsRecord,
  MerchantStore,
  PaymentRecord,
  PaywordChainRecord,
  SdkInstrument,
  SettlementBatchRecord,
} from './store/store.ts';
