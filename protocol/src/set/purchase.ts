/**
 * The purchase request's three parts (SET Book 1 §4.3, "dual signature"):
 *
 *   OI  order information, for the merchant: which order, how much, for which merchant and
 *       which payment gateway;
 *   PI  payment information, for the gateway only: the card account, the same order id,
 *       amount, merchant and gateway;
 *   DS  the cardholder's signature over  H(PI) ‖ H(OI)  with the key of its cardholder
 *       certificate.
 *
 * The merchant gets OI, H(PI) and DS; the gateway gets PI (inside an HPKE envelope only it
 * can open), H(OI) and DS. Each checks DS knowing only the digest of the other part, so the
 * merchant never sees the card and the gateway never sees the order, and one payment belongs
 * to exactly one order.
 *
 * Today's primitives in SET's shape: H is SHA-256 over the project's domain-separated
 * canonical bytes (encoding.ts), the signature Ed25519. Beyond SET 1.0: both OI and PI name
 * the gateway (the SHA-256 fingerprint of its key-exchange certificate) and the merchant id,
 * which closes the gap Bella, Massacci and Paulson found (J. Autom. Reasoning 36, 2006): in
 * SET the dual signature did not say which gateway the card data was meant for, so a merchant
 * could replay it elsewhere. PI also carries a random nonce, since H(PI) is shown to the
 * merchant and a PAN alone is guessable.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { type Amount, formatAmount as formatAmountText } from '../amount.ts';
import { type Ed25519Signer, type Ed25519Verify, nobleEd25519Verify } from '../ed25519.ts';
import { concatBytes, signingBytes, toBase64url as toB64, utf8Bytes } from '../encoding.ts';
import { assertBytes, FarthingError } from '../errors.ts';
import { amountSchema, bytesSchema, identifierSchema } from '../schema.ts';
import {
  assertCardExpiry,
  assertPan,
  cardSecretLength,
  isCardExpiry,
  isPan,
} from './card-account.ts';
import {
  type EnvelopeKeyPair,
  encapsulatedKeyLength,
  openEnvelope,
  type SealedEnvelope,
  sealEnvelope,
} from './hpke.ts';

export const digestLength = 32;
export const nonceLength = 32;
export const dualSignatureLength = 64;

export interface OrderInformation {
  /** Chosen by the merchant in the purchase initiation; unique per purchase. */
  readonly transactionId: string;
  readonly merchantId: string;
  /** SHA-256 of the DER of the gateway's key-exchange certificate. */
  readonly gatewayFingerprint: Uint8Array;
  readonly amount: Amount;
  /** SHA-256 the merchant gave for the order description (lines, offer): never the text. */
  readonly orderDigest: Uint8Array;
  /** The cardholder's fresh random value: two purchases never share H(OI). */
  readonly nonce: Uint8Array;
}

export interface PaymentInformation {
  readonly transactionId: string;
  readonly merchantId: string;
  readonly gatewayFingerprint: Uint8Array;
  readonly amount: Amount;
  readonly pan: string;
  readonly expiry: string;
  /** Lets the gateway check the card against the cardholder certificate's account digest. */
  readonly cardSecret: Uint8Array;
  readonly nonce: Uint8Array;
}

const fingerprint = bytesSchema(digestLength);

export const orderInformationSchema = v.object({
  transactionId: identifierSchema,
  merchantId: identifierSchema,
  gatewayFingerprint: fingerprint,
  amount: amountSchema,
  orderDigest: bytesSchema(digestLength),
  nonce: bytesSchema(nonceLength),
});

export const paymentInformationSchema = v.object({
  transactionId: identifierSchema,
  merchantId: identifierSchema,
  gatewayFingerprint: fingerprint,
  amount: amountSchema,
  pan: v.pipe(
    v.string(),
    v.maxLength(19),
    v.check((t: string) => isPan(t), 'expected a card number (13–19 digits, Luhn)'),
  ),
  expiry: v.pipe(
    v.string(),
    v.length(7),
    v.check((t: string) => isCardExpiry(t), 'expected YYYY-MM'),
  ),
  cardSecret: bytesSchema(cardSecretLength),
  nonce: bytesSchema(nonceLength),
});

/** H(OI): SHA-256 of OI's canonical bytes. */
export function orderInformationDigest(oi: OrderInformation): Uint8Array {
  return sha256(
    signingBytes('setOrderInformation', 1, (w) =>
      w
        .string(oi.transactionId, 'transactionId')
        .string(oi.merchantId, 'merchantId')
        .fixed(oi.gatewayFingerprint, digestLength, 'gatewayFingerprint')
        .amount(oi.amount, 'amount')
        .fixed(oi.orderDigest, digestLength, 'orderDigest')
        .fixed(oi.nonce, nonceLength, 'nonce'),
    ),
  );
}

/** H(PI): SHA-256 of PI's canonical bytes. */
export function paymentInformationDigest(pi: PaymentInformation): Uint8Array {
  assertPan(pi.pan);
  assertCardExpiry(pi.expiry);
  return sha256(
    signingBytes('setPaymentInformation', 1, (w) =>
      w
        .string(pi.transactionId, 'transactionId')
        .string(pi.merchantId, 'merchantId')
        .fixed(pi.gatewayFingerprint, digestLength, 'gatewayFingerprint')
        .amount(pi.amount, 'amount')
        .string(pi.pan, 'pan')
        .string(pi.expiry, 'expiry')
        .fixed(pi.cardSecret, cardSecretLength, 'cardSecret')
        .fixed(pi.nonce, nonceLength, 'nonce'),
    ),
  );
}

