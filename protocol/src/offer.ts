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
import { type Amount, equalAmounts } from './amount.ts';
import type { Ed25519Signer } from './ed25519.ts';
import type { CanonicalWriter } from './encoding.ts';
import { assertInteger, assertString, FarthingError, invalidArgument } from './errors.ts';
import {
  bytesField,
  choiceField,
  identifierField,
  listField,
  type MerchantSignatureParameters,
  type MessageField,
  optionalField,
  positiveAmountField,
  resourceField,
  type Signed,
  type SignedWire,
  signedMessage,
  timestampField,
  type Unsigned,
} from './message-fields.ts';
import { originSchema, parseMessage } from './schema.ts';

export const offerNonceLength = 16;
export const offerHashLength = 32;
export const maxOfferTitleLength = 200;

/** The ways a payer can pay (DESIGN.md): e-cash coins, PayWord, SET card, hardware purse. */
export const paymentInstruments = ['ecash', 'payword', 'card', 'purse'] as const;
export type PaymentInstrument = (typeof paymentInstruments)[number];

export function isPaymentInstrument(value: unknown): value is PaymentInstrument {
  return typeof value === 'string' && (paymentInstruments as readonly string[]).includes(value);
}

/** At least one instrument, none twice, in the merchant's order of preference. */
const instrumentsField = listField(choiceField(paymentInstruments), {
  max: paymentInstruments.length,
  items: 'instruments',
  distinct: true,
});

const originField: MessageField<string, string> = {
  assert(value, field) {
    if (!v.is(originSchema, value)) {
      throw invalidArgument(field, 'must be an origin such as "https://shop.example"');
    }
  },
  write: (writer, value, field) => writer.string(value, field),
  schema: originSchema,
  toWire: (value) => value,
};

const titleField: MessageField<string, string> = {
  assert: (value, field) => assertString(value, field, maxOfferTitleLength),
  write: (writer, value, field) => writer.string(value, field, maxOfferTitleLength),
  schema: v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(maxOfferTitleLength),
    v.check((text) => text.isWellFormed(), 'expected well-formed text'),
  ),
  toWire: (value) => value,
};

/** An offer: its type (tag, version) and its fields in signing and wire order. */
const offers = signedMessage(
  'offer',
  1,
  {
    merchantId: identifierField,
    /** The merchant's serialized origin; the resource lives there. */
    merchantOrigin: originField,
    /** Path (and query) on `merchantOrigin`, in the normal form of offer-resource.ts. */
    resource: resourceField,
    /** The price; more than zero. */
    amount: positiveAmountField,
    /** Milliseconds since the Unix epoch. */
    createdAt: timestampField,
    /** The offer may be paid while `now < expiresAt`. */
    expiresAt: timestampField,
    /** In the merchant's order of preference; at least one, no duplicates. */
    instruments: instrumentsField,
    /** Makes two offers for the same thing at the same millisecond distinct. */
    nonce: bytesField(offerNonceLength),
    /** What is being bought, for the confirmation window; a hint, never used for a decision. */
    title: optionalField(titleField),
  },
  {
    argument: 'offer',
    check(offer) {
      if (offer.expiresAt <= offer.createdAt) {
        throw invalidArgument('expiresAt', 'must be after createdAt');
      }
    },
  },
);

export const offerVersion = offers.type.version;
export type Offer = Unsigned<typeof offers>;
/** `signature`: the merchant key's Ed25519 signature over `offerSigningBytes`. */
export type SignedOffer = Signed<typeof offers>;

/** Throws `invalid_argument` naming the first field of `offer` that breaks a rule. */
export function assertOffer(offer: Offer): void {
  offers.assert(offer);
}

/** Writes the offer's fields in signing order, unchecked; shared with the token form. */
export function writeOfferFields(writer: CanonicalWriter, offer: Offer): void {
  offers.writeFields(writer, offer);
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
  return offers.checkedSigningBytes(offer);
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
  const nonce = parameters.nonce ?? randomOfferNonce();
  return checkedOffer(await offers.sign(offers.create({ ...parameters, nonce }), signer));
}

export type VerifyOfferParameters = MerchantSignatureParameters;

/** Throws `bad_signature` unless `merchantPublicKey` signed this offer. */
export function verifyOffer(offer: SignedOffer, parameters: VerifyOfferParameters): void {
  offers.type.checkMerchantSignature(offer?.signature, offerSigningBytes(offer), parameters);
}

/**
 * For an instrument whose own signed statement names its payee and amount (a purse proof, a
 * SET order): throws `merchant_mismatch` unless `statement.merchantId` is `merchantId`, and
 * `offer_mismatch` unless `statement.amount` is exactly the offer's. `what` is how the errors
 * call the statement, `field` where it stands in the credential.
 */
export function checkStatementPaysOffer(
  statement: { readonly merchantId: string; readonly amount: Amount },
  offer: Offer,
  merchantId: string,
  { what, field }: { readonly what: string; readonly field: string },
): void {
  if (statement.merchantId !== merchantId) {
    throw new FarthingError('merchant_mismatch', `${what} pays another merchant`, {
      details: { field: `${field}.merchantId` },
    });
  }
  if (!equalAmounts(statement.amount, offer.amount)) {
    throw new FarthingError('offer_mismatch', `${what} pays another amount than the offer`, {
      details: { field: `${field}.amount` },
    });
  }
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

export type OfferWire = SignedWire<typeof offers>;

export const offerSchema = v.pipe(
  offers.schema,
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
  return checkedOffers.has(offer) ? offers.checkedSignedToWire(offer) : offers.signedToWire(offer);
}

/** Validates a received offer (`invalid_message` / `unsupported_version` naming the field).
 * It does not check the signature: that needs the merchant's key (`verifyOffer`). */
export function parseOffer(input: unknown): SignedOffer {
  const parsed = parseMessage(offerSchema, input, 'offer');
  const { title, ...rest } = parsed;
  return checkedOffer({ ...rest, ...(title === undefined ? {} : { title }) });
}
