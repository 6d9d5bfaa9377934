/** The front page, the section indexes and the page that explains paying. */
import {
  type Article,
  articlePath,
  articles,
  downloads,
  freeReadPath,
  freeReads,
  printPagePath,
  prints,
  readingMinutes,
} from '../catalog/catalog.ts';
import { type Html, html } from './html.ts';
import { byline, longDate, type PricedLink, page, pricedItem, priceTag } from './layout.ts';

async function teaser(
  article: Article,
  link: PricedLink,
  options: { lead?: boolean } = {},
): Promise<Html> {
  const headline = await link(articlePath(article), article.title, { class: 'headline-link' });
  const heading = options.lead
    ? html`<h2 class="lead-headline">${headline}</h2>`
    : html`<h3>${headline}</h3>`;
  return html`<article class="${options.lead ? 'teaser lead' : 'teaser'} ${pricedItem}">
<p class="kicker">${article.section}</p>
${heading}
<p class="dek">${article.dek}</p>
${byline(article.author, article.published, html`${readingMinutes(article)} min read · ${priceTag(article.price!)}`)}
</article>`;
}

const freeList = html`<ul class="free-list">${freeReads.map(
  (read) =>
    html`<li><a href="${freeReadPath(read)}">${read.title}</a><span class="free-tag">Free</span></li>`,
)}</ul>`;

export async function frontPage(link: PricedLink): Promise<Html> {
  // The long read leads; the rest follow newest first.
  const lead = [...articles].sort((a, b) => b.paragraphs.length - a.paragraphs.length)[0]!;
  const rest = articles.filter((article) => article !== lead);
  const teasers = await Promise.all(rest.map((article) => teaser(article, link)));
  const gallery = prints
    .slice(0, 3)
    .map(
      (print) =>
        html`<li><a href="${printPagePath(print)}"><img src="/gallery/${print.id}/preview.svg" alt="" width="240" height="150" loading="lazy"><span>${print.title}</span></a></li>`,
    );
  return page({
    title: 'Front page',
    path: '/',
    body: html`<p class="edition">Edition of ${longDate(articles[0]!.published)}</p>
<div class="front">
<section class="stories" aria-label="Articles">
${await teaser(lead, link, { lead: true })}
<div class="teaser-grid">${teasers}</div>
</section>
<aside class="sidebar">
<section aria-labelledby="free-heading"><h2 id="free-heading">Free to read</h2>${freeList}</section>
<section aria-labelledby="prints-heading"><h2 id="prints-heading">From the print room</h2>
<ul class="print-strip">${gallery}</ul><p><a href="/gallery">All prints</a></p></section>
<section aria-labelledby="downloads-heading"><h2 id="downloads-heading">Downloads</h2>
<ul class="free-list">${downloads.map(
      (download) =>
        html`<li><a href="/downloads#${download.file}">${download.title}</a>${priceTag(download.price)}</li>`,
    )}</ul></section>
<section class="how" aria-labelledby="how-heading"><h2 id="how-heading">Pay as you read</h2>
<p>Each article has a price, usually a few cents. With the Farthing wallet, hover a headline to
see it and click to pay and read. <a href="/about">How it works</a>.</p></section>
</aside>
</div>`,
  });
}

export async function articlesPage(link: PricedLink): Promise<Html> {
  const teasers = await Promise.all(articles.map((article) => teaser(article, link)));
  return page({
    title: 'Articles',
    path: '/articles',
    body: html`<h1 class="section-title">Articles</h1>
<p class="section-intro">Every article this week, with its price. Paid articles stay open to you for a day.</p>
<div class="teaser-grid">${teasers}</div>`,
  });
}

export function freeIndexPage(): Html {
  return page({
    title: 'Free to read',
    path: '/free',
    body: html`<h1 class="section-title">Free to read</h1>
<p class="section-intro">The editor's notes, the letters and the weather: free, as they always were.</p>
${freeReads.map(
  (read) => html`<article class="teaser">
<p class="kicker">${read.section}</p>
<h3><a href="${freeReadPath(read)}">${read.title}</a></h3>
<p class="dek">${read.dek}</p>
${byline(read.author, read.published, html`<span class="free-tag">Free</span>`)}
</article>`,
)}`,
  });
}

export function aboutPage(bankUrl: string): Html {
  return page({
    title: 'How paying works',
    path: '/about',
    body: html`<article class="story">
<h1>How paying works</h1>
<p class="dek">No subscription and no account: the price is on the link, and a click pays it.</p>
<div class="story-body">
<p>Links to our articles, prints and downloads carry a price, signed by us so that your wallet
can check it. With the Farthing browser extension installed, hovering a priced link shows the
price and who you are paying; clicking pays and opens the page. The first payment to a new site,
or anything above the limit you set, asks you to confirm first.</p>
<p>Your wallet pays with PayWord micropayments (one signature when you start reading here, then a
single hash per click) or with anonymous e-cash coins from your bank. Either way we are paid by
<a href="${bankUrl}/v1/openapi.json">our bank</a>, and we never learn your name or your card.</p>
<p>Without the wallet, a priced page answers <code>402 Payment Required</code> with a short
explanation and the same signed price, so a program can pay it too. Our merchant details, with the
certificate our bank issued, are published at
<a href="/.well-known/farthing-merchant"><code>/.well-known/farthing-merchant</code></a>.</p>
<p>What you have paid for stays open to you in this browser for a day. The free section, the
print previews and this page cost nothing.</p>
</div>
</article>`,
  });
}
