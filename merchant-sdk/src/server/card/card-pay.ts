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
import { FarthingError } from '@farthing/protocol/errors';
import { cardOfferOrderDigest } from '@farthing/protocol/set/card-credential';
import { type SetMessage, setMessageToWire } from '@farthing/protocol/set/messages';
import type { ResolvedConfig } from '../config.ts';
import { jsonResponse, noStoreProblem } from '../http/http.ts';
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
      const offer = await offers.ownOfferOfRequest(request, 'card', 'initiation request');
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
}
