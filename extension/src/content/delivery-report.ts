/**
 * The paid page failed (wallet/delivery/): the browser records this document's own HTTP status
 * in its navigation timing entry (`PerformanceNavigationTiming.responseStatus`, Resource
 * Timing Level 3), which the page cannot rewrite for this world's view. A 5xx is reported to
 * the background, which decides from the sender's URL whether it was a page the user paid for.
 * Any other status sends nothing.
 */
import { callBackground, type Transport } from '../messages/client.ts';

/** The navigation entries of this document (`performance.getEntriesByType`). */
export type NavigationEntries = () => readonly Pick<
  PerformanceNavigationTiming,
  'responseStatus'
>[];

/** Reports this page's 5xx; answers whether it did. */
export function reportFailedDelivery(transport: Transport, entries: NavigationEntries): boolean {
  const status = entries()[0]?.responseStatus ?? 0;
  if (!Number.isSafeInteger(status) || status < 500 || status > 599) return false;
  callBackground(transport, 'delivery.failed', { status }).catch(() => undefined);
  return true;
}
