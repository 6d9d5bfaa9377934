/**
 * Reading an offer the way the wallet trusts it (DESIGN.md "Priced link", step 3): the
 * signed offer from the page, the merchant descriptor from the page's own origin
 * (`/.well-known/farthing-merchant`, kept a few minutes), the merchant certificate chained to
 * a bank the user trusts and naming the page's origin, the offer's signature under the
 * certified key, its expiry, and the resource and pay endpoint on that same origin. The page's
 * origin always comes from the browser, never from the page.
 *
 * A link is asked about on hover and again on the click, so what was checked is kept in the
 * worker's memory for that database, as long as its parts may be used: the descriptor no longer
 * than `descriptorMaxAgeMs` after it was fetched, the certificate until it expires. Banks are
 * only ever added to a wallet (trust is pinned, never withdrawn), so a payee verified against
 * this database stays verified. The offer's expiry, and the certificate's absence from its
 * bank's revocation list (merchant-revocations.ts, at most five minutes old), are checked again
 * on every use.
 */
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { isFarthingError } from '@farthing/protocol/errors';
import { offerHash, type SignedOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import type { PayeeView } from '../../messages/contract.ts';
import { perDatabase, type WalletContext } from '../context.ts';
import type { BankRecord } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { merchantParty, requestJson } from '../http.ts';
import { assertMerchantCertificateNotRevoked } from './merchant-revocations.ts';
import { verifyOfferSignature } from './merchant-signatures.ts';

/** How long a fetched descriptor is used before fetching it again. */
export const descriptorMaxAgeMs = 5 * 60_000;

const descriptorSchema = v.object({
  version: v.literal(1),
  merchantId: v.pipe(v.string(), v.maxLength(128)),
  name: v.pipe(v.string(), v.maxLength(200)),
  certificateChain: v.pipe(
    v.array(v.pipe(v.string(), v.maxLength(16_384))),
    v.minLength(1),
    v.maxLength(4),
  ),
  instruments: v.array(v.string()),
  payEndpoint: v.pipe(v.string(), v.maxLength(2048)),
});
type Descriptor = v.InferOutput<typeof descriptorSchema>;

export interface CheckedOffer {
  readonly offer: SignedOffer;
  readonly token: string;
  /** base64url of `offerHash(offer)`. */
  readonly hash: string;
  readonly origin: string;
  readonly resourceUrl: string;
  readonly payee: PayeeView;
  readonly bank: BankRecord;
  readonly offerPublicKey: Uint8Array;
  readonly payEndpoint: string;
  readonly descriptorInstruments: readonly string[];
}

function offerInvalid(message: string, cause?: unknown): WalletFailure {
  return new WalletFailure('offer_invalid', message, cause === undefined ? {} : { cause });
}

/** The page's origin from the browser's sender URL; only http(s) pages can pay. */
export function pageOriginOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new WalletFailure(
      'origin_mismatch',
      'Only web pages (http or https) can ask for payments.',
    );
  }
  return parsed.origin;
}

interface VerifiedPayee {
  readonly bank: BankRecord;
  readonly merchantId: string;
  readonly name: string;
  readonly offerPublicKey: Uint8Array;
  readonly notAfter: number;
  readonly serialNumber: string;
}

/**
 * Certificate checks, kept per wallet database, origin and chain until the first certificate
 * of the path (the merchant's, the CA's) expires, and only while the bank that vouched is
 * still pinned to the same CA.
 */
const verifiedCacheOf = perDatabase<string, VerifiedPayee>();

interface FetchedDescriptor {
  readonly descriptor: Descriptor;
  readonly fetchedAt: number;
}

async function descriptorOf(ctx: WalletContext, origin: string): Promise<FetchedDescriptor> {
  const now = ctx.platform.now();
  const stored = await ctx.db.get('descriptors', origin);
  if (stored !== undefined && now - stored.fetchedAt < descriptorMaxAgeMs) {
    const parsed = v.safeParse(descriptorSchema, stored.json);
    if (parsed.success) return { descriptor: parsed.output, fetchedAt: stored.fetchedAt };
  }
  const json = await requestJson(
    ctx.platform,
    merchantParty,
    { method: 'GET', url: `${origin}/.well-known/farthing-merchant` },
    v.unknown(),
  );
  const parsed = v.safeParse(descriptorSchema, json);
  if (!parsed.success) {
    throw new WalletFailure(
      'merchant_not_certified',
      `${origin} does not describe itself as a Farthing merchant.`,
    );
  }
  await ctx.db.put('descriptors', { origin, json, fetchedAt: now });
  return { descriptor: parsed.output, fetchedAt: now };
}

