/**
 * Merchant registration (SET's "merchant registration", with a Farthing request): the merchant
 * asks its bank to certify its offer-signing key for a name and a list of origins. The request
 * is signed by that very key, which proves the merchant holds the private key (proof of
 * possession, as a PKCS#10 request does, RFC 2986 §3), and names the bank and a time, so it
 * cannot be sent to another bank or kept to be replayed much later.
 *
 * The request does not authenticate the merchant: the bank decides, from the merchant's
 * account session, whether this merchant may register this id and these origins. Replaying a
 * fresh request only gets the same certificate issued again.
 *
 * Wire JSON (`MerchantRegistrationWire`), version 1:
 *
 *   { "version": 1, "merchantId": "demo-shop", "name": "Demo Shop",
 *     "origins": ["https://shop.example"], "offerPublicKey": "<32 bytes b64u>",
 *     "bankId": "demo-bank", "createdAt": 1700000000000, "signature": "<64 bytes b64u>" }
 */
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '../ed25519.ts';
import { assertBytes, assertInteger, assertString, FarthingError } from '../errors.ts';
import {
  identifierField,
  type Signed,
  type SignedWire,
  signedMessage,
  timestampField,
  type Unsigned,
} from '../message-fields.ts';
import { merchantCertificateFieldTable } from './merchant-certificate.ts';

/** How old a request may be when the bank receives it. */
export const defaultRegistrationMaxAge = 5 * 60_000;
/** How far ahead of the bank's clock a request may be dated. */
export const defaultRegistrationClockSkew = 60_000;

/**
 * Merchant registrations, declared once: the type (tag, version) and the fields in signing and
 * wire order. `signingBytes` gives tag `farthing/merchant-registration`, version 1, then the
 * fields in table order; `schema`, `signedToWire` and `parse` are the wire form (`parse`
 * validates a received request, `invalid_message` / `unsupported_version` naming the field,
 * and does not check the signature: `verifyMerchantRegistration` does).
 */
export const merchantRegistrations = signedMessage(
  'merchantRegistration',
  1,
  {
    ...merchantCertificateFieldTable,
    /** The bank asked to certify the key. */
    bankId: identifierField,
    /** Milliseconds since the Unix epoch. */
    createdAt: timestampField,
  },
  { argument: 'registration' },
);

export type MerchantRegistration = Unsigned<typeof merchantRegistrations>;
/** `signature`: by `offerPublicKey` over `merchantRegistrations.signingBytes`. */
export type SignedMerchantRegistration = Signed<typeof merchantRegistrations>;

export type SignMerchantRegistrationParameters = Omit<
  MerchantRegistration,
  'version' | 'offerPublicKey'
>;

/** The merchant signs a request with its offer key; the key certified is the signer's. */
export async function signMerchantRegistration(
  parameters: SignMerchantRegistrationParameters,
  offerSigner: Ed25519Signer,
): Promise<SignedMerchantRegistration> {
  assertBytes(offerSigner?.publicKey, 'offerSigner.publicKey', ed25519PublicKeyLength);
  const registration = merchantRegistrations.create({
    ...parameters,
    origins: Array.isArray(parameters?.origins) ? [...parameters.origins] : parameters?.origins,
    offerPublicKey: offerSigner.publicKey.slice(),
  });
  return merchantRegistrations.sign(registration, offerSigner, 'offerSigner');
}

export interface VerifyMerchantRegistrationParameters {
  /** The id of the bank receiving the request. */
  readonly bankId: string;
  /** Milliseconds since the Unix epoch, the bank's clock. */
  readonly now: number;
  readonly maxAge?: number;
  readonly clockSkew?: number;
  readonly ed25519Verify?: Ed25519Verify;
}

/**
 * The bank checks a request: `bad_signature` unless the offer key signed it,
 * `registration_wrong_bank` unless it is addressed to `bankId`, `registration_stale` unless
 * `createdAt` lies within [now − maxAge, now + clockSkew].
 */
export function verifyMerchantRegistration(
  registration: SignedMerchantRegistration,
  parameters: VerifyMerchantRegistrationParameters,
): void {
  const {
    bankId,
    now,
    maxAge = defaultRegistrationMaxAge,
    clockSkew = defaultRegistrationClockSkew,
    ed25519Verify,
  }: Partial<VerifyMerchantRegistrationParameters> = parameters ?? {};
  assertString(bankId, 'bankId', 128);
  assertInteger(now, 'now');
  assertInteger(maxAge, 'maxAge');
  assertInteger(clockSkew, 'clockSkew');
  merchantRegistrations.type.checkSignature({
    verify: ed25519Verify,
    signature: registration.signature,
    signatureLength: ed25519SignatureLength,
    bytes: merchantRegistrations.signingBytes(registration),
    publicKey: registration.offerPublicKey,
    by: 'the key it asks to certify',
  });
  if (registration.bankId !== bankId) {
    throw new FarthingError(
      'registration_wrong_bank',
      'the registration is addressed to another bank',
      { details: { field: 'bankId', expected: bankId, got: registration.bankId } },
    );
  }
  if (registration.createdAt < now - maxAge || registration.createdAt > now + clockSkew) {
    throw new FarthingError(
      'registration_stale',
      "the registration is too old or dated ahead of the bank's clock; check the clock and retry",
      { details: { field: 'createdAt', createdAt: registration.createdAt, now } },
    );
  }
}

// --- wire

export type MerchantRegistrationWire = SignedWire<typeof merchantRegistrations>;
