/**
 * The offer: a merchant-signed payment request (DESIGN.md "Priced link", step 1). The signed
 * offer is authoritative; any price shown in the page markup is only a hint.
 *
 * Its hash (`offerHash`, SHA-256 of the signing bytes) is what every credential binds to
 * (deposit permissions, PayWord payments, SET order information), so a credential made for
 * one offer is worthless for any other offer, merchant or resource.
 *
 * Wire JSON (`OfferWire`), version 1:
 *
 *   { "version": 1, "merchantId": "demo-shop", "merchantOrigin": "https://shop.example",
 *     "resource": "/articles/7", "amount": "EUR 0.05", "createdAt": 1700000000000,
 *     "expiresAt": 1700000600000, "instruments": ["ecash", "payword"],
 *     "nonce": "<16 bytes b64u>", "title": "Article 7", "signature": "<64 bytes b64u>" }
 *
 * `title` is optional. Unknown members are refused: they would not be covered by the
 * signature. The compact byte and token forms are in offer-token.ts.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { type Amount, formatAmount } from './amount.ts';
import type { Ed25519Signer } from './ed25519.ts';
import { type CanonicalWriter, toBase64url } from './encoding.ts';
import {
  assertBytes,
  assertInteger,
  assertString,
  FarthingError,
  invalidArgument,
} from './errors.ts';
import {
  assertCanonicalResource,
  isCanonicalResource,
  maxResourceLength,
} from './offer-resource.ts';
import {
  amountSchema,
  bytesSchema,
  identifierSchema,
  originSchema,
  parseMessage,
  timestampSchema,
} from './schema.ts';
import {
  type MerchantSignatureParameters,
  type SignedMessageType,
  signedMessageType,
} from './signed-message.ts';

/** The signed message type (tag, version, name), declared once. */
export const offerType: SignedMessageType<1> = signedMessageType('offer', 1);
export const offerVersion = offerType.version;
export const offerNonceLength = 16;
export const offerHashLength = 32;
export const maxOfferTitleLength = 200;

/** The ways a payer can pay (DESIGN.md): e-cash coins, PayWord, SET card, hardware purse. */
export const paymentInstruments = ['ecash', 'payword', 'card', 'purse'] as const;
export type PaymentInstrument = (typeof paymentInstruments)[number];

export interface Offer {
  readonly version: typeof offerVersion;
  readonly merchantId: string;
  /** The merchant's serialized origin; the resource lives there. */
  readonly merchantOrigin: string;
  /** Path (and query) on `merchantOrigin`, in the normal form of offer-resource.ts. */
  readonly resource: string;
  /** The price; more than zero. */
  readonly amount: Amount;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** The offer may be paid while `now < expiresAt`. */
  readonly expiresAt: number;
  /** In the merchant's order of preference; at least one, no duplicates. */
  readonly instruments: readonly PaymentInstrument[];
  /** Makes two offers for the same thing at the same millisecond distinct. */
  readonly nonce: Uint8Array;
  /** What is being bought, for the confirmation window; a hint, never used for a decision. */
  readonly title?: string;
}

export interface SignedOffer extends Offer {
  /** The merchant key's Ed25519 signature over `offerSigningBytes`. */
  readonly signature: Uint8Array;
}

export function isPaymentInstrument(value: unknown): value is PaymentInstrument {
  return typeof value === 'string' && (paymentInstruments as readonly string[]).includes(value);
}

function hasNoDuplicates(items: readonly unknown[]): boolean {
  return new Set(items).size === items.length;
}

