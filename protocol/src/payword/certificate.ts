/**
 * The broker's certificate for a PayWord user (Rivest & Shamir 1996, §4.1 "User–Broker
 * relationship"): C_U = {B, U, A_U, PK_U, E, I_U}_SK_B. It tells every vendor that the broker
 * will redeem paywords from chains signed by PK_U until E, up to the credit limit in I_U.
 * The paper's A_U (the user's delivery address) is left out: content goes to whoever holds the
 * access grant. A serial number lets the broker name and revoke one certificate.
 */
import { type Ed25519Verify, ed25519PublicKeyLength, nobleEd25519Verify } from '../ed25519.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import { bytesField, identifierField, timestampField } from '../message-fields.ts';
import { signedMessageType } from '../signed-message.ts';
import { assertObject } from './arguments.ts';
import {
  paywordAmountField,
  paywordMessageFields,
  type SignedPaywordJson,
  type SignedPaywordMessage,
  u64Field,
} from './wire.ts';

/**
 * PayWord user certificates, declared once: the type, the fields in signing and wire order.
 * The broker issues one with `sign` (its signer named `brokerSigner` in errors); `assertSigned`
 * checks a certificate's shape, not its signature, for callers that hold one in memory
 * (`verifyPaywordUserCertificate` checks the signature); `schema`, `toJson` and `parse` are its
 * JSON on the wire (bytes as unpadded base64url, amounts as `EUR 10.00`).
 */
export const paywordCertificates = paywordMessageFields(
  signedMessageType('paywordUserCertificate', 1, 'PayWord user certificate'),
  {
    brokerId: identifierField,
    /** The user's account at the broker. */
    userId: identifierField,
    /** Ed25519 key that signs this user's commitments. */
    userPublicKey: bytesField(ed25519PublicKeyLength),
    serial: u64Field,
    /** Milliseconds since the Unix epoch. */
    issuedAt: timestampField,
    /** First millisecond at which the certificate is no longer valid; after `issuedAt`. */
    expiresAt: timestampField,
    /** The most one commitment under this certificate may be worth. */
    creditLimit: paywordAmountField,
  },
  {
    argument: 'certificate',
    start: 'issuedAt',
    signer: {
      argument: 'brokerSigner',
      by: 'the broker',
      details: (certificate) => ({ brokerId: certificate.brokerId }),
    },
  },
);

export type PaywordUserCertificateFields = Omit<PaywordUserCertificate, 'signature'>;

/** `signature`: the broker's Ed25519 signature over `paywordCertificates.signingBytes`. */
export type PaywordUserCertificate = SignedPaywordMessage<typeof paywordCertificates.fields>;

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
  paywordCertificates.assertSigned(certificate);
  assertObject(options, 'options');
  const { brokerPublicKey, now, verify = nobleEd25519Verify } = options;
  assertBytes(brokerPublicKey, 'brokerPublicKey', ed25519PublicKeyLength);
  assertInteger(now, 'now');
  const bytes = paywordCertificates.signingBytes(certificate);
  paywordCertificates.checkSignature(certificate, bytes, brokerPublicKey, verify);
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
export type PaywordUserCertificateJson = SignedPaywordJson<typeof paywordCertificates.fields>;
