/**
 * The broker's certificate for a PayWord user (Rivest & Shamir 1996, §4.1 "User–Broker
 * relationship"): C_U = {B, U, A_U, PK_U, E, I_U}_SK_B. It tells every vendor that the broker
 * will redeem paywords from chains signed by PK_U until E, up to the credit limit in I_U.
 * The paper's A_U (the user's delivery address) is left out: content goes to whoever holds the
 * access grant. A serial number lets the broker name and revoke one certificate.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Amount, formatAmount } from '../amount.ts';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
  nobleEd25519Verify,
} from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import {
  amountSchema,
  bytesSchema,
  countSchema,
  identifierSchema,
  parseMessage,
  timestampSchema,
} from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import { assertAmount, assertIdentifier, assertObject } from './arguments.ts';
import { signedPaywordJson, signedPaywordSchema } from './wire.ts';

/** The signed message type (tag, version, name), declared once. */
export const paywordUserCertificateType: SignedMessageType<1> = signedMessageType(
  'paywordUserCertificate',
  1,
  'PayWord user certificate',
);

export interface PaywordUserCertificateFields {
  readonly brokerId: string;
  /** The user's account at the broker. */
  readonly userId: string;
  /** Ed25519 key that signs this user's commitments. */
  readonly userPublicKey: Uint8Array;
  readonly serial: number;
  /** Milliseconds since the Unix epoch. */
  readonly issuedAt: number;
  /** First millisecond at which the certificate is no longer valid. */
  readonly expiresAt: number;
  /** The most one commitment under this certificate may be worth. */
  readonly creditLimit: Amount;
}

export interface PaywordUserCertificate extends PaywordUserCertificateFields {
  /** The broker's Ed25519 signature over `paywordUserCertificateSigningBytes`. */
  readonly signature: Uint8Array;
}

function assertCertificateFields(fields: unknown, field: string): void {
  assertObject(fields, field);
  const f = fields as PaywordUserCertificateFields;
  assertIdentifier(f.brokerId, `${field}.brokerId`);
  assertIdentifier(f.userId, `${field}.userId`);
  assertBytes(f.userPublicKey, `${field}.userPublicKey`, ed25519PublicKeyLength);
  assertInteger(f.serial, `${field}.serial`);
  assertInteger(f.issuedAt, `${field}.issuedAt`);
  assertInteger(f.expiresAt, `${field}.expiresAt`, f.issuedAt + 1);
  assertAmount(f.creditLimit, `${field}.creditLimit`);
}

/** Checks a certificate's shape (not its signature): for callers that hold one in memory. */
export function assertPaywordUserCertificate(
  value: unknown,
  field = 'certificate',
): asserts value is PaywordUserCertificate {
  assertCertificateFields(value, field);
  assertBytes(
    (value as PaywordUserCertificate).signature,
    `${field}.signature`,
    ed25519SignatureLength,
  );
}

export function paywordUserCertificateSigningBytes(
  fields: PaywordUserCertificateFields,
): Uint8Array {
  assertCertificateFields(fields, 'certificate');
  return paywordUserCertificateType.signingBytes((w) =>
    w
      .string(fields.brokerId, 'brokerId', 128)
      .string(fields.userId, 'userId', 128)
      .fixed(fields.userPublicKey, ed25519PublicKeyLength, 'userPublicKey')
      .u64(fields.serial, 'serial')
      .u64(fields.issuedAt, 'issuedAt')
      .u64(fields.expiresAt, 'expiresAt')
      .amount(fields.creditLimit, 'creditLimit'),
  );
}

/**
 * SHA-256 of the signing bytes: what a commitment signs in place of the whole certificate.
 * Strict Ed25519 signatures are not malleable, so the content alone names the certificate.
 */
export function paywordUserCertificateId(fields: PaywordUserCertificateFields): Uint8Array {
  return sha256(paywordUserCertificateSigningBytes(fields));
}

