/**
 * A refund (issue 20): the merchant's signed statement that it gives back `amount` of the
 * payment behind one receipt. The bank moves the money only on this statement, checked
 * against the merchant's certified offer key; the wallet, shown the same statement by the
 * merchant, knows its refund is real and which receipt it belongs to.
 *
 * E-cash (GNU Taler's model): the mint credits the refunded value back to the coins the
 * merchant deposited for the payment; the wallet turns it into fresh coins with a request
 * signed by each coin's key (coin/refund-refresh.ts), so the merchant never learns who paid.
 * PayWord: the broker credits the account behind the user certificate from the merchant's.
 *
 * `payment` names the payment at the bank: for e-cash the merchant's deposit id, for PayWord
 * the commitment id (base64url). `paid` is what the receipt was for; the refunds of one
 * receipt together never pass it, nor the refunds of one payment what the bank received.
 *
 * Signing bytes: tag `farthing/refund`, version 1, then merchantId, receiptId[16],
 * offerHash[32], instrument, payment, paid, amount, refundId, refundedAt (u64).
 *
 * Wire JSON (`RefundWire`), version 1:
 *
 *   { "version": 1, "merchantId": "shop", "receiptId": "<16 bytes b64u>",
 *     "offerHash": "<32 bytes b64u>", "instrument": "ecash", "payment": "farthing-…",
 *     "paid": "EUR 0.05", "amount": "EUR 0.02", "refundId": "r-1", "refundedAt": 1700000000000,
 *     "signature": "<64 bytes b64u>" }
 */
import * as v from 'valibot';
import { type Amount, compareAmounts, formatAmount } from './amount.ts';
import { type Ed25519Signer, ed25519SignatureLength } from './ed25519.ts';
import { toBase64url } from './encoding.ts';
import { assertBytes, assertInteger, FarthingError, invalidArgument } from './errors.ts';
import { offerHashLength } from './offer.ts';
import { receiptIdLength } from './receipt.ts';
import {
  amountSchema,
  bytesSchema,
  identifierSchema,
  parseMessage,
  timestampSchema,
} from './schema.ts';
import {
  type MerchantSignatureParameters,
  type SignedMessageType,
  signedMessageType,
} from './signed-message.ts';

export const refundType: SignedMessageType<1> = signedMessageType('refund', 1);
export const refundVersion = refundType.version;

/** The instruments whose refunds go through the bank's refund route. */
export const refundInstruments = ['ecash', 'payword'] as const;
export type RefundInstrument = (typeof refundInstruments)[number];

export interface Refund {
  readonly version: typeof refundVersion;
  readonly merchantId: string;
  readonly receiptId: Uint8Array;
  readonly offerHash: Uint8Array;
  readonly instrument: RefundInstrument;
  /** The payment at the bank: deposit id (e-cash) or commitment id in base64url (PayWord). */
  readonly payment: string;
  /** What the receipt was for. */
  readonly paid: Amount;
  /** What this refund gives back: more than zero, at most `paid`. */
  readonly amount: Amount;
  /** The merchant's id for this refund: the same id is the same refund. */
  readonly refundId: string;
  readonly refundedAt: number;
}

export interface SignedRefund extends Refund {
  readonly signature: Uint8Array;
}

/**
 * The payment at the bank: a deposit id (an identifier) or a PayWord commitment id in base64url,
 * which may begin with `-` or `_` (one in 32 does), so the identifier's first-character rule
 * does not apply here.
 */
const paymentReferenceSchema = v.pipe(
  v.string(),
  v.maxLength(128),
  v.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1–128 characters of A–Z a–z 0–9 . _ : -'),
);

