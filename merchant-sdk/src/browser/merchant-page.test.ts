/**
 * No DOM library is installed (neither happy-dom nor jsdom), so the document here is a small
 * stand-in with just the calls the module makes; events use Node's own EventTarget and
 * CustomEvent, which are the web-standard classes.
 */
import { describe, expect, it } from 'vitest';
import {
  declareMerchant,
  dispatchFarthingPaid,
  type MerchantDocument,
  markPricedLinks,
  onFarthingPaid,
  paidEventName,
  readPaidDetail,
} from './merchant-page.ts';

function fakeDocument(options: { hasLink?: boolean; pricedLinks?: number } = {}) {
  const appended: { rel: string; href: string }[] = [];
  const links = Array.from({ length: options.pricedLinks ?? 0 }, () => new Set<string>());
  const doc: MerchantDocument = {
    head: {
      querySelector: ((selector: string) =>
        selector === 'link[rel~="farthing-merchant"]' && (options.hasLink || appended.length > 0)
          ? ({} as Element)
          : null) as never,
      append: ((node: { rel: string; href: string }) => appended.push(node)) as never,
    },
    createElement: () => ({ rel: '', href: '' }),
    querySelectorAll: (selector: string) => ({
      forEach(callback) {
        if (selector !== 'a[data-farthing-offer]') return;
        for (const classes of links) {
          callback({ classList: { add: (name: string) => classes.add(name) } as never });
        }
      },
    }),
  };
  return { doc, appended, links };
}

describe('the merchant page', () => {
  it('declares the merchant descriptor once', () => {
    const { doc, appended } = fakeDocument();
    declareMerchant(doc);
    declareMerchant(doc);
    expect(appended).toEqual([
      { rel: 'farthing-merchant', href: '/.well-known/farthing-merchant' },
    ]);
  });

  it('leaves a declaration the page already has', () => {
    const { doc, appended } = fakeDocument({ hasLink: true });
    declareMerchant(doc);
    expect(appended).toEqual([]);
  });

  it('marks every priced link with a class', () => {
    const { doc, links } = fakeDocument({ pricedLinks: 3 });
    expect(markPricedLinks(doc)).toBe(3);
    expect(links.map((classes) => [...classes])).toEqual([
      ['farthing-priced'],
      ['farthing-priced'],
      ['farthing-priced'],
    ]);
    markPricedLinks(doc, 'paid-link');
    expect([...links[0]!]).toEqual(['farthing-priced', 'paid-link']);
  });

  it('tells the page when the wallet completed a payment, until unsubscribed', () => {
    const target = new EventTarget();
    const seen: unknown[] = [];
    const stop = onFarthingPaid((detail) => seen.push(detail), target);
    dispatchFarthingPaid({ resource: '/articles/7', amount: 'EUR 0.05', receiptId: 'abc' }, target);
    // The wallet's content script may send an object too.
    target.dispatchEvent(
      new CustomEvent(paidEventName, { detail: { resource: '/articles/8', amount: 'EUR 0.05' } }),
    );
    stop();
    dispatchFarthingPaid({ resource: '/articles/9', amount: 'EUR 0.05' }, target);
    expect(seen).toEqual([
      { resource: '/articles/7', amount: 'EUR 0.05', receiptId: 'abc' },
      { resource: '/articles/8', amount: 'EUR 0.05' },
    ]);
  });

  it.each([
    ['no detail', undefined],
    ['text that is not JSON', '{'],
    ['a relative resource', { resource: 'articles/7', amount: 'EUR 0.05' }],
    ['a numeric amount', { resource: '/a', amount: 5 }],
    ['a numeric receipt id', { resource: '/a', amount: 'EUR 0.05', receiptId: 1 }],
  ])('ignores an event with %s', (_, detail) => {
    expect(readPaidDetail(new CustomEvent(paidEventName, { detail }))).toBeUndefined();
  });
});
