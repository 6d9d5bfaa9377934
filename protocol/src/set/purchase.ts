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
import { type Ed25519Signer, type Ed25519Verify, nobleEd25519Verify } from '../ed25519.ts';
import { toBase64url as toB64 } from '../encoding.ts';
import { assertBytes, FarthingError } from '../errors.ts';
import { bytesSchema } from '../schema.ts';
import { signedMessageType } from '../signed-message.ts';
import { assertCardExpiry, assertPan } from './card-account.ts';
import {
  digestLength,
  dualSignatureLength,
  type SetFields,
  type SetFieldsValue,
  setFieldsToWire,
  setObjectSchema,
  writeSetFields,
} from './fields.ts';
import {
  type EnvelopeBinding,
  type EnvelopeKeyPair,
  openJsonEnvelope,
  type SealedEnvelope,
  sealJsonEnvelope,
} from './hpke.ts';

/** OI's fields in signing order (the purchase request carries them too, messages.ts). */
export const orderInformationFields = {
  /** Chosen by the merchant in the purchase initiation; unique per purchase. */
  transactionId: 'id',
  merchantId: 'id',
  /** SHA-256 of the DER of the gateway's key-exchange certificate. */
  gatewayFingerprint: 'digest',
  amount: 'amount',
  /** SHA-256 the merchant gave for the order description (lines, offer): never the text. */
  orderDigest: 'digest',
  /** The cardholder's fresh random value: two purchases never share H(OI). */
  nonce: 'nonce',
} as const satisfies SetFields;

export type OrderInformation = SetFieldsValue<typeof orderInformationFields>;

const paymentInformationFields = {
  transactionId: 'id',
  merchantId: 'id',
  gatewayFingerprint: 'digest',
  amount: 'amount',
  pan: 'pan',
  expiry: 'expiry',
  /** Lets the gateway check the card against the cardholder certificate's account digest. */
  cardSecret: 'cardSecret',
  nonce: 'nonce',
} as const satisfies SetFields;

export type PaymentInformation = SetFieldsValue<typeof paymentInformationFields>;

export const orderInformationSchema = setObjectSchema<OrderInformation>(orderInformationFields);

export const paymentInformationSchema =
  setObjectSchema<PaymentInformation>(paymentInformationFields);

const orderInformationType = signedMessageType('setOrderInformation', 1, 'order information');
const paymentInformationType = signedMessageType('setPaymentInformation', 1, 'payment information');
const dualSignatureType = signedMessageType('setDualSignature', 1, 'dual signature');

/** H(OI): SHA-256 of OI's canonical bytes. */
export function orderInformationDigest(oi: OrderInformation): Uint8Array {
  return sha256(
    orderInformationType.signingBytes((w) => writeSetFields(w, orderInformationFields, oi)),
  );
}

/** H(PI): SHA-256 of PI's canonical bytes. */
export function paymentInformationDigest(pi: PaymentInformation): Uint8Array {
  assertPan(pi.pan);
  assertCardExpiry(pi.expiry);
  return sha256(
    paymentInformationType.signingBytes((w) => writeSetFields(w, paymentInformationFields, pi)),
  );
}

/** The bytes the cardholder signs: the tag, then H(PI) ‖ H(OI). */
export function dualSignatureBytes(piDigest: Uint8Array, oiDigest: Uint8Array): Uint8Array {
  return dualSignatureType.signingBytes((w) =>
    w.fixed(piDigest, digestLength, 'piDigest').fixed(oiDigest, digestLength, 'oiDigest'),
  );
}

export async function signDualSignature(
  signer: Ed25519Signer,
  piDigest: Uint8Array,
  oiDigest: Uint8Array,
): Promise<Uint8Array> {
  return dualSignatureType.sign(dualSignatureBytes(piDigest, oiDigest), signer);
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

/** The PI envelope is for this gateway and travels with this order id and merchant, in clear. */
function paymentEnvelopeBinding(
  gatewayFingerprint: Uint8Array,
  transactionId: string,
  merchantId: string,
): EnvelopeBinding {
  assertBytes(gatewayFingerprint, 'gatewayFingerprint', digestLength);
  return {
    purpose: 'pi',
    recipientFingerprint: gatewayFingerprint,
    context: (w) => w.string(transactionId, 'transactionId').string(merchantId, 'merchantId'),
  };
}

const envelopeContentSchema = v.object({
  pi: paymentInformationSchema,
  oiDigest: bytesSchema(digestLength),
});

export function paymentInformationToWire(pi: PaymentInformation) {
  return setFieldsToWire(paymentInformationFields, pi);
}

export function orderInformationToWire(oi: OrderInformation) {
  return setFieldsToWire(orderInformationFields, oi);
}

/** Seals PI and H(OI) to the gateway's key-exchange key. */
export async function sealPaymentEnvelope(parameters: {
  readonly pi: PaymentInformation;
  readonly oiDigest: Uint8Array;
  readonly gatewayPublicKey: Uint8Array;
}): Promise<SealedEnvelope> {
  const { pi, oiDigest, gatewayPublicKey } = parameters;
  const content = { pi: paymentInformationToWire(pi), oiDigest: toB64(oiDigest) };
  return sealJsonEnvelope({
    recipientPublicKey: gatewayPublicKey,
    ...paymentEnvelopeBinding(pi.gatewayFingerprint, pi.transactionId, pi.merchantId),
    content,
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
  return openJsonEnvelope(
    {
      recipient: parameters.gateway,
      envelope: parameters.envelope,
      ...paymentEnvelopeBinding(
        parameters.gatewayFingerprint,
        parameters.transactionId,
        parameters.merchantId,
      ),
    },
    envelopeContentSchema,
    {
      code: 'set_envelope_invalid',
      message: 'the envelope does not hold PI and H(OI)',
      field: 'envelope',
    },
  );
}