/** The bytes the cardholder signs: the tag, then H(PI) ‖ H(OI). */
export function dualSignatureBytes(piDigest: Uint8Array, oiDigest: Uint8Array): Uint8Array {
  return signingBytes('setDualSignature', 1, (w) =>
    w.fixed(piDigest, digestLength, 'piDigest').fixed(oiDigest, digestLength, 'oiDigest'),
  );
}

export async function signDualSignature(
  signer: Ed25519Signer,
  piDigest: Uint8Array,
  oiDigest: Uint8Array,
): Promise<Uint8Array> {
  return signer.sign(dualSignatureBytes(piDigest, oiDigest));
}

/** Throws `set_dual_signature_invalid` unless DS verifies under the cardholder's key. */
export function verifyDualSignature(parameters: {
  readonly dualSignature: Uint8Array;
  readonly piDigest: Uint8Array;
  readonly oiDigest: Uint8Array;
  readonly cardholderPublicKey: Uint8Array;
  readonly ed25519Verify?: Ed25519Verify;
}): void {
  const { dualSignature, piDigest, oiDigest, cardholderPublicKey } = parameters;
  assertBytes(dualSignature, 'dualSignature');
  const verify = parameters.ed25519Verify ?? nobleEd25519Verify;
  if (
    dualSignature.length !== dualSignatureLength ||
    !verify(dualSignature, dualSignatureBytes(piDigest, oiDigest), cardholderPublicKey)
  ) {
    throw new FarthingError(
      'set_dual_signature_invalid',
      'the dual signature does not cover this order and payment',
      { details: { field: 'dualSignature' } },
    );
  }
}

// --- the PI envelope

/** What the gateway finds inside: PI and the digest of the OI it was signed with. */
export interface PaymentEnvelopeContent {
  readonly pi: PaymentInformation;
  readonly oiDigest: Uint8Array;
}

/** RFC 9180 `info`: the envelope's purpose and the gateway it is for. */
export function paymentEnvelopeInfo(gatewayFingerprint: Uint8Array): Uint8Array {
  assertBytes(gatewayFingerprint, 'gatewayFingerprint', digestLength);
  return concatBytes(utf8Bytes('farthing/set/pi-envelope/v1'), gatewayFingerprint);
}

/** RFC 9180 `aad`: the order id and merchant the envelope travels with, in clear. */
export function paymentEnvelopeAad(transactionId: string, merchantId: string): Uint8Array {
  return signingBytes('setEnvelopeContext', 1, (w) =>
    w.string(transactionId, 'transactionId').string(merchantId, 'merchantId'),
  );
}

export const sealedEnvelopeSchema = v.object({
  enc: bytesSchema(encapsulatedKeyLength),
  ciphertext: v.pipe(
    bytesSchema(),
    v.check((b) => b.length <= 4096, 'envelope too large'),
  ),
});

const envelopeContentSchema = v.object({
  pi: paymentInformationSchema,
  oiDigest: bytesSchema(digestLength),
});

export function paymentInformationToWire(pi: PaymentInformation) {
  return {
    transactionId: pi.transactionId,
    merchantId: pi.merchantId,
    gatewayFingerprint: toB64(pi.gatewayFingerprint),
    amount: formatAmountText(pi.amount),
    pan: pi.pan,
    expiry: pi.expiry,
    cardSecret: toB64(pi.cardSecret),
    nonce: toB64(pi.nonce),
  };
}

export function orderInformationToWire(oi: OrderInformation) {
  return {
    transactionId: oi.transactionId,
    merchantId: oi.merchantId,
    gatewayFingerprint: toB64(oi.gatewayFingerprint),
    amount: formatAmountText(oi.amount),
    orderDigest: toB64(oi.orderDigest),
    nonce: toB64(oi.nonce),
  };
}

/** Seals PI and H(OI) to the gateway's key-exchange key. */
export async function sealPaymentEnvelope(parameters: {
  readonly pi: PaymentInformation;
  readonly oiDigest: Uint8Array;
  readonly gatewayPublicKey: Uint8Array;
}): Promise<SealedEnvelope> {
  const { pi, oiDigest, gatewayPublicKey } = parameters;
  const content = { pi: paymentInformationToWire(pi), oiDigest: toB64(oiDigest) };
  return sealEnvelope({
    recipientPublicKey: gatewayPublicKey,
    info: paymentEnvelopeInfo(pi.gatewayFingerprint),
    aad: paymentEnvelopeAad(pi.transactionId, pi.merchantId),
    plaintext: utf8Bytes(JSON.stringify(content)),
  });
}

/**
 * The gateway opens an envelope that came with `transactionId` and `merchantId`; a merchant
 * who relabels it for another order, or sends it to another gateway, gets
 * `set_envelope_invalid`.
 */
export async function openPaymentEnvelope(parameters: {
  readonly envelope: SealedEnvelope;
  readonly gateway: EnvelopeKeyPair;
  readonly gatewayFingerprint: Uint8Array;
  readonly transactionId: string;
  readonly merchantId: string;
}): Promise<PaymentEnvelopeContent> {
  const plaintext = await openEnvelope({
    recipient: parameters.gateway,
    envelope: parameters.envelope,
    info: paymentEnvelopeInfo(parameters.gatewayFingerprint),
    aad: paymentEnvelopeAad(parameters.transactionId, parameters.merchantId),
  });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch (cause) {
    throw new FarthingError('set_envelope_invalid', 'the envelope does not hold JSON', { cause });
  }
  const result = v.safeParse(envelopeContentSchema, json);
  if (!result.success) {
    throw new FarthingError('set_envelope_invalid', 'the envelope does not hold PI and H(OI)', {
      details: { field: v.getDotPath(result.issues[0]) ?? 'envelope' },
    });
  }
  return result.output;
}
