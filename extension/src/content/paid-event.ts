/**
 * `farthing:paid` on `document` after a payment (merchant-sdk/src/browser/merchant-page.ts): a
 * notice the page may react to, never proof. After a paid link the page is leaving, it comes
 * only if the page is still there a moment after the navigation started (wallet-on-page.ts).
 * The detail is a JSON string because the content script runs in an isolated world, and only
 * a string crosses into the page's world.
 */
export const paidEventName = 'farthing:paid';

export interface PaidEventDetail {
  readonly resource: string;
  readonly amount: string;
  readonly receiptId: string;
}

export function dispatchPaidEvent(doc: Document, detail: PaidEventDetail): void {
  const CustomEventOfPage = doc.defaultView?.CustomEvent ?? CustomEvent;
  doc.dispatchEvent(new CustomEventOfPage(paidEventName, { detail: JSON.stringify(detail) }));
}
