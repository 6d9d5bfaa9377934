/**
 * The merchant's signed receipt (DESIGN.md "Priced link", steps 4–5): proof, kept in the
 * wallet's history, that the merchant was paid for one offer with one instrument.
 *
 * Wire JSON (`ReceiptWire`), version 1:
 *
 *   { "version": 1, "offerHash": "<32 bytes b64u>", "merchantId": "demo-shop",
 *     "resource": "/articles/7", "amount": "EUR 0.05", "instrument": "ecash",
 *     "paidAt": 1700000000000, "receiptId": "<16 bytes b64u>", "signature": "<64 bytes b64u>" }
 *
 * Signing bytes: tag `farthing/receipt`, version 1, then the fields in that order.
 */
import * as v from 'valibot';
import { type Amount, equalAmounts, formatAmount } from './amount.ts';
import type { Ed25519Signer } from './ed25519.ts';
import { equalBytes, toBase64url } from './encoding.ts';
import { assertBytes, assertInteger, FarthingError } from './errors.ts';
import {
  isPaymentInstrument,
  type Offer,
  offerHash,
  offerHashLength,
  type PaymentInstrument,
  paymentInstruments,
} from './offer.ts';
import {
  assertCanonicalResource,
  isCanonicalResource,
  maxResourceLength,
} from './offer-resource.ts';
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

/** The signed message type (tag, version, name), declared once. */
export const receiptType: SignedMessageType<1> = signedMessageType('receipt', 1);
export const receiptVersion = receiptType.version;
export const receiptIdLength = 16;

export interface Receipt {
  readonly version: typeof receiptVersion;
  /** `offerHash` of the offer that was paid. */
  readonly offerHash: Uint8Array;
  readonly merchantId: string;
  readonly resource: string;
  /** What was paid: the offer's amount. */
  readonly amount: Amount;
  readonly instrument: PaymentInstrument;
  /** Milliseconds since the Unix epoch. */
  readonly paidAt: number;
  /**
   * Unique and unguessable to others, chosen by the merchant (the SDK's: its payment's credential
   * id's first 16 bytes, a SHA-256 output); what the payer quotes to the merchant about it.
   */
  readonly receiptId: Uint8Array;
}

export interface SignedReceipt extends Receipt {
  readonly signature: Uint8Array;
}

function assertReceipt(receipt: Receipt): void {
  if (typeof receipt !== 'object' || receipt === null) {
    throw new FarthingError('invalid_argument', 'expected a receipt object', {
      details: { field: 'receipt' },
    });
  }
  receiptType.assertVersion(receipt.version);
  assertBytes(receipt.offerHash, 'offerHash', offerHashLength);
  if (!v.is(identifierSchema, receipt.merchantId)) {
    throw new FarthingError('invalid_argument', '"merchantId" is not an identifier', {
      details: { field: 'merchantId' },
    });
  }
  assertCanonicalResource(receipt.resource, 'resource');
  formatAmount(receipt.amount);
  if (!isPaymentInstrument(receipt.instrument)) {
    throw new FarthingError(
      'invalid_argument',
      `"instrument" must be one of ${paymentInstruments.join(', ')}`,
      { details: { field: 'instrument' } },
    );
  }
  assertInteger(receipt.paidAt, 'paidAt');
  assertBytes(receipt.receiptId, 'receiptId', receiptIdLength);
}

export function receiptSigningBytes(receipt: Receipt): Uint8Array {
  assertReceipt(receipt);
  return receiptType.signingBytes((w) =>
    w
      .fixed(receipt.offerHash, offerHashLength, 'offerHash')
      .string(receipt.merchantId, 'merchantId', 128)
      .string(receipt.resource, 'resource')
      .amount(receipt.amount, 'amount')
      .string(receipt.instrument, 'instrument', 16)
      .u64(receipt.paidAt, 'paidAt')
      .fixed(receipt.receiptId, receiptIdLength, 'receiptId'),
  );
}

/** A receipt's fields that stay the same for every payment of one offer by one instrument. */
export type ReceiptFields = Omit<Receipt, 'paidAt' | 'receiptId'>;

/** The signing bytes of the receipts of one offer and instrument (`receiptSigningTemplate`). */
export type ReceiptSigningTemplate = (paidAt: number, receiptId: Uint8Array) => Uint8Array;

/** paidAt (u64) and receiptId, the last fields of `receiptSigningBytes`. */
const receiptTailLength = 8 + receiptIdLength;

/**
 * `receiptSigningBytes` for many receipts of the same offer and instrument: the fields they
 * share are checked and encoded once (by `receiptSigningBytes` itself, so the bytes cannot
 * drift from it), and each receipt only appends its time and id. A merchant signs one receipt
 * per paid click; encoding every field again was a few percent of its pay endpoint's time.
 */
