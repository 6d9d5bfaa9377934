/**
 * The card checkout on the web: what a shop's checkout page embeds for the wallet, and the
 * HTTP endpoints the wallet then talks to.
 *
 *   offer       `cardCheckoutOffer(card, order)`: starts a SET purchase for a priced order
 *               (`CardMerchant.initiate` with the order's digest) and returns the card offer —
 *               the order as the wallet will show it, the merchant's signed
 *               purchase-initiation-response (which commits to the order by digest and
 *               carries the merchant's and gateway's certificates) and where to send the
 *               purchase. The page puts it in a `data-farthing-card-checkout` attribute; the
 *               wallet trusts none of it until the signature, the chain and the digest check.
 *
 *   endpoints   `POST /.well-known/farthing/card/purchase` a purchase request → the signed
 *               purchase response (the same answer for the same request, however often sent);
 *               `POST /.well-known/farthing/card/inquiry` a signed purchase inquiry → the
 *               signed inquiry response; `GET /.well-known/farthing/card/purchases/<id>` →
 *               the signed purchase notification (its state now). Refusals are RFC 9457
 *               problems with the SET codes.
 */
import { fromBase64url } from '@farthing/protocol/encoding';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { type CardOrder, cardOrderDigest, cardOrderToWire } from '@farthing/protocol/set/order';
import { jsonResponse, noStoreProblem, readJsonBody } from '../http/http.ts';
import type { Merchant } from '../merchant.ts';
import { CardMerchant, type CardMerchantOptions } from './card-merchant.ts';

export const cardPurchasePath = '/.well-known/farthing/card/purchase';
export const cardInquiryPath = '/.well-known/farthing/card/inquiry';
export const cardPurchasesPrefix = '/.well-known/farthing/card/purchases/';
/** The attribute a checkout button carries the card offer in. */
export const cardCheckoutAttribute = 'data-farthing-card-checkout';

/** A purchase request carries a few certificates and the PI envelope: well under this. */
const maxCardMessageBytes = 32 * 1024;

export interface CardCheckoutOffer {
  readonly version: 1;
  readonly order: ReturnType<typeof cardOrderToWire>;
  readonly initiation: Awaited<ReturnType<CardMerchant['initiate']>>;
  /** Absolute URL of the purchase endpoint. */
  readonly purchase: string;
  /** Where the wallet sends the payer once paid (the shop's origin; the wallet checks). */
  readonly paid: string;
}

export async function cardCheckoutOffer(
  card: CardMerchant,
  parameters: {
    readonly order: CardOrder;
    readonly origin: string;
    /** The page for a paid order, given its transaction id (a path on `origin`). */
    readonly paidPath: (transactionId: string) => string;
  },
): Promise<CardCheckoutOffer> {
  const { order, origin } = parameters;
  const wire = cardOrderToWire(order);
  const initiation = await card.initiate({
    amount: order.total,
    orderDigest: cardOrderDigest(order),
    description: JSON.stringify(wire),
  });
  return {
    version: 1,
    order: wire,
    initiation,
    purchase: `${origin}${cardPurchasePath}`,
    paid: `${origin}${parameters.paidPath(initiation.body.transactionId as string)}`,
  };
}

/**
 * The card instrument of a merchant made with `createMerchant`: the same merchant id, offer key
 * and certificate (read at each initiation, so a renewed certificate is sent from then on),
 * trusting the bank that certified it.
 */
export function cardMerchantOf(
  merchant: Merchant,
  options: Omit<
    CardMerchantOptions,
    'merchantId' | 'signer' | 'merchantCertificates' | 'trustedRoots'
  > & {
    /** The 32-byte Ed25519 seed `merchant` signs offers with. */
    readonly offerKey: Uint8Array;
  },
): CardMerchant {
  const { offerKey, ...rest } = options;
  const chain = () => merchant.descriptor().certificateChain.map((der) => fromBase64url(der));
  return new CardMerchant({
    ...rest,
    merchantId: merchant.merchantId,
    signer: nodeEd25519Signer(offerKey),
    get merchantCertificates() {
      return chain();
    },
    trustedRoots: chain().slice(-1),
  });
}

const noStore = { 'cache-control': 'no-store' };

/**
 * The card endpoints as one handler: a `Response` for their paths, `undefined` for any other
 * request (the shop serves it).
 */
export function cardEndpoints(card: CardMerchant) {
  return async function cardEndpoint(request: Request): Promise<Response | undefined> {
    const path = new URL(request.url).pathname;
    try {
      if (path === cardPurchasePath && request.method === 'POST') {
        const body = await readJsonBody(request, maxCardMessageBytes, 'the purchase request');
        return jsonResponse(await card.pay(body), 200, noStore);
      }
      if (path === cardInquiryPath && request.method === 'POST') {
        const body = await readJsonBody(request, maxCardMessageBytes, 'the inquiry');
        return jsonResponse(await card.inquiry(body), 200, noStore);
      }
      if (path.startsWith(cardPurchasesPrefix) && request.method === 'GET') {
        const transactionId = decodeURIComponent(path.slice(cardPurchasesPrefix.length));
        return jsonResponse(await card.notify(transactionId), 200, noStore);
      }
    } catch (error) {
      return noStoreProblem(error);
    }
    return undefined;
  };
}

// What a shop needs to build the order it offers (it depends on the SDK, not on the protocol).
export {
  type CardOrder,
  type CardOrderLine,
  cardOrderToWire,
  maxLineQuantity,
  parseCardOrder,
  priceCardOrder,
} from '@farthing/protocol/set/order';