async function verifyPayee(
  ctx: WalletContext,
  origin: string,
  descriptor: Descriptor,
): Promise<VerifiedPayee> {
  const now = ctx.platform.now();
  const chainKey = `${origin} ${toBase64url(sha256(new TextEncoder().encode(descriptor.certificateChain.join('.'))))}`;
  const cache = verifiedCacheOf(ctx.db);
  const cached = cache.get(chainKey);
  if (cached !== undefined && now < cached.notAfter) {
    const bank = await ctx.db.get('banks', cached.bank.url);
    if (bank?.caFingerprint === cached.bank.caFingerprint) return cached;
  }
  const banks = await ctx.db.getAll('banks');
  let chain: Uint8Array[];
  try {
    chain = descriptor.certificateChain.map((der) => fromBase64url(der));
  } catch (cause) {
    throw new WalletFailure('merchant_not_certified', `${origin} sent a broken certificate.`, {
      cause,
    });
  }
  let lastError: unknown;
  for (const bank of banks) {
    try {
      const verified = verifyMerchantCertificate({
        chain,
        trustedRoots: [bank.caCertificate],
        origin,
        now,
      });
      const payee: VerifiedPayee = {
        bank,
        merchantId: verified.merchantId,
        name: verified.name,
        offerPublicKey: verified.offerPublicKey,
        serialNumber: verified.serialNumber,
        notAfter: Math.min(
          verified.notAfter,
          parseCertificate(bank.caCertificate).notAfter,
          ...chain.slice(1).map((der) => parseCertificate(der).notAfter),
        ),
      };
      cache.set(chainKey, payee);
      return payee;
    } catch (error) {
      lastError = error;
      if (isFarthingError(error) && error.code === 'certificate_origin_mismatch') {
        throw new WalletFailure(
          'origin_mismatch',
          `The merchant certificate does not name ${origin}; this page cannot take payments for it.`,
          { cause: error },
        );
      }
    }
  }
  throw new WalletFailure(
    'merchant_not_certified',
    banks.length === 0
      ? 'Add a bank in the settings before paying.'
      : `${origin} is not certified by a bank you trust.`,
    { hint: 'settings#banks', ...(lastError === undefined ? {} : { cause: lastError }) },
  );
}

interface CheckedEntry {
  readonly checked: CheckedOffer;
  /** Until when the descriptor and certificate it was checked with may be used. */
  readonly usableUntil: number;
  /** The merchant certificate's, looked up in its bank's revocation list on every use. */
  readonly serialNumber: string;
}

/** Per database: offers checked lately, by page origin, link and token (hover, then click). */
const checkedOffersOf = perDatabase<string, CheckedEntry>();
const maxCheckedOffers = 1_000;

export async function checkOffer(
  ctx: WalletContext,
  params: { readonly token: string; readonly href: string; readonly pageUrl: string },
): Promise<CheckedOffer> {
  const origin = pageOriginOf(params.pageUrl);
  const checkedOffers = checkedOffersOf(ctx.db);
  const key = `${origin}\n${params.href}\n${params.token}`;
  const known = checkedOffers.get(key);
  let entry: CheckedEntry;
  if (known !== undefined && ctx.platform.now() < known.usableUntil) {
    entry = known;
  } else {
    entry = await checkOfferNow(ctx, origin, params);
    checkedOffers.delete(key);
    if (checkedOffers.size >= maxCheckedOffers) {
      checkedOffers.delete(checkedOffers.keys().next().value!);
    }
    checkedOffers.set(key, entry);
  }
  const { checked } = entry;
  await assertMerchantCertificateNotRevoked(ctx, checked.bank, entry.serialNumber);
  if (checked.offer.expiresAt <= ctx.platform.now()) {
    throw new WalletFailure(
      'offer_expired',
      'This offer has expired. Reload the page for a fresh one.',
    );
  }
  return checked;
}

/** Every check but the offer's expiry, which the caller makes on each use. */
async function checkOfferNow(
  ctx: WalletContext,
  origin: string,
  params: { readonly token: string; readonly href: string },
): Promise<CheckedEntry> {
  let offer: SignedOffer;
  try {
    offer = parseOfferToken(params.token);
  } catch (cause) {
    throw offerInvalid('This link carries an offer the wallet cannot read.', cause);
  }
  if (offer.merchantOrigin !== origin || new URL(params.href).origin !== origin) {
    throw new WalletFailure(
      'origin_mismatch',
      `This offer is not for ${origin}; nothing was paid.`,
    );
  }
  const { descriptor, fetchedAt } = await descriptorOf(ctx, origin);
  const payee = await verifyPayee(ctx, origin, descriptor);
  if (payee.merchantId !== offer.merchantId) {
    throw offerInvalid('The offer names another merchant than the site’s certificate.');
  }
  try {
    await verifyOfferSignature(offer, payee.offerPublicKey);
  } catch (cause) {
    throw offerInvalid('The offer’s signature does not verify; nothing was paid.', cause);
  }
  let payEndpoint: URL;
  try {
    payEndpoint = new URL(descriptor.payEndpoint);
  } catch (cause) {
    throw new WalletFailure('merchant_not_certified', `${origin} names no usable pay endpoint.`, {
      cause,
    });
  }
  if (payEndpoint.origin !== origin) {
    throw new WalletFailure(
      'origin_mismatch',
      `${origin} asks to be paid on another site; nothing was paid.`,
    );
  }
  return {
    checked: {
      offer,
      token: params.token,
      hash: toBase64url(offerHash(offer)),
      origin,
      resourceUrl: `${origin}${offer.resource}`,
      payee: { name: payee.name, origin, merchantId: payee.merchantId, bankUrl: payee.bank.url },
      bank: payee.bank,
      offerPublicKey: payee.offerPublicKey,
      payEndpoint: payEndpoint.href,
      descriptorInstruments: descriptor.instruments,
    },
    usableUntil: Math.min(fetchedAt + descriptorMaxAgeMs, payee.notAfter),
    serialNumber: payee.serialNumber,
  };
}
