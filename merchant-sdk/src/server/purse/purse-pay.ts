/**
 * The purse on the pay endpoint (DESIGN.md "Hardware purse"): a purse payment takes two round
 * trips, because the card must answer a challenge the merchant made.
 *
 *   1. `POST /.well-known/farthing/purse-challenge` `{ "offer": "<offer token>" }` → the signed
 *      challenge for the offer's amount (a fresh TNo and nonce) with the merchant's certificate
 *      chain, stored and bound to that offer before it is handed out.
 *   2. the reader shows amount and payee, the holder presses confirm, the card signs its proof;
 *   3. `POST /.well-known/farthing/pay` with the `purse` credential (protocol/src/purse/credential.ts).
 *
 * Asking for a challenge changes nothing but the merchant's own challenge table (an unused
 * challenge simply expires), so it needs no idempotency key: a retry gets another TNo.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { offerHash } from '@farthing/protocol/offer';
import type { ResolvedConfig } from '../config.ts';
import { jsonResponse, noStoreProblem } from '../http/http.ts';
import type { OfferBook } from '../pricing/offers.ts';
import { PurseDesk } from './purse-desk.ts';
import { PurseStore } from './purse-store.ts';

export const purseChallengePath = '/.well-known/farthing/purse-challenge';

/** Step 1 above: answers a challenge request with the signed challenge, or a problem. */
export async function purseChallengeResponse(
  request: Request,
  context: {
    readonly config: ResolvedConfig;
    readonly offers: OfferBook;
    readonly desk: PurseDesk | undefined;
  },
): Promise<Response> {
  if (request.method !== 'POST') {
    return new Response(null, { status: 405, headers: { allow: 'POST' } });
  }
  try {
    if (context.desk === undefined || !context.config.instruments.includes('purse')) {
      throw new FarthingError('instrument_not_accepted', 'this merchant does not take the purse');
    }
    const offer = await context.offers.ownOfferOfRequest(request, 'purse', 'challenge request');
    const view = await context.desk.createChallenge(offer.amount, { offerHash: offerHash(offer) });
    return jsonResponse(view, 200, { 'cache-control': 'no-store' });
  } catch (error) {
    return noStoreProblem(error);
  }
}

/**
 * Clears the proof of challenge `tno` with the issuer before anything is served: a refusal
 * (a card reported lost, a proof beyond what the issuer holds for the card, a card key the
 * issuer never saw in a card) is `purse_not_cleared` with the issuer's code as `reason`;
 * `bank_unavailable` when the issuer does not answer (the wallet sends the same proof again).
 */
export async function clearedAtIssuer(desk: PurseDesk, tno: number): Promise<void> {
  const outcome = await desk.clearNow(tno);
  if (outcome !== 'cleared') {
    throw new FarthingError('purse_not_cleared', 'the card issuer refused this payment', {
      details: { reason: outcome },
    });
  }
}

/** `createMerchant`'s `purse` option: a desk the site made, or where the SDK keeps one's records. */
export type MerchantPurseOption = PurseDesk | { readonly storePath: string };

/**
 * The purse desk of a merchant: the one given, or one the SDK makes from the merchant's own
 * configuration (its offer key and current certificate chain; cards of the bank whose CA
 * certified it) with its records at `storePath`. `close` closes only a store the SDK opened.
 */
export function merchantPurseDesk(
  config: ResolvedConfig,
  option: MerchantPurseOption | undefined,
): { readonly desk: PurseDesk | undefined; close(): void } {
  if (option === undefined || option instanceof PurseDesk) {
    return { desk: option, close: () => undefined };
  }
  const store = new PurseStore(option.storePath);
  const desk = new PurseDesk({
    merchantId: config.merchantId,
    signer: config.signer,
    merchantChain: () => config.certified.chain,
    trustedRoots: [config.certified.chain.at(-1)!],
    store,
    bank: { url: config.bankUrl, apiKey: config.apiKey, fetch: config.fetch },
    now: config.now,
  });
  return { desk, close: () => store.close() };
}
