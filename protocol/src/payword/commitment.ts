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
import * as v from 'valibot';
import { type Amount, formatAmount } from '../amount.ts';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
  nobleEd25519Verify,
} from '../ed25519.ts';
import { equalBytes, toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import {
  amountSchema,
  bytesSchema,
  identifierSchema,
  parseMessage,
  timestampSchema,
} from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import { assertAmount, assertIdentifier, assertObject } from './arguments.ts';
import {
  assertPaywordUserCertificate,
  type PaywordUserCertificate,
  type PaywordUserCertificateJson,
  paywordUserCertificateId,
  paywordUserCertificateSchema,
  paywordUserCertificateToJson,
  verifyPaywordUserCertificate,
} from './certificate.ts';
import { maxPaywordChainLength, paywordWordLength } from './chain.ts';
import { signedPaywordJson, signedPaywordSchema } from './wire.ts';

/** The signed message type (tag, version, name), declared once. */
export const paywordCommitmentType: SignedMessageType<1> = signedMessageType(
  'paywordCommitment',
  1,
  'PayWord commitment',
);

export interface PaywordCommitmentFields {
  /** The merchant id of the only vendor who may accept these paywords. */
  readonly vendorId: string;
  readonly certificate: PaywordUserCertificate;
  /** w_0. */
  readonly root: Uint8Array;
  /** n: paywords w_1..w_n can be spent. */
  readonly length: number;
  /** In the certificate's credit-limit currency, at least one minor unit. */
  readonly valuePerWord: Amount;
  readonly createdAt: number;
  /** First millisecond at which the vendor no longer accepts paywords from this chain. */
  readonly expiresAt: number;
}

export interface PaywordCommitment extends PaywordCommitmentFields {
  /** The user's Ed25519 signature, by `certificate.userPublicKey`. */
  readonly signature: Uint8Array;
}

declare const verifiedBrand: unique symbol;

/** Only `verifyPaywordCommitment` returns one, so holding one means the checks ran. */
export interface VerifiedPaywordCommitment {
  readonly [verifiedBrand]: true;
  readonly commitmentId: Uint8Array;
  readonly commitment: PaywordCommitment;
}

function assertCommitmentFields(fields: unknown, field: string): void {
  assertObject(fields, field);
  const f = fields as PaywordCommitmentFields;
  assertIdentifier(f.vendorId, `${field}.vendorId`);
  assertPaywordUserCertificate(f.certificate, `${field}.certificate`);
  assertBytes(f.root, `${field}.root`, paywordWordLength);
  assertInteger(f.length, `${field}.length`, 1, maxPaywordChainLength);
  assertAmount(f.valuePerWord, `${field}.valuePerWord`);
  assertInteger(f.createdAt, `${field}.createdAt`);
  assertInteger(f.expiresAt, `${field}.expiresAt`, f.createdAt + 1);
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

export function paywordCommitmentSigningBytes(fields: PaywordCommitmentFields): Uint8Array {
  assertCommitmentFields(fields, 'commitment');
  const certificateId = paywordUserCertificateId(fields.certificate);
  return paywordCommitmentType.signingBytes((w) =>
    w
      .string(fields.vendorId, 'vendorId', 128)
      .fixed(certificateId, 32, 'certificateId')
      .fixed(fields.root, paywordWordLength, 'root')
      .u32(fields.length, 'length')
      .amount(fields.valuePerWord, 'valuePerWord')
      .u64(fields.createdAt, 'createdAt')
      .u64(fields.expiresAt, 'expiresAt'),
  );
}

/** SHA-256 of the signing bytes: how payments and redemptions name the commitment. */
export function paywordCommitmentId(fields: PaywordCommitmentFields): Uint8Array {
  return sha256(paywordCommitmentSigningBytes(fields));
}

/** The wallet commits to a chain for one vendor; `userSigner` holds the certified key. */
export async function signPaywordCommitment(
  fields: PaywordCommitmentFields,
  userSigner: Ed25519Signer,
): Promise<PaywordCommitment> {
  const bytes = paywordCommitmentSigningBytes(fields);
  checkTerms(fields);
  assertObject(userSigner, 'userSigner');
  assertBytes(userSigner.publicKey, 'userSigner.publicKey', ed25519PublicKeyLength);
  if (!equalBytes(userSigner.publicKey, fields.certificate.userPublicKey)) {
    throw new FarthingError('invalid_argument', 'the signer is not the certified user key', {
      details: { field: 'userSigner.publicKey' },
    });
  }
  const signature = await paywordCommitmentType.sign(bytes, userSigner, 'userSigner');
  return Object.freeze({
    vendorId: fields.vendorId,
    certificate: fields.certificate,
    root: fields.root.slice(),
    length: fields.length,
    valuePerWord: fields.valuePerWord,
    createdAt: fields.createdAt,
    expiresAt: fields.expiresAt,
    signature: signature.slice(),
  });
}

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
  const bytes = paywordCommitmentSigningBytes(commitment);
  assertBytes(commitment.signature, 'commitment.signature', ed25519SignatureLength);
  assertObject(options, 'options');
  const { vendorId, brokerPublicKey, now, verify = nobleEd25519Verify } = options;
  assertIdentifier(vendorId, 'vendorId');
  const { certificate } = commitment;
  verifyPaywordUserCertificate(certificate, { brokerPublicKey, now, verify });
  paywordCommitmentType.checkSignature({
    verify,
    verifyField: 'verify',
    signature: commitment.signature,
    bytes,
    publicKey: certificate.userPublicKey,
    by: 'the certified user',
    field: 'commitment.signature',
    details: { userId: certificate.userId },
  });
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

export interface PaywordCommitmentJson {
  readonly version: 1;
  readonly vendorId: string;
  readonly certificate: PaywordUserCertificateJson;
  readonly root: string;
  readonly length: number;
  readonly valuePerWord: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly signature: string;
}

export const paywordCommitmentSchema = signedPaywordSchema<PaywordCommitment>(
  {
    vendorId: identifierSchema,
    certificate: paywordUserCertificateSchema,
    root: bytesSchema(paywordWordLength),
    length: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(maxPaywordChainLength)),
    valuePerWord: amountSchema,
    createdAt: timestampSchema,
    expiresAt: timestampSchema,
  },
  'createdAt',
);

export function paywordCommitmentToJson(commitment: PaywordCommitment): PaywordCommitmentJson {
  assertCommitmentFields(commitment, 'commitment');
  assertBytes(commitment.signature, 'commitment.signature', ed25519SignatureLength);
  return signedPaywordJson(
    {
      vendorId: commitment.vendorId,
      certificate: paywordUserCertificateToJson(commitment.certificate),
      root: toBase64url(commitment.root),
      length: commitment.length,
      valuePerWord: formatAmount(commitment.valuePerWord),
      createdAt: commitment.createdAt,
      expiresAt: commitment.expiresAt,
    },
    commitment.signature,
  );
}

export function parsePaywordCommitment(json: unknown): PaywordCommitment {
  return parseMessage(paywordCommitmentSchema, json, 'PayWord commitment');
}
