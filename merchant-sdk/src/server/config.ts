/**
 * `createMerchant`'s configuration, checked once when the merchant is created, so a wrong key,
 * certificate or price fails at start-up and not on a customer's first click.
 *
 * The certificate chain is the one part that changes while the merchant runs: the bank issues
 * short-lived certificates instead of revocation lists, so `replaceCertificate` swaps in a
 * renewed chain, checked here by the same `checkCertificateChain` that checked the first.
 */
import type { AccessGrantKey } from '@farthing/protocol/access-grant';
import { type Ed25519Signer, ed25519PublicKeyLength } from '@farthing/protocol/ed25519';
import { assertString, FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import type { CertificateInput } from '@farthing/protocol/x509/certificate';
import { readCertificates } from '@farthing/protocol/x509/certificate';
import {
  isMerchantOrigin,
  type VerifiedMerchantCertificate,
  verifyMerchantCertificate,
} from '@farthing/protocol/x509/merchant-certificate';
import type { MerchantStore, SdkInstrument } from '../store/store.ts';
import { resolveGrantKey } from './access/grant-key.ts';
import { type CompiledEntry, compilePriceTable, type PriceEntry } from './pricing/price-table.ts';
import { workerEd25519Signer } from './signing/signer.ts';

/**
 * A certificate chain as `config.certificateChain` and `replaceCertificate` take it: the
 * merchant certificate, then the bank's CA certificate, as DER bytes or PEM text each, or one
 * PEM text with both.
 */
export type CertificateChainInput = CertificateInput | readonly CertificateInput[];

/** What the merchant's current certificate is, for logs, dashboards and the renewal schedule. */
export interface MerchantCertificateStatus {
  /** Lower-case hex, as the bank lists it (`GET /v1/merchants/me/certificates`). */
  readonly serialNumber: string;
  /** Milliseconds since the Unix epoch (RFC 5280 §4.1.2.5). */
  readonly notBefore: number;
  /** Milliseconds since the Unix epoch; wallets refuse to pay from then on. */
  readonly notAfter: number;
}

/** A chain checked for this merchant: what the descriptor serves. */
export interface CertifiedChain {
  /** DER, leaf first, as the descriptor publishes it. */
  readonly chain: readonly Uint8Array[];
  readonly certificate: VerifiedMerchantCertificate;
  readonly status: MerchantCertificateStatus;
}

/** `createMerchant`'s configuration (see the README for an example). */
export interface MerchantConfig {
  /** The merchant id the bank knows (the merchant account's name); deposit permissions name it. */
  readonly merchantId: string;
  /** The display name, exactly as the certificate carries it (the payee the wallet shows). */
  readonly name: string;
  /**
   * Serialized origins the site is served from (`https://shop.example`, or `http://127.0.0.1:8701`
   * on loopback), each named by the certificate. The first is used when a request's own origin
   * is not one of them (e.g. behind a TLS-terminating proxy).
   */
  readonly origins: readonly string[];
  /** The offer-signing key: a 32-byte Ed25519 seed, or a signer holding it elsewhere. */
  readonly offerKey: Uint8Array | Ed25519Signer;
  /**
   * 32 secret bytes the access grants (the paid-resource cookies) are tagged with, the same on
   * every server of the site. Default: derived from `offerKey` when it is a seed; with a
   * signer, a random secret per process (grants then do not survive a restart).
   */
  readonly grantSecret?: Uint8Array;
  /**
   * The bank's certificate for `offerKey`, then the bank's CA certificate: DER bytes or PEM
   * text each, or one PEM text with both (what `registerWithBank` returns).
   */
  readonly certificateChain: CertificateChainInput;
  /** The bank's base URL and this merchant's API key there (deposits, redemption). */
  readonly bank: { readonly url: string; readonly apiKey: string };
  /** In order of preference; default `['payword', 'ecash']`. */
  readonly instruments?: readonly SdkInstrument[];
  /** The priced resources; everything else is left to the application. */
  readonly prices: readonly PriceEntry[];
  /** How long a paid resource stays open to its payer; default 24 hours. */
  readonly grantLifetimeMs?: number;
  /** How long an offer may be paid after it is made; default 15 minutes. */
  readonly offerLifetimeMs?: number;
  /** Durable state: `SqliteMerchantStore` (tests may use `MemoryMerchantStore`). */
  readonly store: MerchantStore;
  /** Milliseconds since the Unix epoch; default `Date.now`. */
  readonly now?: () => number;
  /** How the SDK reaches the bank; default the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
}

/** The configuration once checked, with defaults filled in and the key ready to sign. */
export interface ResolvedConfig {
  readonly merchantId: string;
  readonly name: string;
  readonly origins: readonly string[];
  readonly signer: Ed25519Signer;
  readonly publicKey: Uint8Array;
  /** Tags and checks access grants (grant-key.ts). */
  readonly grantKey: AccessGrantKey;
  /**
   * The chain served now. `replaceCertificate` swaps it whole (the one field that changes), so
   * read it where it is used and never keep a copy.
   */
  certified: CertifiedChain;
  readonly bankUrl: string;
  readonly apiKey: string;
  readonly instruments: readonly SdkInstrument[];
  readonly prices: readonly CompiledEntry[];
  readonly grantLifetimeMs: number;
  readonly offerLifetimeMs: number;
  readonly store: MerchantStore;
  readonly now: () => number;
  readonly fetch: typeof globalThis.fetch;
}

/**
 * The default; `purse` is taken only with a purse desk and `card` only with a card merchant
 * (createMerchant's `purse` and `card` options).
 */
const supportedInstruments: readonly SdkInstrument[] = ['payword', 'ecash'];
const knownInstruments: readonly SdkInstrument[] = [...supportedInstruments, 'purse', 'card'];

function invalid(field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `"${field}" ${message}`, { details: { field } });
}

function lifetime(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1000) {
    throw invalid(field, 'must be a whole number of milliseconds, at least 1000');
  }
  return value;
}