export function receiptSigningTemplate(fields: ReceiptFields): ReceiptSigningTemplate {
  const sample = receiptSigningBytes({
    ...fields,
    paidAt: 0,
    receiptId: new Uint8Array(receiptIdLength),
  });
  const prefix = sample.slice(0, sample.length - receiptTailLength);
  return (paidAt, receiptId) => {
    assertInteger(paidAt, 'paidAt');
    assertBytes(receiptId, 'receiptId', receiptIdLength);
    const out = new Uint8Array(prefix.length + receiptTailLength);
    out.set(prefix);
    new DataView(out.buffer).setBigUint64(prefix.length, BigInt(paidAt));
    out.set(receiptId, prefix.length + 8);
    return out;
  };
}

export type SignReceiptParameters = Omit<Receipt, 'version' | 'receiptId'> & {
  /** Defaults to 16 fresh random bytes. */
  readonly receiptId?: Uint8Array;
};

export async function signReceipt(
  parameters: SignReceiptParameters,
  signer: Ed25519Signer,
): Promise<SignedReceipt> {
  const receipt: Receipt = {
    version: receiptVersion,
    offerHash: parameters.offerHash,
    merchantId: parameters.merchantId,
    resource: parameters.resource,
    amount: parameters.amount,
    instrument: parameters.instrument,
    paidAt: parameters.paidAt,
    receiptId: parameters.receiptId ?? crypto.getRandomValues(new Uint8Array(receiptIdLength)),
  };
  const signature = await receiptType.sign(receiptSigningBytes(receipt), signer);
  return Object.freeze({ ...receipt, signature });
}

export type VerifyReceiptParameters = MerchantSignatureParameters;

/** Throws `bad_signature` unless `merchantPublicKey` signed this receipt. */
export function verifyReceipt(receipt: SignedReceipt, parameters: VerifyReceiptParameters): void {
  receiptType.checkMerchantSignature(receipt?.signature, receiptSigningBytes(receipt), parameters);
}

/**
 * For the wallet: throws unless the receipt is for `offer` — `offer_mismatch` (hash, resource
 * or amount differ), `merchant_mismatch`, `instrument_not_accepted`.
 */
export function checkReceiptForOffer(receipt: Receipt, offer: Offer): void {
  assertReceipt(receipt);
  if (!equalBytes(receipt.offerHash, offerHash(offer))) {
    throw mismatch('offerHash');
  }
  if (receipt.merchantId !== offer.merchantId) {
    throw new FarthingError('merchant_mismatch', 'the receipt names another merchant', {
      details: { field: 'merchantId' },
    });
  }
  if (receipt.resource !== offer.resource) throw mismatch('resource');
  if (!equalAmounts(receipt.amount, offer.amount)) throw mismatch('amount');
  if (!offer.instruments.includes(receipt.instrument)) {
    throw new FarthingError('instrument_not_accepted', 'the offer did not accept this instrument', {
      details: { field: 'instrument', got: receipt.instrument },
    });
  }
}

function mismatch(field: string): FarthingError {
  return new FarthingError('offer_mismatch', `the receipt's "${field}" is not the offer's`, {
    details: { field },
  });
}

// --- wire

export interface ReceiptWire {
  readonly version: number;
  readonly offerHash: string;
  readonly merchantId: string;
  readonly resource: string;
  readonly amount: string;
  readonly instrument: string;
  readonly paidAt: number;
  readonly receiptId: string;
  readonly signature: string;
}

export const receiptSchema = v.strictObject({
  version: receiptType.versionSchema,
  offerHash: bytesSchema(offerHashLength),
  merchantId: identifierSchema,
  resource: v.pipe(
    v.string(),
    v.maxLength(maxResourceLength),
    v.check((text) => isCanonicalResource(text), 'expected an absolute path in normal form'),
  ),
  amount: amountSchema,
  instrument: v.picklist(paymentInstruments),
  paidAt: timestampSchema,
  receiptId: bytesSchema(receiptIdLength),
  signature: bytesSchema(64),
});

/**
 * The wire form of a receipt's fields before it is signed: `receiptToWire` without
 * `signature`, the fields in the same order (a merchant stores it and signs it again for a
 * retry; Ed25519 gives the same signature).
 */
export function unsignedReceiptToWire(receipt: Receipt): Omit<ReceiptWire, 'signature'> {
  assertReceipt(receipt);
  return {
    version: receipt.version,
    offerHash: toBase64url(receipt.offerHash),
    merchantId: receipt.merchantId,
    resource: receipt.resource,
    amount: formatAmount(receipt.amount),
    instrument: receipt.instrument,
    paidAt: receipt.paidAt,
    receiptId: toBase64url(receipt.receiptId),
  };
}

export function receiptToWire(receipt: SignedReceipt): ReceiptWire {
  return { ...unsignedReceiptToWire(receipt), signature: toBase64url(receipt.signature) };
}

/** Validates a received receipt; the signature is checked by `verifyReceipt`. */
export function parseReceipt(input: unknown): SignedReceipt {
  return Object.freeze(parseMessage(receiptSchema, input, 'receipt'));
}
