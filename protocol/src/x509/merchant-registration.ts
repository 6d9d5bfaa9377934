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
import * as v from 'valibot';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, assertString, FarthingError } from '../errors.ts';
import { bytesSchema, identifierSchema, parseMessage, timestampSchema } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import {
  assertMerchantCertificateFields,
  isMerchantName,
  isMerchantOrigin,
  type MerchantCertificateFields,
  maxMerchantNameLength,
  maxMerchantOrigins,
} from './merchant-certificate.ts';

/** The signed message type (tag, version, name), declared once. */
export const merchantRegistrationType: SignedMessageType<1> = signedMessageType(
  'merchantRegistration',
  1,
);
export const merchantRegistrationVersion = merchantRegistrationType.version;
/** How old a request may be when the bank receives it. */
export const defaultRegistrationMaxAge = 5 * 60_000;
/** How far ahead of the bank's clock a request may be dated. */
export const defaultRegistrationClockSkew = 60_000;

export interface MerchantRegistration extends MerchantCertificateFields {
  readonly version: typeof merchantRegistrationVersion;
  /** The bank asked to certify the key. */
  readonly bankId: string;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export interface SignedMerchantRegistration extends MerchantRegistration {
  /** Signature by `offerPublicKey` over `merchantRegistrationSigningBytes`. */
  readonly signature: Uint8Array;
}

function assertRegistration(registration: MerchantRegistration): void {
  if (typeof registration !== 'object' || registration === null) {
    throw new FarthingError('invalid_argument', '"registration" must be an object', {
      details: { field: 'registration' },
    });
  }
  merchantRegistrationType.assertVersion(registration.version);
  assertMerchantCertificateFields(registration);
  assertString(registration.bankId, 'bankId', 128);
  if (!v.is(identifierSchema, registration.bankId)) {
    throw new FarthingError('invalid_argument', '"bankId" must be an identifier', {
      details: { field: 'bankId' },
    });
  }
  assertInteger(registration.createdAt, 'createdAt');
}

/** Tag `farthing/merchant-registration`, version 1, then the fields in this order. */
export function merchantRegistrationSigningBytes(registration: MerchantRegistration): Uint8Array {
  assertRegistration(registration);
  return merchantRegistrationType.signingBytes((w) =>
    w
      .string(registration.merchantId, 'merchantId', 128)
      .string(registration.name, 'name', maxMerchantNameLength)
      .list(registration.origins, 'origins', (writer, origin, index) =>
        writer.string(origin, `origins.${index}`),
      )
      .fixed(registration.offerPublicKey, ed25519PublicKeyLength, 'offerPublicKey')
      .string(registration.bankId, 'bankId', 128)
      .u64(registration.createdAt, 'createdAt'),
  );
}

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
  const registration: MerchantRegistration = {
    version: merchantRegistrationVersion,
    merchantId: parameters?.merchantId,
    name: parameters?.name,
    origins: Array.isArray(parameters?.origins) ? [...parameters.origins] : parameters?.origins,
    offerPublicKey: offerSigner.publicKey.slice(),
    bankId: parameters?.bankId,
    createdAt: parameters?.createdAt,
  };
  const signature = await merchantRegistrationType.sign(
    merchantRegistrationSigningBytes(registration),
    offerSigner,
    'offerSigner',
  );
  return Object.freeze({ ...registration, signature: signature.slice() });
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
  merchantRegistrationType.checkSignature({
    verify: ed25519Verify,
    signature: registration.signature,
    signatureLength: ed25519SignatureLength,
    bytes: merchantRegistrationSigningBytes(registration),
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

export interface MerchantRegistrationWire {
  readonly version: number;
  readonly merchantId: string;
  readonly name: string;
  readonly origins: readonly string[];
  readonly offerPublicKey: string;
  readonly bankId: string;
  readonly createdAt: number;
  readonly signature: string;
}

export const merchantRegistrationSchema = v.strictObject({
  version: merchantRegistrationType.versionSchema,
  merchantId: identifierSchema,
  name: v.pipe(
    v.string(),
    v.maxLength(maxMerchantNameLength),
    v.check(
      (text: string) => isMerchantName(text),
      `expected a display name of 1–${maxMerchantNameLength} characters`,
    ),
  ),
  origins: v.pipe(
    v.array(
      v.pipe(
        v.string(),
        v.maxLength(2048),
        v.check(
          (text: string) => isMerchantOrigin(text),
          'expected an https origin (http only on loopback hosts)',
        ),
      ),
    ),
    v.minLength(1, 'expected at least one origin'),
    v.maxLength(maxMerchantOrigins),
    v.check((list) => new Set(list).size === list.length, 'expected no origin twice'),
  ),
  offerPublicKey: bytesSchema(ed25519PublicKeyLength),
  bankId: identifierSchema,
  createdAt: timestampSchema,
  signature: bytesSchema(ed25519SignatureLength),
});

export function merchantRegistrationToWire(
  registration: SignedMerchantRegistration,
): MerchantRegistrationWire {
  assertRegistration(registration);
  assertBytes(registration.signature, 'signature', ed25519SignatureLength);
  return {
    version: registration.version,
    merchantId: registration.merchantId,
    name: registration.name,
    origins: [...registration.origins],
    offerPublicKey: toBase64url(registration.offerPublicKey),
    bankId: registration.bankId,
    createdAt: registration.createdAt,
    signature: toBase64url(registration.signature),
  };
}

/** Validates a received request (`invalid_message` / `unsupported_version` naming the field).
 * It does not check the signature: `verifyMerchantRegistration` does. */
export function parseMerchantRegistration(input: unknown): SignedMerchantRegistration {
  return Object.freeze(parseMessage(merchantRegistrationSchema, input, 'merchant registration'));
}
