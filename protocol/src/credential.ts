/**
 * The credential: what the wallet sends the merchant to pay one offer (DESIGN.md "Priced
 * link", step 4). One tagged union over the instruments, each variant carrying the signed
 * offer it pays, so the merchant can check its own signature without remembering the offer.
 *
 * Wire JSON, version 1:
 *
 *   { "version": 1, "type": "ecash",   "offer": "<offer token>", "coins": [<deposit permission>, …] }
 *   { "version": 1, "type": "payword", "offer": "<offer token>", "payment": <PayWord payment> }
 *   { "version": 1, "type": "purse",   "offer": "<offer token>", "proof": "…", "cardCertificate": "…" }
 *   { "version": 1, "type": "card",    "offer": "<offer token>", "purchase": <SET purchase request> }
 *
 * Binding: every deposit permission signs the offer hash and merchant id; a PayWord payment
 * draws on a commitment made for one vendor, and the vendor's last accepted word makes a
 * replay worthless. The same credential bytes travel in the `Authorization: Farthing
 * credential="…"` header (http/farthing-auth.ts) or as the JSON body of the merchant's pay
 * endpoint; an e-cash payment of many coins outgrows the 8 KiB header limit and must use the
 * body.
 */
import * as v from 'valibot';
import {
  checkPermissionsPayPrice,
  type DepositPermission,
  depositPermissions,
  maxCoinsPerPayment,
} from './coin/deposit-permission.ts';
import type { Ed25519Verify } from './ed25519.ts';
import { FarthingError } from './errors.ts';
import {
  checkOfferFresh,
  isPaymentInstrument,
  offerHash,
  type SignedOffer,
  verifyOffer,
} from './offer.ts';
import { maxOfferBytes, offerToken, parseOfferToken } from './offer-token.ts';
import {
  type PaywordPayment,
  type PaywordPaymentJson,
  paywordPaymentSchema,
  paywordPaymentToJson,
} from './payword/payment.ts';
import {
  checkPurseProofPaysOffer,
  type PurseCredentialPayment,
  type PurseCredentialWireFields,
  purseCredentialFields,
  purseCredentialFieldsToWire,
} from './purse/credential.ts';
import { codedTransform, parseMessage } from './schema.ts';
import {
  type CardCredentialPayment,
  type CardCredentialWireFields,
  cardCredentialFields,
  cardCredentialFieldsToWire,
  checkCardPurchasePaysOffer,
} from './set/card-credential.ts';

export const credentialVersion = 1;

/** Largest credential accepted, as UTF-8 JSON: 256 coins of ~900 bytes each, with room. */
export const maxCredentialBytes = 256 * 1024;

export type Credential =
  | {
      readonly type: 'ecash';
      readonly offer: SignedOffer;
      readonly coins: readonly DepositPermission[];
    }
  | {
      readonly type: 'payword';
      readonly offer: SignedOffer;
      readonly payment: PaywordPayment;
    }
  | ({ readonly type: 'purse'; readonly offer: SignedOffer } & PurseCredentialPayment)
  | ({ readonly type: 'card'; readonly offer: SignedOffer } & CardCredentialPayment);

export type CredentialType = Credential['type'];

export type CredentialWire =
  | {
      readonly version: 1;
      readonly type: 'ecash';
      readonly offer: string;
      readonly coins: readonly ReturnType<typeof depositPermissions.signedToWire>[];
    }
  | {
      readonly version: 1;
      readonly type: 'payword';
      readonly offer: string;
      readonly payment: PaywordPaymentJson;
    }
  | ({
      readonly version: 1;
      readonly type: 'purse';
      readonly offer: string;
    } & PurseCredentialWireFields)
  | ({
      readonly version: 1;
      readonly type: 'card';
      readonly offer: string;
    } & CardCredentialWireFields);

const versionSchema = v.pipe(
  v.unknown(),
  codedTransform<unknown, 1>((value) => {
    if (value === credentialVersion) return credentialVersion;
    throw new FarthingError(
      'unsupported_version',
      `credential version ${String(value)} is not supported`,
    );
  }),
);

const offerTokenSchema = v.pipe(
  v.string(),
  // base64url of at most maxOfferBytes: 4 characters per 3 bytes.
  v.maxLength(Math.ceil((maxOfferBytes * 4) / 3)),
  codedTransform((token: string) => parseOfferToken(token)),
);

export const credentialSchema = v.variant('type', [
  v.strictObject({
    version: versionSchema,
    type: v.literal('ecash'),
    offer: offerTokenSchema,
    coins: v.pipe(
      v.array(depositPermissions.schema),
      v.minLength(1),
      v.maxLength(maxCoinsPerPayment),
    ),
  }),
  v.strictObject({
    version: versionSchema,
    type: v.literal('payword'),
    offer: offerTokenSchema,
    payment: paywordPaymentSchema,
  }),
  v.strictObject({
    version: versionSchema,
    type: v.literal('purse'),
    offer: offerTokenSchema,
    ...purseCredentialFields,
  }),
  v.strictObject({
    version: versionSchema,
    type: v.literal('card'),
    offer: offerTokenSchema,
    ...cardCredentialFields,
  }),
]);