function resolveSigner(key: Uint8Array | Ed25519Signer): Ed25519Signer {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw invalid('offerKey', 'must be a 32-byte Ed25519 seed');
    return workerEd25519Signer(key);
  }
  if (
    typeof key?.sign !== 'function' ||
    !(key.publicKey instanceof Uint8Array) ||
    key.publicKey.length !== ed25519PublicKeyLength
  ) {
    throw invalid('offerKey', 'must be a 32-byte seed or an Ed25519Signer');
  }
  return key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** What a chain must certify: the merchant as configured. */
export interface CertificateSubject {
  readonly merchantId: string;
  readonly name: string;
  readonly origins: readonly string[];
  readonly publicKey: Uint8Array;
}

/**
 * The certificate must chain to the bank's CA given with it, carry this merchant id and name,
 * certify this key, name every configured origin, and be valid at `now`: the wallet checks all
 * of that before paying (x509/merchant-certificate.ts), so a mismatch here would refuse every
 * payment. Throws `invalid_argument` or a `certificate_*` code.
 */
export function checkCertificateChain(
  chainInput: CertificateChainInput,
  subject: CertificateSubject,
  now: number,
): CertifiedChain {
  const inputs = Array.isArray(chainInput) ? chainInput : [chainInput as CertificateInput];
  const parsed = inputs.flatMap((input, index) =>
    readCertificates(input, `certificateChain.${index}`),
  );
  const chain = parsed.map((certificate) => certificate.der);
  if (chain.length < 2) {
    throw invalid('certificateChain', "must hold the merchant certificate and the bank's CA");
  }
  let certificate: VerifiedMerchantCertificate | undefined;
  for (const origin of subject.origins) {
    certificate = verifyMerchantCertificate({
      chain,
      trustedRoots: [chain.at(-1)!],
      origin,
      now,
      ed25519Verify: nodeEd25519Verify,
    });
  }
  if (certificate === undefined) throw invalid('origins', 'must list at least one origin');
  if (certificate.merchantId !== subject.merchantId) {
    throw invalid('certificateChain', `certifies merchant "${certificate.merchantId}"`);
  }
  if (certificate.name !== subject.name) {
    throw invalid('name', `must be the certified name "${certificate.name}"`);
  }
  if (!sameBytes(certificate.offerPublicKey, subject.publicKey)) {
    throw invalid('certificateChain', 'certifies another offer key than "offerKey"');
  }
  return {
    chain,
    certificate,
    status: Object.freeze({
      serialNumber: certificate.serialNumber,
      notBefore: parsed[0]!.notBefore,
      notAfter: certificate.notAfter,
    }),
  };
}

/** Checks `config` (throws `invalid_argument` or a certificate code) and fills in defaults. */
export function resolveConfig(config: MerchantConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw invalid('config', 'must be an object');
  assertString(config.merchantId, 'merchantId', 128);
  assertString(config.name, 'name', 64);
  if (!Array.isArray(config.origins) || config.origins.length === 0) {
    throw invalid('origins', 'must list the origins the site is served from');
  }
  config.origins.forEach((origin, index) => {
    if (!isMerchantOrigin(origin)) {
      throw invalid(`origins.${index}`, 'must be a serialized https (or loopback http) origin');
    }
  });
  const now = config.now ?? Date.now;
  if (typeof now !== 'function') throw invalid('now', 'must be a function');
  const signer = resolveSigner(config.offerKey);
  const certified = checkCertificateChain(
    config.certificateChain,
    {
      merchantId: config.merchantId,
      name: config.name,
      origins: config.origins,
      publicKey: signer.publicKey,
    },
    now(),
  );
  let bankUrl: URL;
  try {
    bankUrl = new URL(config.bank?.url);
  } catch {
    throw invalid('bank.url', 'must be the bank’s absolute URL');
  }
  assertString(config.bank.apiKey, 'bank.apiKey', 512);
  const instruments = config.instruments ?? supportedInstruments;
  if (
    !Array.isArray(instruments) ||
    instruments.length === 0 ||
    new Set(instruments).size !== instruments.length ||
    !instruments.every((instrument) => knownInstruments.includes(instrument))
  ) {
    throw invalid('instruments', `must list some of ${knownInstruments.join(', ')}, once each`);
  }
  const store = config.store;
  if (typeof store?.recordPaywordPayment !== 'function') {
    throw invalid('store', 'must be a MerchantStore (SqliteMerchantStore)');
  }
  const fetchImpl = config.fetch ?? globalThis.fetch;
  return {
    merchantId: config.merchantId,
    name: config.name,
    origins: [...config.origins],
    signer,
    publicKey: signer.publicKey,
    grantKey: resolveGrantKey(config.grantSecret, config.offerKey),
    certified,
    bankUrl: bankUrl.href.replace(/\/+$/, ''),
    apiKey: config.bank.apiKey,
    instruments: [...instruments],
    prices: compilePriceTable(config.prices),
    grantLifetimeMs: lifetime(config.grantLifetimeMs, 24 * 3_600_000, 'grantLifetimeMs'),
    offerLifetimeMs: lifetime(config.offerLifetimeMs, 15 * 60_000, 'offerLifetimeMs'),
    store,
    now,
    fetch: fetchImpl,
  };
}
