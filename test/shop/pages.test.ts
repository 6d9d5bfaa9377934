/**
 * The Gazette as a reader and a wallet see it before paying: real pages, priced links whose
 * signed offers check out against the merchant certificate, a free section with nothing
 * priced, the SDK's browser part served as a script, and an identity (offer key and
 * certificate) made once and kept across restarts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { articles, downloads, freeReads, prints } from '@farthing/demo-shop/catalog';
import { formatAmount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import { verifyOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricedArticles } from './catalog.ts';
import { type KnownMerchant, knowMerchant } from './wallet.ts';
import { closeShopWorld, openShopWorld, type ShopWorld } from './world.ts';

let world: ShopWorld;
let merchant: KnownMerchant;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = await knowMerchant(world.shopUrl, world.bank);
}, 60_000);
afterAll(() => closeShopWorld(world));

async function page(path: string): Promise<string> {
  const response = await fetch(`${world.shopUrl}${path}`, { headers: { accept: 'text/html' } });
  expect(response.status, path).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  return response.text();
}

/** Text as the pages escape it. */
const escaped = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Every priced link of a page, its offer checked as the wallet checks it. */
function pricedLinks(html: string) {
  return [
    ...html.matchAll(
      /<a href="([^"]+)" data-farthing-offer="([^"]+)" data-farthing-price="([^"]+)"/g,
    ),
  ].map(([, href, token, price]) => {
    const offer = parseOfferToken(token);
    verifyOffer(offer, { merchantPublicKey: merchant.offerPublicKey });
    expect(offer).toMatchObject({
      resource: href,
      merchantId: 'demo-shop',
      merchantOrigin: world.shopUrl,
    });
    expect(formatAmount(offer.amount)).toBe(price);
    return { href: href!, minor: offer.amount.minor, instruments: offer.instruments };
  });
}

describe('the front page', () => {
  it('prices every article at 1 to 20 cents with signed offers', async () => {
    const html = await page('/');
    expect(html).toContain('<title>The Farthing Gazette</title>');
    expect(html).toContain('<link rel="farthing-merchant" href="/.well-known/farthing-merchant">');
    expect(html).toContain('<script src="/assets/gazette.js" defer></script>');
    const links = pricedLinks(html);
    expect(new Set(links.map((link) => link.href))).toEqual(
      new Set(pricedArticles.map((article) => article.path)),
    );
    expect(articles).toHaveLength(8);
    for (const link of links) {
      expect(link.minor).toBeGreaterThanOrEqual(1);
      expect(link.minor).toBeLessThanOrEqual(20);
      expect(link.instruments).toEqual(['payword', 'ecash', 'purse']);
    }
    expect(Math.min(...links.map((link) => link.minor))).toBe(1);
    expect(Math.max(...links.map((link) => link.minor))).toBe(20);
    // Teasers only: no article's closing paragraph is on the front page.
    for (const article of pricedArticles) expect(html).not.toContain(article.secret);
    for (const read of freeReads) expect(html).toContain(`href="/free/${read.slug}"`);
  });
});

describe('the sections', () => {
  it('prices prints and downloads per item', async () => {
    const downloadLinks = pricedLinks(await page('/downloads'));
    expect(downloadLinks.map((link) => link.href)).toEqual(
      downloads.map((download) => `/downloads/${download.file}`),
    );
    expect(pricedLinks(await page('/articles'))).toHaveLength(8);
    const gallery = await page('/gallery');
    expect(pricedLinks(gallery)).toEqual([]);
    for (const print of prints) {
      expect(gallery).toContain(`href="/gallery/${print.id}"`);
      const [buy] = pricedLinks(await page(`/gallery/${print.id}`));
      expect(buy!.href).toBe(`/gallery/${print.id}/full`);
      const preview = await fetch(`${world.shopUrl}/gallery/${print.id}/preview.svg`);
      expect(preview.headers.get('content-type')).toBe('image/svg+xml');
      expect(await preview.text()).toContain('PREVIEW');
    }
    expect(new Set(prints.map((print) => print.price)).size).toBeGreaterThan(1);
  });

  it('serves the free section whole, with nothing priced', async () => {
    for (const read of freeReads) {
      const html = await page(`/free/${read.slug}`);
      expect(pricedLinks(html)).toEqual([]);
      expect(html).toContain(`<h1>${escaped(read.title)}</h1>`);
      for (const paragraph of read.paragraphs)
        expect(html).toContain(`<p>${escaped(paragraph)}</p>`);
    }
    expect(pricedLinks(await page('/free'))).toEqual([]);
    expect(await page('/about')).toContain('402 Payment Required');
  });

  it('serves the stylesheet and the SDK browser part as a script', async () => {
    const css = await fetch(`${world.shopUrl}/assets/gazette.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // The shop's own price gives way to the wallet's mark (demo-shop/src/pages/price-once.test.ts).
    expect(await css.text()).toContain('.priced-item:has([data-farthing-badge]) [data-shop-price]');
    const script = await fetch(`${world.shopUrl}/assets/gazette.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await script.text();
    for (const marker of ['a[data-farthing-offer]', 'farthing-priced', 'farthing:paid']) {
      expect(code).toContain(marker);
    }
    expect(code).not.toMatch(/\bimport\b|\bexport\b/);
  });
});

describe('the merchant', () => {
  it('publishes its descriptor with the certificate the bank issued', async () => {
    const descriptor = await (await fetch(`${world.shopUrl}/.well-known/farthing-merchant`)).json();
    expect(descriptor).toMatchObject({
      merchantId: 'demo-shop',
      name: 'The Farthing Gazette',
      origins: [world.shopUrl],
      bank: { url: world.running.url },
      instruments: ['payword', 'ecash', 'purse'],
      payEndpoint: `${world.shopUrl}/.well-known/farthing/pay`,
      offerPublicKey: toBase64url(merchant.offerPublicKey),
    });
  });

  it('keeps its offer key and certificate across a restart', async () => {
    const files = ['demo-shop.offer-key', 'demo-shop.certificate.json'];
    const read = () => files.map((file) => readFileSync(join(world.dataDir, file), 'utf8'));
    const before = read();
    const restarted = await world.restartShop();
    expect(restarted.url).toBe(world.shopUrl);
    expect(read()).toEqual(before);
    expect(await knowMerchant(world.shopUrl, world.bank)).toEqual(merchant);
    expect(pricedLinks(await page('/'))).toHaveLength(8);
  });
});
