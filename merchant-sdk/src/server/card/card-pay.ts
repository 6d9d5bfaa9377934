/**
 * The card on the SDK's shared paths (DESIGN.md "SET (cards)", "Priced link"): a priced
 * resource whose offer lists `card` is paid with a SET purchase request at the pay endpoint,
 * beside e-cash, PayWord and the purse. A card payment takes two round trips, because the
 * purchase request answers a transaction the merchant started:
 *
 *   1. `POST /.well-known/farthing/card/initiation` `{ "offer": "<offer token>" }` → the
 *      merchant's signed purchase-initiation-response for the offer (a fresh transaction id,
 *      the offer's amount, the offer's hash as order digest, the merchant's and the gateway's
 *      certificates; `CardMerchant.initiate`) and the pay endpoint. The 402 problem names this
 *      endpoint as `cardInitiation` when the offer lists `card`.
 *   2. the wallet asks its user (always, for a card), builds OI and PI, seals PI to the gateway
 *      and signs DS and the request;
 *   3. `POST /.well-known/farthing/pay` with the `card` credential (protocol
 *      set/card-credential.ts): `CardMerchant.pay` checks and authorizes it (one verification
 *      path for the card checkout and the pay endpoint), then the payment desk stores the
 *      payment and answers with the receipt, the grant and the signed purchase response.
 *
 * Capture: `sale` captures with the authorization; `settlement` leaves it to the merchant's
 * settlement job (`settle`, `startCapture`), which captures open authorizations in batches.
 * Asking for an initiation writes only the card store's row for it (an unpaid one is never
 * sent anywhere), so it needs no idempotency key: a retry gets another transaction.
 */
import { maxCredentialBytes } from '@farthing/protocol/credential';
import { FarthingError } from '@farthing/protocol/errors';
import { checkOfferFresh, type SignedOffer, verifyOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { parseMessage } from '@farthing/protocol/schema';
import { cardOfferOrderDigest } from '@farthing/protocol/set/card-credential';
import { type SetMessage, setMessageToWire } from '@farthing/protocol/set/messages';
import * as v from 'valibot';
import type { ResolvedConfig } from '../config.ts';
import { jsonResponse, noStoreProblem, readLimitedBody } from '../http/http.ts';
import { payPath } from '../http/pages.ts';
import type { OfferBook } from '../pricing/offers.ts';
import { CardMerchant } from './card-merchant.ts';
import { CardPurchaseStore } from './card-store.ts';

export const cardInitiationPath = '/.well-known/farthing/card/initiation';

/** `createMerchant`'s `card` option: a card merchant the site made, or the SDK makes one. */
export type MerchantCardOption =
  | CardMerchant
  | {
      /** The SQLite file of the card purchases (card-store.ts). */
      readonly storePath: string;
      /** `sale`: capture with the authorization; `settlement`: in the settlement job. */
      readonly capture: 'sale' | 'settlement';
    };

const initiationRequestSchema = v.strictObject({ offer: v.pipe(v.string(), v.maxLength(8192)) });

function notTaken(): FarthingError {
  return new FarthingError('instrument_not_accepted', 'this merchant does not take cards', {
    details: { field: 'type' },
  });
}

/** The card instrument of one merchant, as `createMerchant` and the payment desk use it. */
export class MerchantCard {
  readonly card: CardMerchant | undefined;
  readonly #config: ResolvedConfig;
  readonly #store: CardPurchaseStore | undefined;

  constructor(config: ResolvedConfig, option: MerchantCardOption | undefined) {
    this.#config = config;
    if (config.instruments.includes('card') && option === undefined) {
      throw new FarthingError('invalid_argument', '"instruments" lists card: give a card option', {
        details: { field: 'instruments' },
      });
    }
    if (option === undefined || option instanceof CardMerchant) {
      this.card = option;
      return;
    }
    this.#store = new CardPurchaseStore(option.storePath);
    this.card = new CardMerchant({
      merchantId: config.merchantId,
      signer: config.signer,
      // Read at each initiation: the certificate renewal swaps the chain.
      get merchantCertificates() {
        return config.certified.chain;
      },
      bank: { url: config.bankUrl, apiKey: config.apiKey, fetch: config.fetch },
      trustedRoots: [config.certified.chain.at(-1)!],
      store: this.#store,
      capture: option.capture,
      now: config.now,
    });
  }

  /** Step 1 of the module comment: the initiation for an offer, or a problem. */
  async initiationResponse(request: Request, offers: OfferBook): Promise<Response> {
    if (request.method !== 'POST') {
      return new Response(null, { status: 405, headers: { allow: 'POST' } });
    }
    try {
      const card = this.#taken();
      if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) {
        throw new FarthingError('unsupported_media_type', 'send the offer as application/json');
      }
      const body = await readLimitedBody(request, maxCredentialBytes);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch (cause) {
        throw new FarthingError('invalid_message', 'the body is not JSON', { cause });
      }
      const { offer: token } = parseMessage(initiationRequestSchema, json, 'initiation request');
      const offer = this.#checkedOffer(offers, token);
      const initiation = await card.initiate({
        amount: offer.amount,
        orderDigest: cardOfferOrderDigest(offer),
        description: `${offer.merchantOrigin}${offer.resource}`,
      });
      const payEndpoint = `${new URL(request.url).origin}${payPath}`;
      return jsonResponse({ initiation, payEndpoint }, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      return noStoreProblem(error);
    }
  }

  /**
   * Step 3: `CardMerchant.pay` for the credential's purchase request (the credential's offer is
   * checked already: protocol `checkCredentialForOffer`); the signed purchase response. The
   * paid purchase is then linked to the payment's credential id, so a refund of its receipt
   * finds it (a retry after a crash in between answers as the first time and links it then).
   */
  async pay(purchase: SetMessage<'purchase-request'>, credentialId: Uint8Array): Promise<unknown> {
    const card = this.#taken();
    const answer = await card.pay(setMessageToWire(purchase));
    card.linkPayment(credentialId, purchase.body.transactionId);
    return answer;
  }

  /** Captures open authorizations (in `settlement` mode); how many this run captured. */
  async settle(): Promise<number> {
    return this.card === undefined ? 0 : this.card.settle();
  }

  /** Captures on the settlement schedule until stopped. */
  startCapture(options: { intervalMs: number; onError?: (error: unknown) => void }) {
    let running: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      // A run still going is not doubled here (two processes may still overlap: settle's comment).
      running ??= this.settle()
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          running = undefined;
        });
    }, options.intervalMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await running;
      },
    };
  }

  /** Closes the store the SDK opened (a card merchant the site gave is the site's). */
  close(): void {
    this.#store?.close();
  }

  #taken(): CardMerchant {
    if (this.card === undefined || !this.#config.instruments.includes('card')) throw notTaken();
    return this.card;
  }

  /** The offer of an initiation request, checked as the pay endpoint checks a credential's. */
  #checkedOffer(offers: OfferBook, token: string): SignedOffer {
    const config = this.#config;
    const offer = parseOfferToken(token);
    if (offer.merchantId !== config.merchantId) {
      throw new FarthingError('merchant_mismatch', 'the offer is another merchant’s', {
        details: { field: 'offer.merchantId' },
      });
    }
    verifyOffer(offer, { merchantPublicKey: config.publicKey, ed25519Verify: offers.verify });
    checkOfferFresh(offer, config.now());
    if (!offer.instruments.includes('card')) {
      throw new FarthingError('instrument_not_accepted', 'this offer does not accept card', {
        details: { field: 'type', accepted: [...offer.instruments] },
      });
    }
    return offer;
  }
}