/** The broker issues a certificate. */
export async function signPaywordUserCertificate(
  fields: PaywordUserCertificateFields,
  brokerSigner: Ed25519Signer,
): Promise<PaywordUserCertificate> {
  const bytes = paywordUserCertificateSigningBytes(fields);
  const signature = await paywordUserCertificateType.sign(bytes, brokerSigner, 'brokerSigner');
  return Object.freeze({
    brokerId: fields.brokerId,
    userId: fields.userId,
    userPublicKey: fields.userPublicKey.slice(),
    serial: fields.serial,
    issuedAt: fields.issuedAt,
    expiresAt: fields.expiresAt,
    creditLimit: fields.creditLimit,
    signature: signature.slice(),
  });
}

export interface VerifyPaywordUserCertificateOptions {
  /** The key of the broker named in `certificate.brokerId`, from the caller's trust store. */
  readonly brokerPublicKey: Uint8Array;
  /** Milliseconds since the Unix epoch at which validity is judged. */
  readonly now: number;
  /** Defaults to @noble/curves; servers pass `nodeEd25519Verify`. */
  readonly verify?: Ed25519Verify;
}

/**
 * Throws `bad_signature` unless the broker signed the certificate, then
 * `payword_certificate_expired` unless `now < expiresAt`.
 */
export function verifyPaywordUserCertificate(
  certificate: PaywordUserCertificate,
  options: VerifyPaywordUserCertificateOptions,
): void {
  assertPaywordUserCertificate(certificate);
  assertObject(options, 'options');
  const { brokerPublicKey, now, verify = nobleEd25519Verify } = options;
  assertBytes(brokerPublicKey, 'brokerPublicKey', ed25519PublicKeyLength);
  assertInteger(now, 'now');
  paywordUserCertificateType.checkSignature({
    verify,
    verifyField: 'verify',
    signature: certificate.signature,
    bytes: paywordUserCertificateSigningBytes(certificate),
    publicKey: brokerPublicKey,
    by: 'the broker',
    field: 'certificate.signature',
    details: { brokerId: certificate.brokerId },
  });
  if (now >= certificate.expiresAt) {
    throw new FarthingError(
      'payword_certificate_expired',
      'the PayWord certificate has expired: ask the broker for a new one',
      { details: { field: 'certificate.expiresAt', expiresAt: certificate.expiresAt, now } },
    );
  }
}

// --- wire form

/** JSON on the wire: bytes as unpadded base64url, amounts as `EUR 10.00`. */
export interface PaywordUserCertificateJson {
  readonly version: 1;
  readonly brokerId: string;
  readonly userId: string;
  readonly userPublicKey: string;
  readonly serial: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly creditLimit: string;
  readonly signature: string;
}

export const paywordUserCertificateSchema = signedPaywordSchema<PaywordUserCertificate>(
  {
    brokerId: identifierSchema,
    userId: identifierSchema,
    userPublicKey: bytesSchema(ed25519PublicKeyLength),
    serial: countSchema,
    issuedAt: timestampSchema,
    expiresAt: timestampSchema,
    creditLimit: amountSchema,
  },
  'issuedAt',
);

export function paywordUserCertificateToJson(
  certificate: PaywordUserCertificate,
): PaywordUserCertificateJson {
  assertPaywordUserCertificate(certificate);
  return signedPaywordJson(
    {
      brokerId: certificate.brokerId,
      userId: certificate.userId,
      userPublicKey: toBase64url(certificate.userPublicKey),
      serial: certificate.serial,
      issuedAt: certificate.issuedAt,
      expiresAt: certificate.expiresAt,
      creditLimit: formatAmount(certificate.creditLimit),
    },
    certificate.signature,
  );
}

/** Parses the wire form; throws `invalid_message` (or `invalid_amount`, …) naming the field. */
export function parsePaywordUserCertificate(json: unknown): PaywordUserCertificate {
  return parseMessage(paywordUserCertificateSchema, json, 'PayWord user certificate');
}
