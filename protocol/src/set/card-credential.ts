/**
 * The card credential: a SET purchase request sent to the merchant's shared pay endpoint for a
 * signed offer (a priced link or a 402 answer), beside e-cash, PayWord and the purse.
 *
 * Wire JSON, version 1 (inside the credential union of credential.ts):
 *
 *   { "version": 1, "type": "card", "offer": "<offer token>",
 *     "purchase": <purchase-request, messages.ts wire form> }
 *
 * How the wallet gets there: the offer lists `card`; the wallet posts the offer token to the
 * merchant's card initiation endpoint (`/.well-known/farthing/card/initiation` on the pay
 * endpoint's origin, also named `cardInitiation` in the 402 problem) and gets the merchant's
 * signed purchase-initiation-response: a fresh transaction id, the offer's amount, the order
 * digest below and the merchant's and gateway's certificates. It then builds OI and PI, seals
 * PI to the gateway and signs DS as for any SET purchase (purchase.ts).
 *
 * Binding: the order an offer sells is the offer itself, so OI's order digest is the offer's
 * hash (`offerHash`: SHA-256 over the offer's domain-separated signing bytes, tag `offer`; a
 * shop cart's digest is over tag `setOrder`, so the two never coincide). A purchase request
 * therefore pays one offer: checked here against the offer it travels with, and by the
 * merchant against the transaction it initiated for that offer.
 */
import { equalBytes } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { checkStatementPaysOffer, offerHash, type SignedOffer } from '../offer.ts';
import { type SetMessage, setMessageSchema, setMessageToWire } from './messages.ts';

export interface CardCredentialPayment {
  /** The cardholder's signed purchase request, as parsed (signature checked by the merchant). */
  readonly purchase: SetMessage<'purchase-request'>;
}

export interface CardCredentialWireFields {
  readonly purchase: ReturnType<typeof setMessageToWire<'purchase-request'>>;
}

export const cardCredentialFields = {
  purchase: setMessageSchema('purchase-request'),
};

export function cardCredentialFieldsToWire(
  payment: CardCredentialPayment,
): CardCredentialWireFields {
  return { purchase: setMessageToWire(payment.purchase) };
}

/** The order digest OI carries when it pays `offer`: the offer's hash (module comment). */
export function cardOfferOrderDigest(offer: SignedOffer): Uint8Array {
  return offerHash(offer);
}

/**
 * What can be checked of a card credential without the merchant's records: OI names this
 * merchant (`merchant_mismatch`), the offer's amount (`offer_mismatch`) and the offer as its
 * order (`set_order_mismatch`). The cardholder chain, the request's signature and DS are the
 * merchant's card instrument's to check, against the transaction it initiated.
 */
export function checkCardPurchasePaysOffer(
  payment: CardCredentialPayment,
  offer: SignedOffer,
  merchantId: string,
): void {
  const order = payment.purchase.body;
  checkStatementPaysOffer(order, offer, merchantId, {
    what: 'the purchase',
    field: 'purchase.body',
  });
  if (!equalBytes(order.orderDigest, cardOfferOrderDigest(offer))) {
    throw new FarthingError('set_order_mismatch', 'the purchase is for another offer', {
      details: { field: 'purchase.body.orderDigest' },
    });
  }
}
