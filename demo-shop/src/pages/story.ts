/** One article, as its payer (or, in the free section, anyone) reads it. */
import type { PaidAccess } from '@farthing/merchant-sdk/server';
import { type Article, readingMinutes } from '../catalog/catalog.ts';
import { type Html, html } from './html.ts';
import { byline, displayPrice, page, shortTime } from './layout.ts';

/** What the reader paid, shown under the byline of a paid article. */
function paidNote(paid: PaidAccess): Html {
  return html`<p class="paid-note">You paid ${displayPrice(paid.price)} for this article. It stays open to you in this browser until ${shortTime(paid.grantExpiresAt)}.</p>`;
}

/** `paid`: the access the merchant SDK granted; undefined for the free section. */
export function storyPage(article: Article, path: string, paid: PaidAccess | undefined): Html {
  return page({
    title: article.title,
    path,
    description: article.dek,
    body: html`<article class="story">
<p class="kicker">${article.section}</p>
<h1>${article.title}</h1>
<p class="dek">${article.dek}</p>
${byline(article.author, article.published, `${readingMinutes(article)} min read`)}
${paid === undefined ? '' : paidNote(paid)}
<div class="story-body">
${article.paragraphs.map((paragraph) => html`<p>${paragraph}</p>\n`)}
</div>
<p class="end-mark" aria-hidden="true">■</p>
<p class="more"><a href="/articles">More articles</a> · <a href="/free">Free to read</a></p>
</article>`,
  });
}

export function notFoundPage(path: string): Html {
  return page({
    title: 'Not found',
    path,
    body: html`<article class="story">
<h1>We could not find that page</h1>
<p class="dek">It may have moved, or the address may be mistyped.</p>
<p>Try the <a href="/">front page</a> or the list of <a href="/articles">articles</a>.</p>
</article>`,
  });
}
