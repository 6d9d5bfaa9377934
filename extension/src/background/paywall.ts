/**
 * Paying the 402 paywall of the active tab from the toolbar (DESIGN.md, "Priced link": "the
 * wallet offers to pay it from the page or the toolbar"). The popup's button is the user's
 * gesture; the offer is read again from the tab's content script at that moment and checked
 * exactly as a link click is, against the tab's URL as the browser reports it.
 */
import * as v from 'valibot';
import { type ActivePaywall, type PayOutcome, paywallLinkSchema } from '../messages/contract.ts';
import { WalletFailure } from '../wallet/errors.ts';
import { describeOffer, payOffer } from '../wallet/pay/pay.ts';
import type { Wallet } from '../wallet/wallet.ts';

export interface BrowserTab {
  readonly id: number;
  readonly url: string;
}

/** The browser's tabs as the paywall flow uses them (`tabs.*` in the service worker). */
export interface TabBridge {
  /** The active tab of the last focused normal window. */
  activeTab(): Promise<BrowserTab | undefined>;
  tab(id: number): Promise<BrowserTab | undefined>;
  /** Asks the content script in the tab's top frame for its paywall link (unvalidated). */
  askPaywall(tabId: number): Promise<unknown>;
  navigate(tabId: number, url: string): Promise<void>;
}

function isWebPage(url: string): boolean {
  return url.startsWith('https://') || url.startsWith('http://');
}

/** The content script runs in the page's process: its answer is validated like any input. */
async function paywallLinkOf(tabs: TabBridge, tab: BrowserTab) {
  if (!isWebPage(tab.url)) return null;
  let answer: unknown;
  try {
    answer = await tabs.askPaywall(tab.id);
  } catch {
    return null; // no content script there (a page loaded before the wallet, a browser page)
  }
  const parsed = v.safeParse(paywallLinkSchema, answer ?? null);
  return parsed.success ? parsed.output : null;
}

export async function activePaywall(
  wallet: Wallet,
  tabs: TabBridge,
): Promise<ActivePaywall | null> {
  const tab = await tabs.activeTab();
  if (tab === undefined) return null;
  const link = await paywallLinkOf(tabs, tab);
  if (link === null) return null;
  const offer = await describeOffer(wallet, {
    token: link.offer,
    href: link.href,
    pageUrl: tab.url,
  });
  return { tabId: tab.id, pageUrl: tab.url, offer };
}

export async function payTabPaywall(
  wallet: Wallet,
  tabs: TabBridge,
  tabId: number,
): Promise<PayOutcome> {
  const tab = await tabs.tab(tabId);
  const link = tab === undefined ? null : await paywallLinkOf(tabs, tab);
  if (tab === undefined || link === null) {
    throw new WalletFailure('offer_invalid', 'That tab no longer shows a page to pay for.');
  }
  const outcome = await payOffer(wallet, wallet.hooks, {
    token: link.offer,
    href: link.href,
    pageUrl: tab.url,
    // The popup's Pay button: the wallet's own UI, which no page can cover or restyle.
    seen: 'wallet',
  });
  if (outcome.status === 'paid') await tabs.navigate(tab.id, outcome.navigateTo);
  return outcome;
}
