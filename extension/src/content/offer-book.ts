/**
 * The background's verified answers about the offers on this page, asked once per (offer, URL)
 * and a few at a time: a page with hundreds of identical links costs one message, and a page
 * cannot flood the background.
 */
import { callBackground, type Transport } from '../messages/client.ts';
import type { OfferView, WalletErrorJson } from '../messages/contract.ts';
import { WalletFailure } from '../messages/failure.ts';
import { type PricedLink, pricedLinkKey } from './priced-links.ts';

export interface OfferBook {
  /** The answer for `link`, asking the background when it has not been asked yet. */
  describe(link: PricedLink): Promise<OfferView>;
  /** The answer if it has arrived. */
  peek(link: PricedLink): OfferView | undefined;
  /**
   * Asks the background again (the tooltip re-checks each time it shows) and keeps the answer;
   * `prepare`: the tooltip shows, a click that would pay at once is made ready meanwhile.
   */
  refresh(link: PricedLink, prepare?: boolean): Promise<OfferView>;
  /** Forget every answer (budgets change after a payment). */
  clear(): void;
}

export function createOfferBook(transport: Transport, concurrency = 4): OfferBook {
  const answers = new Map<string, OfferView>();
  const pending = new Map<string, Promise<OfferView>>();
  const queue: (() => void)[] = [];
  let running = 0;

  const slot = async (): Promise<void> => {
    if (running < concurrency) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
  };
  const release = (): void => {
    const next = queue.shift();
    if (next === undefined) running--;
    else next();
  };

  const ask = async (link: PricedLink, key: string): Promise<OfferView> => {
    await slot();
    try {
      const view = await describeOffer(transport, link);
      if (pending.get(key) !== undefined) answers.set(key, view);
      return view;
    } finally {
      pending.delete(key);
      release();
    }
  };

  return {
    describe(link) {
      const key = pricedLinkKey(link);
      const known = answers.get(key);
      if (known !== undefined) return Promise.resolve(known);
      let promise = pending.get(key);
      if (promise === undefined) {
        promise = ask(link, key);
        pending.set(key, promise);
      }
      return promise;
    },
    peek: (link) => answers.get(pricedLinkKey(link)),
    async refresh(link, prepare = false) {
      const key = pricedLinkKey(link);
      const view = await describeOffer(transport, link, prepare);
      answers.set(key, view);
      return view;
    },
    clear() {
      answers.clear();
      pending.clear();
    },
  };
}

/** `offer.describe`, with a failure to answer turned into a refusal the tooltip can show. */
export async function describeOffer(
  transport: Transport,
  link: PricedLink,
  prepare = false,
): Promise<OfferView> {
  try {
    return await callBackground(transport, 'offer.describe', {
      offer: link.offer,
      href: link.href,
      ...(prepare ? { prepare: true as const } : {}),
    });
  } catch (error) {
    return { status: 'refused', error: asWalletError(error) };
  }
}

export function asWalletError(error: unknown): WalletErrorJson {
  if (error instanceof WalletFailure) return error.toJSON();
  return {
    code: 'internal',
    message: 'The wallet could not be reached. Reload the page and try again.',
  };
}
