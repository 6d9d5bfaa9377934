import { parseAmount } from '@farthing/merchant-sdk/server';
import { describe, expect, it } from 'vitest';
import { prose } from './article.ts';
import {
  articles,
  downloads,
  findArticle,
  findDownload,
  freeReads,
  priceTable,
  printSvg,
  prints,
} from './catalog.ts';

const minor = (price: string) => parseAmount(price).minor;

describe('the catalog', () => {
  it('sells eight articles at one to twenty cents and gives three away', () => {
    expect(articles).toHaveLength(8);
    const prices = articles.map((article) => minor(article.price!));
    expect(Math.min(...prices)).toBe(1);
    expect(Math.max(...prices)).toBe(20);
    expect(freeReads.every((read) => read.price === undefined)).toBe(true);
    const slugs = [...articles, ...freeReads].map((article) => article.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const article of [...articles, ...freeReads]) {
      expect(article.paragraphs.length).toBeGreaterThanOrEqual(3);
      expect(article.paragraphs.join(' ')).not.toMatch(/lorem|ipsum/i);
    }
  });

  it('prices each article, print and download as its own entry', () => {
    expect(priceTable).toHaveLength(articles.length + prints.length + downloads.length);
    expect(new Set(priceTable.map((entry) => entry.path)).size).toBe(priceTable.length);
    expect(priceTable.find((entry) => entry.path === '/gallery/murmuration/full')).toEqual({
      path: '/gallery/murmuration/full',
      price: 'EUR 0.05',
      title: 'Print: Murmuration over the Old Pier',
    });
  });

  it('finds items by their address segment only', () => {
    expect(findArticle('night-bakery')?.title).toBe(
      'A Week Inside the Night Bakery on Quay Street',
    );
    expect(findArticle('Night-Bakery')).toBeUndefined();
    expect(findDownload('tide-table-2026-q1.csv')?.format).toBe('CSV');
  });
});

describe('prose', () => {
  it('joins wrapped lines and splits paragraphs on blank lines', () => {
    expect(prose('\n  One line\n  wrapped.\n\n  Two.\n  ')).toEqual(['One line wrapped.', 'Two.']);
  });
});

describe('prints and downloads', () => {
  it('draws the same print every time, the preview blurred and marked', () => {
    const print = prints[1]!;
    const full = printSvg(print, { preview: false });
    expect(printSvg(print, { preview: false })).toBe(full);
    expect(full).toContain('<title>Murmuration over the Old Pier, by Ines Varga</title>');
    expect(full).not.toContain('PREVIEW');
    const preview = printSvg(print, { preview: true });
    expect(preview).toContain('feGaussianBlur');
    expect(preview).toContain('PREVIEW');
  });

  it('makes the tide table a CSV of 90 days with two high waters each', () => {
    const csv = findDownload('tide-table-2026-q1.csv')!.contents().trimEnd().split('\n');
    expect(csv[0]).toBe('date,high_water_1,height_1_m,high_water_2,height_2_m');
    expect(csv).toHaveLength(91);
    expect(csv[1]).toMatch(/^2026-01-01,\d\d:\d\d,\d\.\d,\d\d:\d\d,\d\.\d$/);
    expect(csv[90]).toMatch(/^2026-03-31,/);
  });
});
