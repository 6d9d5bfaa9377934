/**
 * What each priced address of the shop serves once paid, from the shop's own catalog, so a
 * test can tell content from a paywall: an article's paragraphs, a print's SVG without the
 * preview's watermark, a download's bytes.
 */
import {
  articlePath,
  articles,
  downloadPath,
  downloads,
  printPath,
  prints,
} from '@farthing/demo-shop/catalog';
import { parseAmount } from '@farthing/protocol/amount';

export interface PricedItem {
  readonly path: string;
  /** Minor units. */
  readonly price: number;
  /** Text that only the paid content holds. */
  readonly secret: string;
}

/**
 * The longest stretch of a paragraph that HTML escaping leaves as it is: the last paragraph is
 * in neither the teaser, the standfirst nor the paywall, so only the paid page holds it.
 */
function secretOf(paragraph: string): string {
  const stretches = paragraph.split(/[&<>"']/).map((stretch) => stretch.trim());
  return stretches.sort((a, b) => b.length - a.length)[0]!;
}

export const pricedArticles: readonly PricedItem[] = articles.map((article) => ({
  path: articlePath(article),
  price: parseAmount(article.price!).minor,
  secret: secretOf(article.paragraphs.at(-1)!),
}));

export const pricedItems: readonly PricedItem[] = [
  ...pricedArticles,
  ...prints.map((print) => ({
    path: printPath(print),
    price: parseAmount(print.price).minor,
    secret: `<title>${print.title}, by ${print.artist}</title>`,
  })),
  ...downloads.map((download) => ({
    path: downloadPath(download),
    price: parseAmount(download.price).minor,
    secret: download.contents(),
  })),
];

export function item(path: string): PricedItem {
  const found = pricedItems.find((candidate) => candidate.path === path);
  if (found === undefined) throw new Error(`${path} is not priced`);
  return found;
}
