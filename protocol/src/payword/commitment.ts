/**
 * The user's commitment to one hash chain for one vendor (Rivest & Shamir 1996, §4.2):
 * M = {V, C_U, w_0, D, I_M}_SK_U. The vendor verifies it once, with two signatures, and then
 * each payment with hashes only; the broker verifies it again when the vendor redeems.
 *
 * The certificate travels embedded (the vendor needs it to learn PK_U and the credit limit,
 * and the broker gets a self-contained redemption), but the user signs its id, the SHA-256 of
 * its signing bytes: the commitment's signing bytes stay small and fixed in shape. The
 * paper's I_M holds the chain length; we add the value per payword (the paper fixes one cent)
 * and split D into a creation time and an expiry.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { formatAmount } from '../amount.ts';
import { type Ed25519Verify, ed25519SignatureLength, nobleEd25519Verify } from '../ed25519.ts';
import { assertBytes, FarthingError } from '../errors.ts';
import {
  bytesField,
  identifierField,
  type MessageField,
  timestampField,
} from '../message-fields.ts';
import { signedMessageType } from '../signed-message.ts';
import { assertIdentifier, assertObject } from './arguments.ts';
import {
  type PaywordUserCertificate,
  type PaywordUserCertificateJson,
  paywordCertificates,
  verifyPaywordUserCertificate,
} from './certificate.ts';
import { maxPaywordChainLength, paywordWordLength } from './chain.ts';
import {
  paywordAmountField,
  paywordMessageFields,
  type SignedPaywordJson,
  type SignedPaywordMessage,
  u32Field,
} from './wire.ts';

/** The whole certificate in memory and on the wire; its id (32 bytes) in the signing bytes. */
const certificateField: MessageField<PaywordUserCertificate, PaywordUserCertificateJson> = {
  assert: paywordCertificates.assertSigned,
  write: (writer, value) => writer.fixed(paywordCertificates.id(value), 32, 'certificateId'),
  schema: paywordCertificates.schema,
  toWire: paywordCertificates.toJson,
};

/** A commitment's fields in signing and wire order. */
const commitmentFields = {
  /** The merchant id of the only vendor who may accept these paywords. */
  vendorId: identifierField,
  certificate: certificateField,
  /** w_0. */
  root: bytesField(paywordWordLength),
  /** n: paywords w_1..w_n can be spent. */
  length: u32Field(1, maxPaywordChainLength),
  /** In the certificate's credit-limit currency, at least one minor unit. */
  valuePerWord: paywordAmountField,
  createdAt: timestampField,
  /** First millisecond at which the vendor no longer accepts paywords from this chain. */
  expiresAt: timestampField,
};

export type PaywordCommitmentFields = Omit<PaywordCommitment, 'signature'>;

/** `signature`: the user's Ed25519 signature, by `certificate.userPublicKey`. */
export type PaywordCommitment = SignedPaywordMessage<typeof commitmentFields>;

declare const verifiedBrand: unique symbol;

/** Only `verifyPaywordCommitment` returns one, so holding one means the checks ran. */
export interface VerifiedPaywordCommitment {
  readonly [verifiedBrand]: true;
  readonly commitmentId: Uint8Array;
  readonly commitment: PaywordCommitment;
}

