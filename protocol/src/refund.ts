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
import { compareAmounts, formatAmount } from './amount.ts';
import type { Ed25519Signer } from './ed25519.ts';
import { FarthingError, invalidArgument } from './errors.ts';
import {
  amountField,
  bytesField,
  choiceField,
  identifierField,
  type MessageField,
  positiveAmountField,
  type Signed,
  type SignedWire,
  signedMessage,
  timestampField,
  type Unsigned,
} from './message-fields.ts';
import { offerHashLength } from './offer.ts';
import { receiptIdLength } from './receipt.ts';

/** The instruments whose refunds go through the bank's refund route. */
export const refundInstruments = ['ecash', 'payword'] as const;
export type RefundInstrument = (typeof refundInstruments)[number];

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

const paymentReferenceField: MessageField<string, string> = {
  ...identifierField,
  assert(value, field) {
    if (!v.is(paymentReferenceSchema, value)) {
      throw invalidArgument(field, 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
    }
  },
  schema: paymentReferenceSchema,
};

/**
 * Refunds, declared once: the type (tag, version) and the fields in signing and wire order.
 * `signingBytes` gives the bytes the merchant signs; `checkMerchantSignature` throws
 * `bad_signature` unless the merchant's key signed a refund; `schema`, `signedToWire` and
 * `parse` are the wire form (`parse` checks fields and bounds, not the signature).
 */
export const refunds = signedMessage(
  'refund',
  1,
  {
    merchantId: identifierField,
    receiptId: bytesField(receiptIdLength),
    offerHash: bytesField(offerHashLength),
    instrument: choiceField(refundInstruments),
    /** The payment at the bank: deposit id (e-cash) or commitment id in base64url (PayWord). */
    payment: paymentReferenceField,
    /** What the receipt was for. */
    paid: amountField,
    /** What this refund gives back: more than zero, at most `paid`. */
    amount: positiveAmountField,
    /** The merchant's id for this refund: the same id is the same refund. */
    refundId: identifierField,
    refundedAt: timestampField,
  },
  {
    argument: 'refund',
    check(refund) {
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
    },
  },
);

export type Refund = Unsigned<typeof refunds>;
export type SignedRefund = Signed<typeof refunds>;

export async function signRefund(
  refund: Omit<Refund, 'version'>,
  signer: Ed25519Signer,
): Promise<SignedRefund> {
  return refunds.sign(refunds.create(refund), signer);
}

// --- wire

export type RefundWire = SignedWire<typeof refunds>;
