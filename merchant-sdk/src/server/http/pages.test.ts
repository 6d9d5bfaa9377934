// @vitest-environment happy-dom
/**
 * The paywall page as a browser lays it out: its own pay link for people without the wallet,
 * and only the wallet's pay bar once the wallet has added one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { paywallHtml } from './pages.ts';

afterEach(() => {
  document.documentElement.innerHTML = '<head></head><body></body>';
});

function showPaywall(): HTMLAnchorElement {
  const html = paywallHtml({
    merchantName: 'The Farthing Gazette',
    resource: '/articles/7',
    title: 'Why farthings',
    price: { currency: 'EUR', minor: 5 },
    offerToken: 'b2ZmZXI',
  });
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  document.head.replaceWith(document.importNode(parsed.head, true));
  document.body.replaceWith(document.importNode(parsed.body, true));
  return document.querySelector('a[data-farthing-offer]') as HTMLAnchorElement;
}

describe('the paywall page', () => {
  it('offers its own pay link when no wallet is there', () => {
    const link = showPaywall();
    expect(link.textContent).toBe('Pay EUR 0.05 and continue');
    expect(getComputedStyle(link.parentElement!).display).not.toBe('none');
  });

  it('hides its own pay link once the wallet has added its pay bar', () => {
    const link = showPaywall();
    const bar = document.createElement('div');
    bar.setAttribute('data-farthing-paywall', '');
    document.documentElement.append(bar);
    expect(getComputedStyle(link.parentElement!).display).toBe('none');
    expect(getComputedStyle(document.querySelector('.price')!).display).not.toBe('none');
  });
});
