// @vitest-environment happy-dom
/**
 * Each price shows once, in one spelling: the shop's own price beside a priced link, written as
 * the wallet writes prices, until the wallet marks the link with the price it verified; and no
 * glyph after priced titles. Laid out by the browser DOM with the shop's real stylesheet.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { articles, downloads, prints } from '../catalog/catalog.ts';
import { articlesPage } from './front.ts';
import { escapeHtml, trusted } from './html.ts';
import { displayPrice, type PricedLink } from './layout.ts';
import { downloadsPage, printPage } from './shelves.ts';

const stylesheet = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../assets/gazette.css'),
  'utf8',
);

/** Priced links shaped as the SDK writes them, with a placeholder offer (nothing is paid here). */
const link: PricedLink = async (href, text, attributes = {}) =>
  trusted(
    `<a href="${escapeHtml(href)}" data-farthing-offer="b2ZmZXI" data-farthing-price="EUR 0.05"${Object.entries(
      attributes,
    )
      .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
      .join('')}>${escapeHtml(text)}</a>`,
  );

/** The page's body under the shop's stylesheet (inlined: the test loads nothing). */
function show(markup: string): void {
  document.head.innerHTML = `<style>${stylesheet}</style>`;
  const body = markup.slice(markup.indexOf('<body'), markup.lastIndexOf('</body>'));
  document.body.innerHTML = body.slice(body.indexOf('>') + 1);
}

/** What the wallet's content script puts right after a link it has priced. */
function markAsTheWalletDoes(anchor: Element): void {
  const badge = document.createElement('span');
  badge.setAttribute('data-farthing-badge', '');
  badge.textContent = 'EUR 0.05';
  anchor.after(badge);
}

const shown = (element: Element) => getComputedStyle(element).display !== 'none';

afterEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = '';
});

describe('prices on the Gazette', () => {
  it('writes prices as the wallet does', () => {
    expect(displayPrice('EUR 0.05')).toBe('EUR 0.05');
    expect(displayPrice({ currency: 'EUR', minor: 1_200 })).toBe('EUR 12.00');
  });

  it('hides the shop’s price beside each priced link the wallet has marked, and only there', async () => {
    const markup = (await articlesPage(link)).text;
    show(markup);
    const before = Array.from(document.querySelectorAll('.teaser'));
    expect(before).toHaveLength(articles.filter((article) => article.price !== undefined).length);
    for (const item of before) {
      const price = item.querySelector('[data-shop-price]')!;
      expect(price.textContent).toMatch(/^EUR \d+\.\d{2}$/);
      expect(shown(price)).toBe(true);
    }
    // Laid out afresh: the wallet marks links as the page loads.
    show(markup);
    const items = Array.from(document.querySelectorAll('.teaser'));
    markAsTheWalletDoes(items[0]!.querySelector('a[data-farthing-offer]')!);
    expect(shown(items[0]!.querySelector('[data-shop-price]')!)).toBe(false);
    expect(shown(items[1]!.querySelector('[data-shop-price]')!)).toBe(true);
  });

  it('does the same for downloads and prints, whose buy button names no price of its own', async () => {
    show((await downloadsPage(link)).text);
    const download = document.querySelector('.download')!;
    markAsTheWalletDoes(download.querySelector('a[data-farthing-offer]')!);
    expect(shown(download.querySelector('[data-shop-price]')!)).toBe(false);
    expect(document.querySelectorAll('.download [data-shop-price]')).toHaveLength(downloads.length);

    show((await printPage(prints[0]!, link)).text);
    const buy = document.querySelector('a[data-farthing-offer]')!;
    expect(buy.textContent).toBe('View the full print');
    markAsTheWalletDoes(buy);
    expect(shown(document.querySelector('[data-shop-price]')!)).toBe(false);
  });

  it('adds no glyph after priced titles', () => {
    expect(stylesheet).not.toMatch(/farthing-priced::?after/);
    expect(stylesheet).not.toContain('⟠');
  });
});