function assertIdentifier(value: unknown, field: string): void {
  if (!v.is(identifierSchema, value)) {
    throw invalidArgument(field, 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
}

function assertRefund(refund: Refund): void {
  if (typeof refund !== 'object' || refund === null) {
    throw invalidArgument('refund', 'must be an object');
  }
  refundType.assertVersion(refund.version);
  assertIdentifier(refund.merchantId, 'merchantId');
  assertBytes(refund.receiptId, 'receiptId', receiptIdLength);
  assertBytes(refund.offerHash, 'offerHash', offerHashLength);
  if (!(refundInstruments as readonly unknown[]).includes(refund.instrument)) {
    throw invalidArgument('instrument', `must be one of ${refundInstruments.join(', ')}`);
  }
  if (!v.is(paymentReferenceSchema, refund.payment)) {
    throw invalidArgument('payment', 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
  assertIdentifier(refund.refundId, 'refundId');
  formatAmount(refund.paid);
  formatAmount(refund.amount);
  if (refund.amount.minor === 0) throw invalidArgument('amount', 'must be more than zero');
  // compareAmounts throws currency_mismatch for amounts of two currencies.
  if (compareAmounts(refund.amount, refund.paid) > 0) {
    throw new FarthingError(
      'refund_exceeds_payment',
      'a refund cannot give back more than was paid',
      {
        details: { paid: formatAmount(refund.paid), amount: formatAmount(refund.amount) },
      },
    );
  }
  assertInteger(refund.refundedAt, 'refundedAt');
}

export function refundSigningBytes(refund: Refund): Uint8Array {
  assertRefund(refund);
  return refundType.signingBytes((w) =>
    w
      .string(refund.merchantId, 'merchantId', 128)
      .fixed(refund.receiptId, receiptIdLength, 'receiptId')
      .fixed(refund.offerHash, offerHashLength, 'offerHash')
      .string(refund.instrument, 'instrument', 16)
      .string(refund.payment, 'payment', 128)
      .amount(refund.paid, 'paid')
      .amount(refund.amount, 'amount')
      .string(refund.refundId, 'refundId', 128)
      .u64(refund.refundedAt, 'refundedAt'),
  );
}

export async function signRefund(
  refund: Omit<Refund, 'version'>,
  signer: Ed25519Signer,
): Promise<SignedRefund> {
  const unsigned: Refund = { version: refundVersion, ...refund };
  const signature = await refundType.sign(refundSigningBytes(unsigned), signer);
  return Object.freeze({ ...unsigned, signature });
}

export type VerifyRefundParameters = MerchantSignatureParameters;

/** Throws `bad_signature` unless `merchantPublicKey` signed this refund. */
export function verifyRefund(refund: SignedRefund, parameters: VerifyRefundParameters): void {
  refundType.checkMerchantSignature(refund?.signature, refundSigningBytes(refund), parameters);
}

// --- wire

export interface RefundWire {
  readonly version: number;
  readonly merchantId: string;
  readonly receiptId: string;
  readonly offerHash: string;
  readonly instrument: string;
  readonly payment: string;
  readonly paid: string;
  readonly amount: string;
  readonly refundId: string;
  readonly refundedAt: number;
  readonly signature: string;
}

export const refundSchema = v.strictObject({
  version: refundType.versionSchema,
  merchantId: identifierSchema,
  receiptId: bytesSchema(receiptIdLength),
  offerHash: bytesSchema(offerHashLength),
  instrument: v.picklist(refundInstruments),
  payment: paymentReferenceSchema,
  paid: amountSchema,
  amount: amountSchema,
  refundId: identifierSchema,
  refundedAt: timestampSchema,
  signature: bytesSchema(ed25519SignatureLength),
});

export function refundToWire(refund: SignedRefund): RefundWire {
  assertRefund(refund);
  assertBytes(refund.signature, 'signature', ed25519SignatureLength);
  return {
    version: refund.version,
    merchantId: refund.merchantId,
    receiptId: toBase64url(refund.receiptId),
    offerHash: toBase64url(refund.offerHash),
    instrument: refund.instrument,
    payment: refund.payment,
    paid: formatAmount(refund.paid),
    amount: formatAmount(refund.amount),
    refundId: refund.refundId,
    refundedAt: refund.refundedAt,
    signature: toBase64url(refund.signature),
  };
}

/** Validates a received refund (fields and bounds); `verifyRefund` checks its signature. */
export function parseRefund(input: unknown): SignedRefund {
  const parsed = parseMessage(refundSchema, input, 'refund');
  assertRefund(parsed);
  return Object.freeze(parsed);
}
