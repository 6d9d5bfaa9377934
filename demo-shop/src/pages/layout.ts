/** The Gazette's page shell and the small pieces every page shares. */
import { type Amount, formatAmount, parseAmount } from '@farthing/merchant-sdk/server';
import { type Html, type HtmlPart, html } from './html.ts';

/** Writes a priced link through the merchant SDK (its signed offer in the markup). */
export type PricedLink = (
  href: string,
  text: string,
  attributes?: Readonly<Record<string, string>>,
) => Promise<Html>;

export const shopName = 'The Farthing Gazette';

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** `14 February 2026` from an ISO date. */
export const longDate = (iso: string) => dateFormat.format(new Date(`${iso}T12:00:00Z`));
/** `14 Feb, 09:30 UTC` from epoch milliseconds. */
export const shortTime = (ms: number) => timeFormat.format(new Date(ms));

/**
 * `EUR 0.05`: the form the Farthing wallet shows beside a priced link, so a reader never sees
 * one price in two spellings. Money stays integer until here.
 */
export function displayPrice(price: string | Amount): string {
  return formatAmount(typeof price === 'string' ? parseAmount(price) : price);
}

/**
 * The shop's own price beside a priced link, for readers without the wallet. It is marked
 * `data-shop-price`; inside a `priced-item` whose link the wallet has marked with its verified
 * price, the stylesheet hides it (gazette.css), so the price shows once.
 */
export const priceTag = (price: string) =>
  html`<span class="price-tag" data-shop-price title="Paid with the Farthing wallet">${displayPrice(price)}</span>`;

/** The class of an element holding one priced link and the shop's price for it. */
export const pricedItem = 'priced-item';

const sections: readonly [string, string][] = [
  ['/', 'Front page'],
  ['/articles', 'Articles'],
  ['/gallery', 'Prints'],
  ['/downloads', 'Downloads'],
  ['/free', 'Free to read'],
  ['/about', 'How paying works'],
  ['/cart', 'Cart'],
];

export interface PageOptions {
  readonly title: string;
  /** The current path, to mark the section in the navigation. */
  readonly path: string;
  readonly description?: string;
  readonly body: HtmlPart;
}

export function page(options: PageOptions): Html {
  const fullTitle = options.path === '/' ? shopName : `${options.title} · ${shopName}`;
  const current = (href: string) =>
    href === '/' ? options.path === '/' : options.path.startsWith(href);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${fullTitle}</title>
<meta name="description" content="${options.description ?? 'An independent weekly, paid by the article.'}">
<link rel="stylesheet" href="/assets/gazette.css">
<link rel="farthing-merchant" href="/.well-known/farthing-merchant">
<script src="/assets/gazette.js" defer></script>
</head>
<body>
<header class="masthead">
<p class="topline"><span>Independent since 1887 · Weekly</span><span>Paid by the article with Farthing</span></p>
<p class="title"><a href="/">${shopName}</a></p>
<nav aria-label="Sections"><ul>${sections.map(
    ([href, label]) =>
      html`<li><a href="${href}"${current(href) ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
</header>
<main id="content">
${options.body}
</main>
<p class="farthing-notice" id="farthing-notice" role="status" hidden></p>
<footer class="colophon">
<p>${shopName} · 12 Harbour Row · Letters to letters@gazette.example</p>
<p>Priced links are paid with the <a href="/about">Farthing wallet</a>. We never see your card, and no page here tracks you.</p>
</footer>
</body>
</html>
`;
}

/** Kicker, headline, standfirst, byline: the parts of a story header. */
export function byline(author: string, published: string, extra?: HtmlPart): Html {
  return html`<p class="byline">By ${author} · <time datetime="${published}">${longDate(published)}</time>${extra === undefined ? '' : html` · ${extra}`}</p>`;
}