/** What the commitment promises, checked by the wallet before signing and the vendor after. */
function checkTerms(fields: PaywordCommitmentFields): void {
  const { certificate, valuePerWord, length } = fields;
  const limit = certificate.creditLimit;
  if (valuePerWord.currency !== limit.currency) {
    throw new FarthingError(
      'currency_mismatch',
      `paywords in ${valuePerWord.currency} under a credit limit in ${limit.currency}`,
      { details: { field: 'valuePerWord', expected: limit.currency, got: valuePerWord.currency } },
    );
  }
  if (valuePerWord.minor < 1) {
    throw new FarthingError('invalid_argument', 'a payword must be worth at least one minor unit', {
      details: { field: 'valuePerWord' },
    });
  }
  // §4.2: the vendor can only hold the broker to n × value ≤ the limit it certified. The limit
  // across all of a user's vendors is the broker's to enforce at redemption.
  if (BigInt(length) * BigInt(valuePerWord.minor) > BigInt(limit.minor)) {
    throw new FarthingError(
      'payword_over_limit',
      `${length} paywords of ${formatAmount(valuePerWord)} exceed the credit limit of ${formatAmount(limit)}`,
      { details: { field: 'length', length, creditLimit: formatAmount(limit) } },
    );
  }
  // A commitment may not outlive its certificate: the broker's promise ends at E, and this
  // lets the broker judge a late redemption at the commitment's creation time.
  if (fields.expiresAt > certificate.expiresAt) {
    throw new FarthingError(
      'payword_certificate_expired',
      'the commitment would outlive its PayWord certificate',
      {
        details: {
          field: 'expiresAt',
          expiresAt: fields.expiresAt,
          certificateExpiresAt: certificate.expiresAt,
        },
      },
    );
  }
}

/**
 * PayWord commitments, declared once: the type, the fields in signing and wire order. The
 * wallet commits to a chain for one vendor with `sign`, by `userSigner`, which must hold the
 * certified key; it signs only terms the certificate allows (`checkTerms`). `schema`, `toJson`
 * and `parse` are its JSON on the wire; `verifyPaywordCommitment` is the vendor's check.
 */
export const paywordCommitments = paywordMessageFields(
  signedMessageType('paywordCommitment', 1, 'PayWord commitment'),
  commitmentFields,
  {
    argument: 'commitment',
    start: 'createdAt',
    signer: {
      argument: 'userSigner',
      by: 'the certified user',
      details: (fields) => ({ userId: fields.certificate.userId }),
      key: (fields) => fields.certificate.userPublicKey,
    },
    check: checkTerms,
  },
);

export interface VerifyPaywordCommitmentOptions {
  /** This vendor's merchant id. */
  readonly vendorId: string;
  /** The key of the broker named in the embedded certificate. */
  readonly brokerPublicKey: Uint8Array;
  /**
   * When validity is judged. A vendor passes the current time; the broker redeeming after the
   * commitment expired passes `commitment.createdAt` and applies its own redemption deadline.
   */
  readonly now: number;
  readonly verify?: Ed25519Verify;
}

/**
 * The vendor's check on a chain's first use: the broker signed the certificate, the
 * certified user signed the commitment, neither has expired, the commitment names this
 * vendor and stays within the credit limit in the same currency.
 */
export function verifyPaywordCommitment(
  commitment: PaywordCommitment,
  options: VerifyPaywordCommitmentOptions,
): VerifiedPaywordCommitment {
  const bytes = paywordCommitments.signingBytes(commitment);
  assertBytes(commitment.signature, 'commitment.signature', ed25519SignatureLength);
  assertObject(options, 'options');
  const { vendorId, brokerPublicKey, now, verify = nobleEd25519Verify } = options;
  assertIdentifier(vendorId, 'vendorId');
  const { certificate } = commitment;
  verifyPaywordUserCertificate(certificate, { brokerPublicKey, now, verify });
  paywordCommitments.checkSignature(commitment, bytes, certificate.userPublicKey, verify);
  if (now >= commitment.expiresAt) {
    throw new FarthingError(
      'payword_commitment_expired',
      'this PayWord chain has expired: the wallet must commit to a new one',
      { details: { field: 'expiresAt', expiresAt: commitment.expiresAt, now } },
    );
  }
  if (commitment.vendorId !== vendorId) {
    throw new FarthingError('payword_vendor_mismatch', 'this PayWord chain is for another vendor', {
      details: { field: 'vendorId', expected: vendorId, got: commitment.vendorId },
    });
  }
  checkTerms(commitment);
  return Object.freeze({
    commitmentId: sha256(bytes),
    commitment,
  }) as VerifiedPaywordCommitment;
}

// --- wire form

export type PaywordCommitmentJson = SignedPaywordJson<typeof paywordCommitments.fields>;