/** Throws `invalid_argument` naming the first field of `offer` that breaks a rule. */
export function assertOffer(offer: Offer): void {
  if (typeof offer !== 'object' || offer === null)
    throw invalidArgument('offer', 'must be an object');
  offerType.assertVersion(offer.version);
  if (!v.is(identifierSchema, offer.merchantId)) {
    throw invalidArgument('merchantId', 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
  if (!v.is(originSchema, offer.merchantOrigin)) {
    throw invalidArgument('merchantOrigin', 'must be an origin such as "https://shop.example"');
  }
  assertCanonicalResource(offer.resource, 'resource');
  formatAmount(offer.amount);
  if (offer.amount.minor === 0) throw invalidArgument('amount', 'must be more than zero');
  assertInteger(offer.createdAt, 'createdAt');
  assertInteger(offer.expiresAt, 'expiresAt');
  if (offer.expiresAt <= offer.createdAt)
    throw invalidArgument('expiresAt', 'must be after createdAt');
  if (!Array.isArray(offer.instruments) || offer.instruments.length === 0) {
    throw invalidArgument('instruments', 'must list at least one instrument');
  }
  for (const [index, instrument] of offer.instruments.entries()) {
    if (!isPaymentInstrument(instrument)) {
      throw invalidArgument(
        `instruments.${index}`,
        `must be one of ${paymentInstruments.join(', ')}`,
      );
    }
  }
  if (!hasNoDuplicates(offer.instruments)) throw invalidArgument('instruments', 'must not repeat');
  assertBytes(offer.nonce, 'nonce', offerNonceLength);
  if (offer.title !== undefined) assertString(offer.title, 'title', maxOfferTitleLength);
}

/** Writes the offer's fields in signing order; shared with the token form. */
export function writeOfferFields(writer: CanonicalWriter, offer: Offer): void {
  writer
    .string(offer.merchantId, 'merchantId', 128)
    .string(offer.merchantOrigin, 'merchantOrigin')
    .string(offer.resource, 'resource')
    .amount(offer.amount, 'amount')
    .u64(offer.createdAt, 'createdAt')
    .u64(offer.expiresAt, 'expiresAt')
    .list(offer.instruments, 'instruments', (w, instrument, index) =>
      w.string(instrument, `instruments.${index}`, 16),
    )
    .fixed(offer.nonce, offerNonceLength, 'nonce')
    .optional(offer.title, 'title', (w, title) => w.string(title, 'title', maxOfferTitleLength));
}

/**
 * Offers this module made (`signOffer`, `parseOffer`) and so already checked: they are frozen
 * with their amount and instrument list, and their nonce cannot change length, so they stay
 * valid, and hashing one again (every payment, receipt and grant binds to the offer's hash)
 * does not check it again.
 */
const checkedOffers = new WeakSet<Offer>();

function checkedOffer(offer: SignedOffer): SignedOffer {
  const frozen: SignedOffer = Object.freeze({
    ...offer,
    amount: Object.freeze({ ...offer.amount }),
    instruments: Object.freeze([...offer.instruments]),
  });
  checkedOffers.add(frozen);
  return frozen;
}

/** The bytes the merchant signs: tag `farthing/offer`, version 1, the fields in order. */
export function offerSigningBytes(offer: Offer): Uint8Array {
  if (!checkedOffers.has(offer)) assertOffer(offer);
  return offerType.signingBytes((writer) => writeOfferFields(writer, offer));
}

/** SHA-256 of the signing bytes: what deposit permissions, receipts and grants bind to. */
export function offerHash(offer: Offer): Uint8Array {
  return sha256(offerSigningBytes(offer));
}

export function randomOfferNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(offerNonceLength));
}

export type SignOfferParameters = Omit<Offer, 'version' | 'nonce'> & {
  /** Defaults to 16 fresh random bytes. */
  readonly nonce?: Uint8Array;
};

