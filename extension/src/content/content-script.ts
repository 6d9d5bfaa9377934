/**
 * The content script's entry: the wallet on this page, talking to the background over one
 * runtime port (the background takes tab and origin from the browser's MessageSender).
 * Built as a standalone IIFE, so no web-accessible resource betrays the wallet to pages.
 */
import { withoutNavigationId } from '@farthing/protocol/http/paying-navigation';
import browser from 'webextension-polyfill';
import { paywallQuery } from '../messages/contract.ts';
import { contentPortName, portTransport } from '../messages/port.ts';
import { startCardCheckout } from './card-checkout.ts';
import { reportFailedDelivery } from './delivery-report.ts';
import { findPaywallLink } from './paywall-bar.ts';
import { readPricedLink } from './priced-links.ts';
import { startWalletOnPage } from './wallet-on-page.ts';

if (document.documentElement !== null) {
  // A paid page a click went to at once: the navigation id in its URL has done its job
  // (@farthing/protocol/http/paying-navigation), and a copied or bookmarked URL is cleaner without.
  const tidy = withoutNavigationId(location.href);
  if (tidy !== undefined) history.replaceState(history.state, '', tidy);
  const wallet = startWalletOnPage(document, {
    transport: portTransport(() => browser.runtime.connect({ name: contentPortName })),
    pageUrl: () => location.href,
    navigate: (url) => location.assign(url),
    reload: () => location.reload(),
    stopLoading: () => window.stop(),
  });
  void wallet.scan();
  // "Pay with card" on checkout pages (card-checkout.ts).
  startCardCheckout(document, {
    transport: portTransport(() => browser.runtime.connect({ name: contentPortName })),
    pageUrl: () => location.href,
    navigate: (url) => location.assign(url),
  });
  // A paid page that answered 5xx: the wallet retries it, then offers a refund (wallet/delivery/).
  reportFailedDelivery(
    portTransport(() => browser.runtime.connect({ name: contentPortName })),
    () => performance.getEntriesByType('navigation') as PerformanceNavigationTiming[],
  );
}

// The one message the content script answers: the wallet's background (this extension, not
// a tab) asking for this page's paywall link, so the toolbar can pay it. Pages cannot send it.
browser.runtime.onMessage.addListener((message: unknown, sender: browser.Runtime.MessageSender) => {
  if (sender.id !== browser.runtime.id || sender.tab !== undefined) return undefined;
  if ((message as { type?: unknown } | null)?.type !== paywallQuery.type) return undefined;
  const anchor = findPaywallLink(document, location.href);
  return Promise.resolve(anchor === null ? null : readPricedLink(anchor));
});
