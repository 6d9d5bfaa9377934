/**
 * The browser's side of a carried payment (../wallet/pay/carry.ts): a
 * `declarativeNetRequest` session rule that sets `Authorization` on one tab's top-level GET of
 * one exact URL, added once the payment is stored `sent` and removed as soon as that navigation
 * has its answer (the tab shows the URL), the tab closes, or `carriedNavigationMs` pass.
 *
 * Session rules outlive the service worker (not the browser): a worker that starts removes the
 * ones an earlier worker left, whose payments resume resends the POST way.
 */
import type { NavigationCarrier } from '../wallet/pay/carry.ts';

/** How long a carried navigation may take to be answered before the rule goes anyway. */
export const carriedNavigationMs = 10_000;

/** The parts of the browser API the carrier uses (webextension-polyfill's shapes). */
export interface CarrierBrowser {
  readonly declarativeNetRequest: {
    updateSessionRules(options: {
      addRules?: CarryRule[];
      removeRuleIds?: number[];
    }): Promise<void>;
    getSessionRules(): Promise<{ id: number }[]>;
  };
  readonly tabs: {
    readonly onUpdated: TabEvent<
      (tabId: number, change: { status?: string; url?: string }, tab: { url?: string }) => void
    >;
    readonly onRemoved: TabEvent<(tabId: number) => void>;
  };
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

interface TabEvent<T> {
  addListener(listener: T): void;
  removeListener(listener: T): void;
}

/** One carried navigation's rule. */
export interface CarryRule {
  id: number;
  priority: number;
  action: {
    type: 'modifyHeaders';
    requestHeaders: { header: string; operation: 'set'; value: string }[];
  };
  condition: {
    regexFilter: string;
    isUrlFilterCaseSensitive: boolean;
    resourceTypes: 'main_frame'[];
    requestMethods: 'get'[];
    tabIds: number[];
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** The rule making `tabId`'s top-level GET of exactly `url` carry `authorization`. */
export function carryRule(
  id: number,
  tabId: number,
  url: string,
  authorization: string,
): CarryRule {
  // The request's URL has no fragment; the tab's address (`#carry`) keeps it.
  const target = new URL(url);
  target.hash = '';
  return {
    id,
    priority: 1,
    action: {
      type: 'modifyHeaders',
      requestHeaders: [{ header: 'Authorization', operation: 'set', value: authorization }],
    },
    condition: {
      regexFilter: `^${escapeRegExp(target.href)}$`,
      isUrlFilterCaseSensitive: true,
      resourceTypes: ['main_frame'],
      requestMethods: ['get'],
      tabIds: [tabId],
    },
  };
}

/** Carriers for the tabs of one browser, numbering their rules. */
export class NavigationCarriers {
  readonly #browser: CarrierBrowser;
  #nextId = 1;
  /** Rules left by an earlier worker, removed before the first new one is added. */
  readonly #cleared: Promise<void>;

  constructor(browser: CarrierBrowser) {
    this.#browser = browser;
    this.#cleared = browser.declarativeNetRequest
      .getSessionRules()
      .then(async (rules) => {
        const ids = rules.map((rule) => rule.id);
        this.#nextId = Math.max(0, ...ids) + 1;
        if (ids.length > 0) {
          await browser.declarativeNetRequest.updateSessionRules({ removeRuleIds: ids });
        }
      })
      .catch(() => undefined);
  }

  forTab(tabId: number): NavigationCarrier {
    return { carry: (url, authorization) => this.#carry(tabId, url, authorization) };
  }

  async #carry(
    tabId: number,
    url: string,
    authorization: string,
  ): Promise<{ readonly arrived: Promise<void> }> {
    await this.#cleared;
    const browser = this.#browser;
    const id = this.#nextId++;
    const href = new URL(url).href;
    let finish = (): void => undefined;
    const answered = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const onUpdated = (
      updated: number,
      change: { status?: string; url?: string },
      tab: { url?: string },
    ) => {
      // The tab's address becomes the URL when the navigation commits: its answer has come.
      if (updated === tabId && (change.url === href || (change.status && tab.url === href))) {
        finish();
      }
    };
    const onRemoved = (removed: number) => {
      if (removed === tabId) finish();
    };
    const timer = browser.setTimeout(finish, carriedNavigationMs);
    browser.tabs.onUpdated.addListener(onUpdated);
    browser.tabs.onRemoved.addListener(onRemoved);
    const arrived = answered.then(async () => {
      browser.clearTimeout(timer);
      browser.tabs.onUpdated.removeListener(onUpdated);
      browser.tabs.onRemoved.removeListener(onRemoved);
      await browser.declarativeNetRequest
        .updateSessionRules({ removeRuleIds: [id] })
        .catch(() => undefined);
    });
    try {
      await browser.declarativeNetRequest.updateSessionRules({
        addRules: [carryRule(id, tabId, href, authorization)],
      });
    } catch (error) {
      finish();
      await arrived;
      throw error;
    }
    return { arrived };
  }
}
