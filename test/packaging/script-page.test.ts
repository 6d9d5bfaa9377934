/**
 * Issue 22's `<script>` build in a real page: Debian's Chromium (headless, no extension) loads a
 * page that includes `merchant-sdk/dist/browser/farthing.js` as built (npm test's pretest
 * builds it), served over loopback HTTP as a site would serve it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../browser/browser.ts';

const script = fileURLToPath(
  new URL('../../merchant-sdk/dist/browser/farthing.js', import.meta.url),
);

const pages: Record<string, string> = {
  '/': `<!doctype html><html><head><script src="/farthing.js" defer></script></head><body>
    <a id="article" href="/articles/7" data-farthing-offer="offer-7" data-farthing-price="EUR 0.05">Article 7</a>
    <a id="free" href="/about">About</a></body></html>`,
  '/manual': `<!doctype html><html><head><script src="/farthing.js" data-farthing-manual></script>
    </head><body><a id="article" href="/articles/7" data-farthing-offer="offer-7">Article 7</a>
    </body></html>`,
};

let server: Server;
let origin: string;
let browser: Browser;
let profile: string;

beforeAll(async () => {
  if (!existsSync(script)) {
    throw new Error(
      'merchant-sdk is not built: run `npm run build:packages` (npm test does it first).',
    );
  }
  server = createServer((req, res) => {
    if (req.url === '/farthing.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(readFileSync(script));
    } else if (req.url !== undefined && req.url in pages) {
      res.setHeader('content-type', 'text/html');
      res.end(pages[req.url]);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = mkdtempSync(join(tmpdir(), 'farthing-script-page-'));
  browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    pipe: true,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the <script> build of merchant-sdk/browser', () => {
  it('declares the merchant, marks priced links (also added later) and reports payments', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    const state = await page.evaluate(async () => {
      const { Farthing } = window as unknown as {
        Farthing: { onFarthingPaid(listener: (detail: unknown) => void): () => void };
      };
      const paid: unknown[] = [];
      Farthing.onFarthingPaid((detail) => paid.push(detail));
      const detail = JSON.stringify({ resource: '/articles/7', amount: 'EUR 0.05' });
      document.dispatchEvent(new CustomEvent('farthing:paid', { detail }));
      document.dispatchEvent(new CustomEvent('farthing:paid', { detail: '{"resource":"x"}' }));
      const added = document.createElement('a');
      added.href = '/articles/8';
      added.dataset.farthingOffer = 'offer-8';
      document.body.append(added);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the MutationObserver's turn
      return {
        declared: document.querySelector('link[rel="farthing-merchant"]')?.getAttribute('href'),
        article: document.getElementById('article')!.className,
        free: document.getElementById('free')!.className,
        added: added.className,
        paid,
      };
    });
    expect(state).toEqual({
      declared: '/.well-known/farthing-merchant',
      article: 'farthing-priced',
      free: '',
      added: 'farthing-priced',
      paid: [{ resource: '/articles/7', amount: 'EUR 0.05' }],
    });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('waits for the page to start it when the script tag says data-farthing-manual', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/manual`, { waitUntil: 'load' });
    const className = () => page.$eval('#article', (a) => a.className);
    expect(await className()).toBe('');
    await page.evaluate(() => {
      (
        window as unknown as { Farthing: { startMerchantPage(): void } }
      ).Farthing.startMerchantPage();
    });
    expect(await className()).toBe('farthing-priced');
    await page.close();
  });
});
