/**
 * What the site sells, asked by path: the price of a request path, the current signed offer for
 * a priced resource, and the priced link a page shows for it (`Merchant.priceOf`, `offerFor`,
 * `renderPricedLink`).
 */
import type { Amount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import type { SignedOffer } from '@farthing/protocol/offer';
import type { ResolvedConfig } from '../config.ts';
import { pricedLinkHtml } from '../http/pages.ts';
import type { OfferBook } from './offers.ts';
import type { PricedResource } from './price-table.ts';
import { classifyRequestPath, requestPathOf } from './request-path.ts';

/** The current offer for a priced resource. */
export interface OfferForReturnType {
  readonly offer: SignedOffer;
  /** The compact token (`data-farthing-offer`, the challenge's `offer`). */
  readonly token: string;
  readonly price: Amount;
  readonly resource: string;
}

/** What `renderPricedLink` writes. */
export interface RenderPricedLinkParameters {
  /** A priced path, optionally with a query: `/articles/7`. */
  readonly href: string;
  /** The link text (escaped). */
  readonly text: string;
  /** More attributes for the `<a>`; `href` and the Farthing data attributes are the SDK's. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** The origin the page is served on, if not the first configured one. */
  readonly origin?: string;
}

export class PriceCatalog {
  readonly #config: ResolvedConfig;
  readonly #offers: OfferBook;

  constructor(config: ResolvedConfig, offers: OfferBook) {
    this.#config = config;
    this.#offers = offers;
  }

  /** The price of a request path; undefined when free. Throws `non_canonical_path`. */
  priceOf(path: string): PricedResource | undefined {
    const decision = classifyRequestPath(this.#config.prices, requestPathOf(path));
    if (decision.kind === 'refused') throw nonCanonical(decision.pattern);
    return decision.kind === 'priced' ? decision.priced : undefined;
  }

  /** The current signed offer for a priced resource on one of the merchant's origins. */
  async offerFor(
    resource: string,
    options: { readonly origin?: string } = {},
  ): Promise<OfferForReturnType> {
    if (!resource.startsWith('/') || resource.startsWith('//')) throw notPriced(resource);
    const priced = this.priceOf(resource);
    if (priced === undefined) throw notPriced(resource);
    const origin = options.origin ?? this.#config.origins[0]!;
    if (!this.#config.origins.includes(origin)) {
      throw new FarthingError(
        'invalid_argument',
        `"${origin}" is not one of the merchant's origins`,
        { details: { field: 'origin' } },
      );
    }
    const issued = await this.#offers.offerFor(priced, origin);
    return { ...issued, price: priced.price, resource: priced.resource };
  }

  /** `<a href data-farthing-offer data-farthing-price>` for a priced resource. */
  async renderPricedLink(parameters: RenderPricedLinkParameters): Promise<string> {
    if (typeof parameters?.href !== 'string' || !parameters.href.startsWith('/')) {
      throw notPriced(String(parameters?.href));
    }
    const issued = await this.offerFor(
      requestPathOf(parameters.href),
      parameters.origin === undefined ? {} : { origin: parameters.origin },
    );
    return pricedLinkHtml({
      href: parameters.href,
      offerToken: issued.token,
      price: issued.price,
      text: parameters.text,
      ...(parameters.attributes === undefined ? {} : { attributes: parameters.attributes }),
    });
  }
}

/** The refusal of a spelling of a priced path other than the canonical one. */
export function nonCanonical(pattern: string): FarthingError {
  return new FarthingError(
    'non_canonical_path',
    'this spelling of a priced address is not accepted; use the address exactly as linked',
    { details: { pattern } },
  );
}

function notPriced(resource: string): FarthingError {
  return new FarthingError('invalid_argument', `"${resource}" is not a priced resource`, {
    details: { field: 'resource' },
  });
}