/** Signs an offer with the merchant's key. */
export async function signOffer(
  parameters: SignOfferParameters,
  signer: Ed25519Signer,
): Promise<SignedOffer> {
  const { title } = parameters;
  const offer: Offer = {
    version: offerVersion,
    merchantId: parameters.merchantId,
    merchantOrigin: parameters.merchantOrigin,
    resource: parameters.resource,
    amount: parameters.amount,
    createdAt: parameters.createdAt,
    expiresAt: parameters.expiresAt,
    instruments: parameters.instruments,
    nonce: parameters.nonce ?? randomOfferNonce(),
    ...(title === undefined ? {} : { title }),
  };
  const signature = await offerType.sign(offerSigningBytes(offer), signer);
  return checkedOffer({ ...offer, signature });
}

export type VerifyOfferParameters = MerchantSignatureParameters;

/** Throws `bad_signature` unless `merchantPublicKey` signed this offer. */
export function verifyOffer(offer: SignedOffer, parameters: VerifyOfferParameters): void {
  offerType.checkMerchantSignature(offer?.signature, offerSigningBytes(offer), parameters);
}

/** Throws `offer_expired` once `now` reaches `expiresAt`. */
export function checkOfferFresh(offer: Offer, now: number): void {
  assertInteger(now, 'now');
  assertInteger(offer?.expiresAt, 'expiresAt');
  if (now >= offer.expiresAt) {
    throw new FarthingError('offer_expired', 'the offer has expired; reload the page', {
      details: { field: 'expiresAt', expiresAt: offer.expiresAt, now },
    });
  }
}

// --- wire

export interface OfferWire {
  readonly version: number;
  readonly merchantId: string;
  readonly merchantOrigin: string;
  readonly resource: string;
  readonly amount: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly instruments: readonly string[];
  readonly nonce: string;
  readonly title?: string;
  readonly signature: string;
}

export const offerSchema = v.pipe(
  v.strictObject({
    version: offerType.versionSchema,
    merchantId: identifierSchema,
    merchantOrigin: originSchema,
    resource: v.pipe(
      v.string(),
      v.maxLength(maxResourceLength),
      v.check((text) => isCanonicalResource(text), 'expected an absolute path in normal form'),
    ),
    amount: v.pipe(
      amountSchema,
      v.check((value) => value.minor > 0, 'expected an amount above zero'),
    ),
    createdAt: timestampSchema,
    expiresAt: timestampSchema,
    instruments: v.pipe(
      v.array(v.picklist(paymentInstruments)),
      v.minLength(1, 'expected at least one instrument'),
      v.maxLength(paymentInstruments.length),
      v.check((list) => hasNoDuplicates(list), 'expected no instrument twice'),
    ),
    nonce: bytesSchema(offerNonceLength),
    title: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.maxLength(maxOfferTitleLength),
        v.check((text) => text.isWellFormed(), 'expected well-formed text'),
      ),
    ),
    signature: bytesSchema(64),
  }),
  v.forward(
    v.partialCheck(
      [['createdAt'], ['expiresAt']],
      (offer) => offer.expiresAt > offer.createdAt,
      'expected expiresAt after createdAt',
    ),
    ['expiresAt'],
  ),
);

export function offerToWire(offer: SignedOffer): OfferWire {
  if (!checkedOffers.has(offer)) assertOffer(offer);
  return {
    version: offer.version,
    merchantId: offer.merchantId,
    merchantOrigin: offer.merchantOrigin,
    resource: offer.resource,
    amount: formatAmount(offer.amount),
    createdAt: offer.createdAt,
    expiresAt: offer.expiresAt,
    instruments: [...offer.instruments],
    nonce: toBase64url(offer.nonce),
    ...(offer.title === undefined ? {} : { title: offer.title }),
    signature: toBase64url(offer.signature),
  };
}

/** Validates a received offer (`invalid_message` / `unsupported_version` naming the field).
 * It does not check the signature: that needs the merchant's key (`verifyOffer`). */
export function parseOffer(input: unknown): SignedOffer {
  const parsed = parseMessage(offerSchema, input, 'offer');
  const { title, ...rest } = parsed;
  return checkedOffer({ ...rest, ...(title === undefined ? {} : { title }) });
}