/** The members after `version`, `type` and `offer`: what the instrument pays with. */
function paymentToWire(credential: Credential) {
  switch (credential.type) {
    case 'ecash':
      return { coins: credential.coins.map(depositPermissions.signedToWire) };
    case 'payword':
      return { payment: paywordPaymentToJson(credential.payment) };
    case 'purse':
      return purseCredentialFieldsToWire(credential);
    case 'card':
      return cardCredentialFieldsToWire(credential);
    default:
      return exhaustive(credential);
  }
}

export function credentialToWire(credential: Credential): CredentialWire {
  if (!isPaymentInstrument(credential?.type)) {
    throw new FarthingError(
      'invalid_argument',
      'expected a credential of type "ecash", "payword", "purse" or "card"',
      { details: { field: 'type' } },
    );
  }
  return {
    version: credentialVersion,
    type: credential.type,
    offer: offerToken(credential.offer),
    ...paymentToWire(credential),
  } as CredentialWire;
}

/** Validates a received credential's form; `checkCredentialForOffer` checks what it pays. */
export function parseCredential(input: unknown): Credential {
  const parsed = parseMessage(credentialSchema, input, 'credential');
  switch (parsed.type) {
    case 'ecash':
      return { type: 'ecash', offer: parsed.offer, coins: parsed.coins };
    case 'payword':
      return { type: 'payword', offer: parsed.offer, payment: parsed.payment };
    case 'purse':
      return {
        type: 'purse',
        offer: parsed.offer,
        ...parsed.proof,
        cardCertificate: parsed.cardCertificate,
      };
    case 'card':
      return { type: 'card', offer: parsed.offer, purchase: parsed.purchase };
    default:
      return exhaustive(parsed);
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The credential as UTF-8 JSON bytes (what the `credential` header parameter carries). */
export function encodeCredential(credential: Credential): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(credentialToWire(credential)));
}

/** The inverse of `encodeCredential`, refusing oversized or non-UTF-8 input. */
export function decodeCredential(bytes: Uint8Array): Credential {
  if (!(bytes instanceof Uint8Array) || bytes.length > maxCredentialBytes) {
    throw new FarthingError(
      'invalid_message',
      `a credential is at most ${maxCredentialBytes} bytes`,
      {
        details: { field: 'credential' },
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(bytes));
  } catch (cause) {
    throw new FarthingError('invalid_message', 'the credential is not UTF-8 JSON', {
      details: { field: 'credential' },
      cause,
    });
  }
  return parseCredential(json);
}

export interface CheckCredentialParameters {
  /** This merchant's id: the offer must be ours. */
  readonly merchantId: string;
  /** This merchant's offer-signing key. */
  readonly merchantPublicKey: Uint8Array;
  readonly now: number;
  readonly ed25519Verify?: Ed25519Verify;
}

/**
 * What the merchant checks before spending any effort on the payment itself: the offer is its
 * own (`merchant_mismatch`, `bad_signature`), still fresh (`offer_expired`), accepts this
 * instrument (`instrument_not_accepted`), and — for e-cash — the coins pay exactly this offer
 * (`offer_mismatch`, `coin_amount_mismatch`, …); for PayWord a first-use commitment names
 * this vendor (`payword_vendor_mismatch`); for the purse the card's proof pays this merchant
 * the offer's amount (purse/credential.ts); for a card the purchase's OI names this merchant,
 * the offer's amount and the offer as its order (set/card-credential.ts). Coin signatures are
 * checked by the mint on deposit; paywords by the PayWord verifier against the vendor's
 * durable state; a card's chain and signatures by the merchant's card instrument.
 */
export function checkCredentialForOffer(
  credential: Credential,
  parameters: CheckCredentialParameters,
): void {
  const { offer } = credential;
  if (offer.merchantId !== parameters.merchantId) {
    throw new FarthingError(
      'merchant_mismatch',
      'the credential pays an offer of another merchant',
      {
        details: { field: 'offer.merchantId' },
      },
    );
  }
  verifyOffer(offer, {
    merchantPublicKey: parameters.merchantPublicKey,
    ...(parameters.ed25519Verify === undefined ? {} : { ed25519Verify: parameters.ed25519Verify }),
  });
  checkOfferFresh(offer, parameters.now);
  if (!offer.instruments.includes(credential.type)) {
    throw new FarthingError(
      'instrument_not_accepted',
      `this offer does not accept ${credential.type}`,
      {
        details: { field: 'type', accepted: [...offer.instruments] },
      },
    );
  }
  switch (credential.type) {
    case 'ecash':
      checkPermissionsPayPrice(credential.coins, {
        price: offer.amount,
        offerHash: offerHash(offer),
        merchantId: offer.merchantId,
      });
      return;
    case 'payword': {
      const commitment = credential.payment.commitment;
      if (commitment !== undefined && commitment.vendorId !== parameters.merchantId) {
        throw new FarthingError(
          'payword_vendor_mismatch',
          'the PayWord chain was committed to another vendor',
          {
            details: { field: 'payment.commitment.vendorId' },
          },
        );
      }
      return;
    }
    case 'purse':
      checkPurseProofPaysOffer(credential, offer, parameters.merchantId);
      return;
    case 'card':
      checkCardPurchasePaysOffer(credential, offer, parameters.merchantId);
      return;
    default:
      exhaustive(credential);
  }
}

function exhaustive(value: never): never {
  throw new FarthingError('invalid_argument', `unexpected credential ${JSON.stringify(value)}`);
}
