/**
 * `@farthing/merchant-sdk/browser`: the few lines a merchant's page runs. It holds no keys and
 * no money and decides nothing: the wallet extension finds priced links on its own, checks the
 * signed offers, and pays (DESIGN.md "Priced link", steps 2–4). This module only
 *
 * - declares the merchant (`<link rel="farthing-merchant">`, so the wallet finds the
 *   descriptor even where the page was not rendered by the SDK),
 * - marks priced links with a class, for the site's own styling, and
 * - lets the page react when the wallet reports a completed payment (`farthing:paid`).
 *
 * The `farthing:paid` event is a `CustomEvent` on `document` whose `detail` is
 * `{ resource, amount, receiptId? }` — or the same as a JSON string, which is what the
 * wallet's content script sends: it runs in an isolated world, and a string crosses into the
 * page's world in every browser. It is a notice, never proof of payment: the page may reload
 * or show the content, and the server decides with the grant cookie.
 *
 * Everything takes the document (or event target) as a parameter, so it runs against any DOM.
 */

/** Where the SDK serves the merchant descriptor. */
export const descriptorHref = '/.well-known/farthing-merchant';
/** What a priced link is: an anchor carrying a signed offer. */
export const pricedLinkSelector = 'a[data-farthing-offer]';
/** The class `markPricedLinks` adds by default. */
export const pricedLinkClass = 'farthing-priced';
/** The DOM event the wallet dispatches on `document` after paying. */
export const paidEventName = 'farthing:paid';

/** What the wallet reports about a payment it completed on this page. */
export interface FarthingPaidDetail {
  /** The paid path, as in the offer (`/articles/7`). */
  readonly resource: string;
  /** `EUR 0.05`. */
  readonly amount: string;
  /** base64url receipt id, to quote to the merchant. */
  readonly receiptId?: string;
}

/** The parts of `Document` this module uses. */
export interface MerchantDocument {
  readonly head: Pick<HTMLHeadElement, 'querySelector' | 'append'>;
  createElement(tagName: 'link'): Pick<HTMLLinkElement, 'rel' | 'href'>;
  querySelectorAll(selectors: string): {
    forEach(callback: (element: Pick<Element, 'classList'>) => void): void;
  };
}

/** Adds `<link rel="farthing-merchant" href="…">` to the head unless the page has one. */
export function declareMerchant(
  doc: MerchantDocument = document,
  href: string = descriptorHref,
): void {
  if (doc.head.querySelector('link[rel~="farthing-merchant"]') !== null) return;
  const link = doc.createElement('link');
  link.rel = 'farthing-merchant';
  link.href = href;
  doc.head.append(link as HTMLLinkElement);
}

/** Adds `className` to every priced link under `root`; returns how many it found. */
export function markPricedLinks(
  root: Pick<MerchantDocument, 'querySelectorAll'> = document,
  className: string = pricedLinkClass,
): number {
  let count = 0;
  root.querySelectorAll(pricedLinkSelector).forEach((link) => {
    link.classList.add(className);
    count++;
  });
  return count;
}

function isPaidDetail(value: unknown): value is FarthingPaidDetail {
  if (typeof value !== 'object' || value === null) return false;
  const detail = value as Record<string, unknown>;
  return (
    typeof detail.resource === 'string' &&
    detail.resource.startsWith('/') &&
    typeof detail.amount === 'string' &&
    (detail.receiptId === undefined || typeof detail.receiptId === 'string')
  );
}

/** The detail of a `farthing:paid` event, validated; undefined when it is not one. */
export function readPaidDetail(event: Event): FarthingPaidDetail | undefined {
  let detail = (event as CustomEvent<unknown>).detail;
  if (typeof detail === 'string') {
    try {
      detail = JSON.parse(detail);
    } catch {
      return undefined;
    }
  }
  if (!isPaidDetail(detail)) return undefined;
  return {
    resource: detail.resource,
    amount: detail.amount,
    ...(detail.receiptId === undefined ? {} : { receiptId: detail.receiptId }),
  };
}

/** Calls `listener` for every well-formed `farthing:paid` event; returns the unsubscribe. */
export function onFarthingPaid(
  listener: (detail: FarthingPaidDetail) => void,
  target: EventTarget = document,
): () => void {
  const handler = (event: Event) => {
    const detail = readPaidDetail(event);
    if (detail !== undefined) listener(detail);
  };
  target.addEventListener(paidEventName, handler);
  return () => target.removeEventListener(paidEventName, handler);
}

/** Dispatches `farthing:paid` (what the wallet does; also for the page's own tests). */
export function dispatchFarthingPaid(
  detail: FarthingPaidDetail,
  target: EventTarget = document,
): void {
  target.dispatchEvent(new CustomEvent(paidEventName, { detail: JSON.stringify(detail) }));
}

/**
 * Declares the merchant, marks priced links now and whenever the page adds some, and returns
 * a function that stops watching.
 */
export function startMerchantPage(doc: Document = document): () => void {
  declareMerchant(doc);
  markPricedLinks(doc);
  const observer = new MutationObserver(() => markPricedLinks(doc));
  observer.observe(doc.documentElement, { childList: true, subtree: true });
  return () => observer.disconnect();
}
