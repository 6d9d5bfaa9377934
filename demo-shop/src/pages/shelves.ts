/** The print gallery and the downloads shelf: things sold one by one. */
import {
  downloadPath,
  downloads,
  type Print,
  printPagePath,
  printPath,
  prints,
} from '../catalog/catalog.ts';
import { addToCartButton } from './cart.ts';
import { type Html, html } from './html.ts';
import { type PricedLink, page, pricedItem, priceTag } from './layout.ts';

const previewSrc = (print: Print) => `/gallery/${print.id}/preview.svg`;

export function galleryPage(): Html {
  return page({
    title: 'Prints',
    path: '/gallery',
    body: html`<h1 class="section-title">The print room</h1>
<p class="section-intro">Illustrations from our art desk. The previews are free; each full-size print is sold on its own.</p>
<ul class="gallery">${prints.map(
      (print) => html`<li class="print-card">
<a href="${printPagePath(print)}"><img src="${previewSrc(print)}" alt="Preview of ${print.title}" width="320" height="200" loading="lazy"></a>
<h2><a href="${printPagePath(print)}">${print.title}</a></h2>
<p class="byline">${print.artist} · ${priceTag(print.price)}</p>
</li>`,
    )}</ul>`,
  });
}

export async function printPage(print: Print, link: PricedLink): Promise<Html> {
  const buy = await link(printPath(print), 'View the full print', {
    class: 'button',
  });
  return page({
    title: print.title,
    path: printPagePath(print),
    description: print.caption,
    body: html`<article class="story print ${pricedItem}">
<p class="kicker">The print room</p>
<h1>${print.title}</h1>
<p class="dek">${print.caption}</p>
<p class="byline">By ${print.artist} · ${priceTag(print.price)}</p>
<figure><img src="${previewSrc(print)}" alt="A blurred preview of ${print.title}" width="960" height="600">
<figcaption>Preview. The full print is a 960 × 600 SVG you can keep.</figcaption></figure>
<p>${buy}</p>
${addToCartButton(`print:${print.id}`)}
<p class="more"><a href="/gallery">All prints</a></p>
</article>`,
  });
}

export async function downloadsPage(link: PricedLink): Promise<Html> {
  const items = await Promise.all(
    downloads.map(
      async (download) => html`<li class="download ${pricedItem}" id="${download.file}">
<h2>${await link(downloadPath(download), download.title)}</h2>
<p>${download.description}</p>
<p class="byline">${download.format} · <code>${download.file}</code> · ${priceTag(download.price)}</p>
${addToCartButton(`download:${download.file}`)}
</li>`,
    ),
  );
  return page({
    title: 'Downloads',
    path: '/downloads',
    body: html`<h1 class="section-title">Downloads</h1>
<p class="section-intro">Data and guides from our desks, priced per file. Your wallet pays on click and the download starts.</p>
<ul class="downloads">${items}</ul>`,
  });
}
