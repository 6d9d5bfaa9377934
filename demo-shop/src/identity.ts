/**
 * The shop's identity at its bank, kept in the data folder beside the bank's files:
 *
 * - `demo-shop.offer-key`: the 32-byte Ed25519 seed offers, receipts and grants are signed
 *   with, made on first start (mode 0600: it is the shop's signing key);
 * - `demo-shop.certificate.json`: the certificate chain the bank's CA issued for that key
 *   (`registerWithBank`), with what it was issued for;
 * - `demo-shop.operator-password`: the dashboard password, when none is configured.
 *
 * At start-up the certificate is asked for again when it no longer fits: a new origin, a new API
 * key (the bank was reset and seeded afresh, so its CA changed too), or less than a day of
 * validity left. While the shop runs, `merchant.keepCertificateRenewed` (server.ts) renews it
 * through `renewShopCertificate` well before it expires (the bank issues 30-day certificates
 * instead of revocation lists), and the renewed chain replaces the file, so a restart serves it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type OriginChallengeResponder,
  type RegisterWithBankReturnType,
  registerWithBank,
} from '@farthing/merchant-sdk/server';
import type { ShopConfig } from './config.ts';

/** At start-up, a certificate with less left than this is replaced before the shop serves it. */
const startupRenewBeforeMs = 86_400_000;

/** What `createMerchant` needs beyond the catalog. */
export interface ShopIdentity {
  readonly offerKey: Uint8Array;
  readonly apiKey: string;
  /** PEM: the merchant certificate, then the bank's CA certificate. */
  readonly certificateChain: string;
  readonly certificateNotAfter: number;
  readonly operatorPassword: string;
}

interface StoredCertificate {
  readonly merchantId: string;
  readonly origin: string;
  readonly bankUrl: string;
  /** SHA-256 of the API key it was registered with. */
  readonly apiKeyHash: string;
  readonly pem: string;
  readonly serialNumber: string;
  readonly notAfter: number;
}

function secretFile(path: string, make: () => string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = make();
  // `wx`: two shops starting at once must not overwrite each other's key.
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}

function readApiKey(config: ShopConfig): string {
  if (!existsSync(config.apiKeyFile)) {
    throw new Error(
      `no API key at ${config.apiKeyFile}: start the bank with FARTHING_SEED_DEMO=1 and the same ` +
        'FARTHING_DATA_DIR first (npm start does both), or point FARTHING_SHOP_API_KEY_FILE at the key',
    );
  }
  const key = readFileSync(config.apiKeyFile, 'utf8').trim();
  if (key === '') throw new Error(`${config.apiKeyFile} is empty`);
  return key;
}

function certificatePath(config: ShopConfig): string {
  return join(config.dataDir, 'demo-shop.certificate.json');
}

function apiKeyHashOf(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('base64url');
}

function readStored(path: string): StoredCertificate | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StoredCertificate;
  } catch {
    return undefined; // unreadable: register again
  }
}

/**
 * Loads the shop's keys and certificate, making and registering what is missing or stale.
 * `now`: the clock the certificate's validity is judged by.
 */
export async function loadShopIdentity(
  config: ShopConfig,
  origin: string,
  now: () => number = Date.now,
  challenges?: OriginChallengeResponder,
): Promise<ShopIdentity> {
  mkdirSync(config.dataDir, { recursive: true });
  const offerKey = Buffer.from(
    secretFile(join(config.dataDir, 'demo-shop.offer-key'), () =>
      randomBytes(32).toString('base64url'),
    ),
    'base64url',
  );
  if (offerKey.length !== 32) throw new Error('demo-shop.offer-key does not hold a 32-byte seed');
  const operatorPassword =
    config.operatorPassword ??
    secretFile(join(config.dataDir, 'demo-shop.operator-password'), () =>
      randomBytes(12).toString('base64url'),
    );
  const apiKey = readApiKey(config);

  const stored = readStored(certificatePath(config));
  const fits =
    stored !== undefined &&
    stored.merchantId === config.merchantId &&
    stored.origin === origin &&
    stored.bankUrl === config.bankUrl &&
    stored.apiKeyHash === apiKeyHashOf(apiKey) &&
    stored.notAfter - now() > startupRenewBeforeMs;
  const certificate = fits
    ? { pem: stored.pem, notAfter: stored.notAfter }
    : await renewShopCertificate(config, origin, { offerKey, apiKey }, now, challenges);
  return {
    offerKey: new Uint8Array(offerKey),
    apiKey,
    certificateChain: certificate.pem,
    certificateNotAfter: certificate.notAfter,
    operatorPassword,
  };
}

/**
 * Registers the shop's offer key with the bank's CA again and keeps the new chain in
 * `demo-shop.certificate.json`, where `loadShopIdentity` reads it at the next start. The file is
 * replaced by a rename, so a crash mid-write leaves the old chain rather than half a new one.
 */
export async function renewShopCertificate(
  config: ShopConfig,
  origin: string,
  identity: Pick<ShopIdentity, 'offerKey' | 'apiKey'>,
  now: () => number = Date.now,
  /** Where the shop answers the bank's origin challenges (the bank proves the origin). */
  challenges?: OriginChallengeResponder,
): Promise<RegisterWithBankReturnType> {
  const registered = await registerWithBank({
    bankUrl: config.bankUrl,
    apiKey: identity.apiKey,
    merchantId: config.merchantId,
    name: config.name,
    origins: [origin],
    offerKey: new Uint8Array(identity.offerKey),
    now,
    ...(challenges === undefined ? {} : { challenges }),
  });
  const stored: StoredCertificate = {
    merchantId: config.merchantId,
    origin,
    bankUrl: config.bankUrl,
    apiKeyHash: apiKeyHashOf(identity.apiKey),
    pem: registered.pem,
    serialNumber: registered.serialNumber,
    notAfter: registered.notAfter,
  };
  const path = certificatePath(config);
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, path);
  return registered;
}
