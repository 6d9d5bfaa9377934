/**
 * Everything the Gazette sells and gives away, and the price table the merchant SDK guards.
 *
 * Each priced item is its own literal entry (not `/articles/:slug` at one price): articles
 * cost from one to twenty cents, prints and downloads are priced per item, and an address not
 * in the table (a slug that does not exist) is simply free, so it reaches the 404 page
 * instead of a paywall for nothing.
 */
import type { PriceEntry } from '@farthing/merchant-sdk/server';
import type { Article } from './article.ts';
import { type Download, downloads } from './downloads.ts';
import { features } from './features.ts';
import { freeReads } from './free-reads.ts';
import { type Print, prints } from './gallery.ts';
import { reports } from './reports.ts';

export type { Article } from './article.ts';
export { readingMinutes } from './article.ts';
export type { Download } from './downloads.ts';
export type { Print } from './gallery.ts';
export { printSvg } from './gallery.ts';

/** The priced articles, newest first. */
export const articles: readonly Article[] = [...features, ...reports].sort((a, b) =>
  b.published.localeCompare(a.published),
);
export { downloads, freeReads, prints };

export const articlePath = (article: Pick<Article, 'slug'>) => `/articles/${article.slug}`;
export const freeReadPath = (article: Pick<Article, 'slug'>) => `/free/${article.slug}`;
export const printPagePath = (print: Pick<Print, 'id'>) => `/gallery/${print.id}`;
export const printPath = (print: Pick<Print, 'id'>) => `/gallery/${print.id}/full`;
export const downloadPath = (download: Pick<Download, 'file'>) => `/downloads/${download.file}`;

/** What the SDK's guard prices; the title is what the wallet and the paywall show. */
export const priceTable: readonly PriceEntry[] = [
  ...articles.map((article) => ({
    path: articlePath(article),
    price: article.price!,
    title: article.title,
  })),
  ...prints.map((print) => ({
    path: printPath(print),
    price: print.price,
    title: `Print: ${print.title}`,
  })),
  ...downloads.map((download) => ({
    path: downloadPath(download),
    price: download.price,
    title: `Download: ${download.title}`,
  })),
];

export const findArticle = (slug: string) => articles.find((article) => article.slug === slug);
export const findFreeRead = (slug: string) => freeReads.find((article) => article.slug === slug);
export const findPrint = (id: string) => prints.find((print) => print.id === id);
export const findDownload = (file: string) => downloads.find((download) => download.file === file);
