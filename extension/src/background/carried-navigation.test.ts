import { describe, expect, it } from 'vitest';
import {
  type CarrierBrowser,
  type CarryRule,
  carriedNavigationMs,
  carryRule,
  NavigationCarriers,
} from './carried-navigation.ts';

type Updated = (
  tabId: number,
  change: { status?: string; url?: string },
  tab: { url?: string },
) => void;
type Removed = (tabId: number) => void;

/** The browser's session rules, tab events and timers, driven by the test. */
class FakeBrowser implements CarrierBrowser {
  rules: CarryRule[] = [];
  refuse = false;
  readonly updatedListeners = new Set<Updated>();
  readonly removedListeners = new Set<Removed>();
  readonly timers = new Map<number, () => void>();
  #timer = 0;

  constructor(left: CarryRule[] = []) {
    this.rules = left;
  }

  readonly declarativeNetRequest = {
    updateSessionRules: async (options: { addRules?: CarryRule[]; removeRuleIds?: number[] }) => {
      if (this.refuse && options.addRules !== undefined) throw new Error('rule refused');
      const removed = new Set(options.removeRuleIds ?? []);
      this.rules = [
        ...this.rules.filter((rule) => !removed.has(rule.id)),
        ...(options.addRules ?? []),
      ];
    },
    getSessionRules: async () => this.rules,
  };

  readonly tabs = {
    onUpdated: {
      addListener: (listener: Updated) => this.updatedListeners.add(listener),
      removeListener: (listener: Updated) => this.updatedListeners.delete(listener),
    },
    onRemoved: {
      addListener: (listener: Removed) => this.removedListeners.add(listener),
      removeListener: (listener: Removed) => this.removedListeners.delete(listener),
    },
  };

  setTimeout(run: () => void, ms: number): unknown {
    expect(ms).toBe(carriedNavigationMs);
    this.#timer += 1;
    this.timers.set(this.#timer, run);
    return this.#timer;
  }

  clearTimeout(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  update(tabId: number, change: { status?: string; url?: string }, url: string): void {
    for (const listener of this.updatedListeners) listener(tabId, change, { url });
  }
}

const url = 'https://shop.example/articles/1?x=1';
const authorization = 'Farthing credential="abc"';

function matches(rule: CarryRule, candidate: string): boolean {
  return new RegExp(rule.condition.regexFilter).test(candidate);
}

describe('carrying a payment on a tab’s navigation', () => {
  it('sets Authorization on that tab’s top-level GET of exactly that URL', () => {
    const rule = carryRule(7, 42, url, authorization);
    expect(rule.action.requestHeaders).toEqual([
      { header: 'Authorization', operation: 'set', value: authorization },
    ]);
    expect(rule.condition).toMatchObject({
      resourceTypes: ['main_frame'],
      requestMethods: ['get'],
      tabIds: [42],
      isUrlFilterCaseSensitive: true,
    });
    expect(matches(rule, url)).toBe(true);
    for (const other of [
      `${url}&y=2`,
      'https://shop.example/articles/1?x=12',
      'https://shop.example/articles/1',
      'https://evil.example/?https://shop.example/articles/1?x=1',
      'https://shop.example/articles/1Ax=1',
    ]) {
      expect(matches(rule, other), other).toBe(false);
    }
  });

  it('removes the rule once the tab shows the URL, and clears rules an earlier worker left', async () => {
    const browser = new FakeBrowser([carryRule(5, 1, 'https://old.example/', authorization)]);
    const carriers = new NavigationCarriers(browser);
    const { arrived } = await carriers.forTab(42).carry(url, authorization);
    expect(browser.rules.map((rule) => rule.id)).toEqual([6]);
    let done = false;
    void arrived.then(() => {
      done = true;
    });
    // Another tab, and this tab's old page finishing, are not the navigation's answer.
    browser.update(7, { url }, url);
    browser.update(42, { status: 'complete' }, 'https://shop.example/');
    await Promise.resolve();
    expect(done).toBe(false);
    browser.update(42, { status: 'loading', url }, url);
    await arrived;
    expect(browser.rules).toEqual([]);
    expect(browser.updatedListeners.size).toBe(0);
    expect(browser.removedListeners.size).toBe(0);
    expect(browser.timers.size).toBe(0);
  });

  it('removes the rule when the tab closes or no navigation comes in time', async () => {
    const browser = new FakeBrowser();
    const carriers = new NavigationCarriers(browser);
    const closed = await carriers.forTab(1).carry(url, authorization);
    const late = await carriers.forTab(2).carry(url, authorization);
    expect(browser.rules).toHaveLength(2);
    for (const listener of browser.removedListeners) listener(1);
    await closed.arrived;
    expect(browser.rules.map((rule) => rule.condition.tabIds)).toEqual([[2]]);
    for (const run of browser.timers.values()) run();
    await late.arrived;
    expect(browser.rules).toEqual([]);
  });

  it('throws and leaves nothing behind when the browser refuses the rule', async () => {
    const browser = new FakeBrowser();
    browser.refuse = true;
    const carriers = new NavigationCarriers(browser);
    await expect(carriers.forTab(1).carry(url, authorization)).rejects.toThrow('rule refused');
    expect(browser.rules).toEqual([]);
    expect(browser.updatedListeners.size).toBe(0);
    expect(browser.timers.size).toBe(0);
  });
});
