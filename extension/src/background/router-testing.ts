/**
 * For tests of the message router and what feeds it: a wallet with no network on
 * fake-indexeddb (the caller imports `fake-indexeddb/auto`), its confirmation desk, no tabs,
 * and the senders the router tells apart.
 */
import { openWallet } from '../wallet/wallet.ts';
import { ConfirmationDesk } from './confirmations.ts';
import type { routeMessage } from './router.ts';

/** The extension itself, as `chrome.runtime` names it. */
export const testIdentity = { id: 'wallet-id', baseUrl: 'chrome-extension://wallet-id/' };

/** A content script in a shop's top frame. */
export const contentSender = {
  id: 'wallet-id',
  url: 'https://shop.example/a',
  frameId: 0,
  tab: { id: 3 },
};

/** A browser with no tab open. */
const noTabs = {
  activeTab: async () => undefined,
  tab: async () => undefined,
  askPaywall: async () => null,
  navigate: async () => undefined,
};

/** What `routeMessage` needs, over a fresh offline wallet named after `name`. */
export async function openRouterDeps(name: string): Promise<Parameters<typeof routeMessage>[0]> {
  const confirmations = new ConfirmationDesk(
    { open: async () => 1, show: async () => undefined, close: async () => undefined },
    () => Date.now(),
    50,
  );
  const wallet = await openWallet({
    dbName: `${name}-${Math.random()}`,
    platform: { now: () => Date.now(), fetch: () => Promise.reject(new Error('offline')) },
    confirm: (request) => confirmations.confirm(request),
  });
  return { wallet, identity: testIdentity, confirmations, tabs: noTabs };
}
