/**
 * Priced links as the page presents them: `<a href data-farthing-offer>`. Everything here is
 * hostile input; an anchor is used only when its offer and URL are within the limits the
 * background's schema accepts, so a page cannot make the wallet send garbage.
 * `data-farthing-price` is never read: the price shown comes from the background's verified
 * answer (DESIGN.md "Priced link", step 1: the markup price is only a hint).
 */

export const pricedLinkSelector = 'a[data-farthing-offer]';
/** A page with more priced links than this gets the first ones marked, not a flood of messages. */
export const maxPricedLinks = 500;
const maxOfferLength = 16_384;
const maxHrefLength = 2_048;

/** What the wallet sends the background for one link. */
export interface PricedLink {
  readonly offer: string;
  /** Absolute http(s) URL, resolved by the browser against the page. */
  readonly href: string;
}

export function readPricedLink(anchor: Element): PricedLink | null {
  if (!(anchor instanceof HTMLAnchorElement)) return null;
  const offer = anchor.getAttribute('data-farthing-offer');
  if (offer === null || offer.length === 0 || offer.length > maxOfferLength) return null;
  const href = safeHttpUrl(anchor.href);
  if (href === null) return null;
  return { offer, href };
}

/** The cache key of a link's offer: the same token on another URL is another question. */
export function pricedLinkKey(link: PricedLink): string {
  return `${link.href}\n${link.offer}`;
}

export function findPricedLinks(root: ParentNode): HTMLAnchorElement[] {
  const found: HTMLAnchorElement[] = [];
  for (const element of Array.from(root.querySelectorAll(pricedLinkSelector))) {
    if (found.length >= maxPricedLinks) break;
    if (element instanceof HTMLAnchorElement) found.push(element);
  }
  return found;
}

/**
 * The priced link an event happened on, looking through the composed path so links inside the
 * page's own shadow trees count too.
 */
export function pricedLinkOf(event: Event): HTMLAnchorElement | null {
  for (const target of event.composedPath()) {
    if (target instanceof HTMLAnchorElement && target.hasAttribute('data-farthing-offer')) {
      return target;
    }
  }
  return null;
}

/** `url` when it is an absolute http(s) URL the schema accepts, else null. */
export function safeHttpUrl(url: string): string | null {
  if (url.length === 0 || url.length > maxHrefLength) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.href;
}

/**
 * Where to go after paying: the background's `navigateTo`, but only on the page's own origin,
 * so neither a confused background nor a crafted offer can send the tab elsewhere.
 */
export function sameOriginTarget(navigateTo: string, pageUrl: string): string | null {
  const target = safeHttpUrl(navigateTo);
  if (target === null) return null;
  try {
    return new URL(target).origin === new URL(pageUrl).origin ? target : null;
  } catch {
    return null;
  }
}

/** A plain primary click: no modifier asks for a new tab, window or download. */
export function isPlainPrimaryClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
}
