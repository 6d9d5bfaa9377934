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
import { equalAmounts } from './amount.ts';
import type { Ed25519Signer } from './ed25519.ts';
import { equalBytes } from './encoding.ts';
import { assertBytes, assertInteger, FarthingError } from './errors.ts';
import {
  amountField,
  bytesField,
  choiceField,
  identifierField,
  resourceField,
  type Signed,
  type SignedWire,
  signedMessage,
  timestampField,
  type Unsigned,
} from './message-fields.ts';
import { type Offer, offerHash, offerHashLength, paymentInstruments } from './offer.ts';

export const receiptIdLength = 16;

/**
 * Receipts, declared once: the type (tag, version) and the fields in signing and wire order.
 * `signingBytes` gives the bytes the merchant signs; `checkMerchantSignature` throws
 * `bad_signature` unless the merchant's key signed a receipt; `schema`, `signedToWire` and
 * `parse` are the wire form (`parse` checks no signature). `toWire` is the wire form of a
 * receipt's fields before it is signed, in the same order (a merchant stores it and signs it
 * again for a retry; Ed25519 gives the same signature).
 */
export const receipts = signedMessage(
  'receipt',
  1,
  {
    /** `offerHash` of the offer that was paid. */
    offerHash: bytesField(offerHashLength),
    merchantId: identifierField,
    resource: resourceField,
    /** What was paid: the offer's amount. */
    amount: amountField,
    instrument: choiceField(paymentInstruments),
    /** Milliseconds since the Unix epoch. */
    paidAt: timestampField,
    /**
     * Unique and unguessable to others, chosen by the merchant (the SDK's: its payment's
     * credential id's first 16 bytes, a SHA-256 output); what the payer quotes to the merchant
     * about it.
     */
    receiptId: bytesField(receiptIdLength),
  },
  { argument: 'receipt' },
);

export type Receipt = Unsigned<typeof receipts>;
export type SignedReceipt = Signed<typeof receipts>;

/** A receipt's fields that stay the same for every payment of one offer by one instrument. */
export type ReceiptFields = Omit<Receipt, 'paidAt' | 'receiptId'>;

/** The signing bytes of the receipts of one offer and instrument (`receiptSigningTemplate`). */
export type ReceiptSigningTemplate = (paidAt: number, receiptId: Uint8Array) => Uint8Array;

/** paidAt (u64) and receiptId, the last fields of `receipts.signingBytes`. */
const receiptTailLength = 8 + receiptIdLength;

/**
 * `receipts.signingBytes` for many receipts of the same offer and instrument: the fields they
 * share are checked and encoded once (by `receipts.signingBytes` itself, so the bytes cannot
 * drift from it), and each receipt only appends its time and id. A merchant signs one receipt
 * per paid click; encoding every field again was a few percent of its pay endpoint's time.
 */
export function receiptSigningTemplate(fields: ReceiptFields): ReceiptSigningTemplate {
  const sample = receipts.signingBytes({
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
  const receiptId = parameters.receiptId ?? crypto.getRandomValues(new Uint8Array(receiptIdLength));
  return receipts.sign(receipts.create({ ...parameters, receiptId }), signer);
}

/**
 * For the wallet: throws unless the receipt is for `offer` — `offer_mismatch` (hash, resource
 * or amount differ), `merchant_mismatch`, `instrument_not_accepted`.
 */
export function checkReceiptForOffer(receipt: Receipt, offer: Offer): void {
  receipts.assert(receipt);
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

export type ReceiptWire = SignedWire<typeof receipts>;
