/**
 * The README's promise: a new user following it adds a priced route to a fresh Hono app and
 * to a fresh Express app (issue 4, "Done when"). The examples the README prints are these
 * files, checked verbatim; here they run against the real bank on a loopback port, and a
 * wallet built from the protocol pays them over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { freePort } from '@farthing/bank/test/http-bank.fixture';
import { type LoopbackBank, openLoopbackBank } from '@farthing/bank/test/loopback-bank.fixture';
import { expressShop } from '@farthing/merchant-sdk/examples/express';
import { fastifyShop } from '@farthing/merchant-sdk/examples/fastify';
import { honoShop } from '@farthing/merchant-sdk/examples/hono';
import { nextShop } from '@farthing/merchant-sdk/examples/next';
import { nextMiddlewareShop } from '@farthing/merchant-sdk/examples/next-middleware';
import type { ShopSettings } from '@farthing/merchant-sdk/examples/settings';
import { pathVectors } from '@farthing/merchant-sdk/server/path-vectors';
import { registerWithBank } from '@farthing/merchant-sdk/server/registration';
import { encodeCredential } from '@farthing/protocol/credential';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerFromBytes } from '@farthing/protocol/offer-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecashCredential, rawGet } from './merchant.fixture.ts';

// The README and the example files it prints, read as text (the examples also run, imported above).
const examples = new URL('../../merchant-sdk/examples/', import.meta.url);
const paid = 'thanks for paying!';

let loopback: LoopbackBank;
let dir: string;

beforeAll(async () => {
  loopback = await openLoopbackBank();
  dir = mkdtempSync(join(tmpdir(), 'farthing-readme-'));
}, 60_000);
afterAll(async () => {
  await loopback?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Step 1 of the README: register with the bank, keep the key and the PEM chain. */
async function settingsFor(merchant: 'shop' | 'kiosk', origin: string): Promise<ShopSettings> {
  const offerKey = randomBytes(32);
  const { pem } = await registerWithBank({
    bankUrl: loopback.bank.url,
    apiKey: loopback[merchant].apiKey,
    merchantId: merchant,
    name: `Merchant ${merchant}`,
    origins: [origin],
    offerKey,
  });
  return {
    merchantId: merchant,
    name: `Merchant ${merchant}`,
    origin,
    offerKey,
    certificateChain: pem,
    bankUrl: loopback.bank.url,
    apiKey: loopback[merchant].apiKey,
    databasePath: join(dir, `${merchant}.db`),
  };
}

/** What the wallet does at a 402: read the challenge, pay the offer with coins, keep the cookie. */
async function payChallenge(
  challenge: Response,
  send: (path: string, init: RequestInit) => Promise<Response>,
): Promise<string> {
  expect(challenge.status).toBe(402);
  const parsed = findFarthingChallenge(challenge.headers.get('www-authenticate')!)!;
  const offer = offerFromBytes(parsed.offer);
  const coins = await withdrawCoins(loopback.bank, loopback.alice, [5]);
  const response = await send('/.well-known/farthing/pay', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array(encodeCredential(ecashCredential(offer, coins))),
  });
  expect(response.status).toBe(200);
  // The examples run on loopback http: no `Secure`, so no `__Host-` name either.
  const cookie = response.headers.get('set-cookie')!;
  expect(cookie).toMatch(
    /^farthing-grant-[A-Za-z0-9_-]{16}=[A-Za-z0-9_-]+; Max-Age=86400; Path=\/; HttpOnly; SameSite=Lax$/,
  );
  return cookie.split(';')[0]!;
}

it('prints the examples exactly as the tests run them', () => {
  const readme = readFileSync(new URL('../README.md', examples), 'utf8');
  for (const file of [
    'settings.ts',
    'merchant.ts',
    'hono.ts',
    'express.ts',
    'fastify.ts',
    'next.ts',
    'next-middleware.ts',
  ]) {
    const code = readFileSync(new URL(file, examples), 'utf8').trimEnd();
    expect(readme).toContain(`\`\`\`ts\n${code}\n\`\`\``);
  }
});

describe('the Hono example', () => {
  it('serves the article after a 402 and a payment, and prices the link on the front page', async () => {
    const origin = 'http://127.0.0.1:18701';
    const { app } = honoShop(await settingsFor('shop', origin));
    const send = async (path: string, init: RequestInit = {}) =>
      app.request(`${origin}${path}`, init);

    const page = await send('/articles/7', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(402);
    expect(await page.text()).toContain('Farthing wallet');
    const cookie = await payChallenge(
      await send('/articles/7', { headers: { accept: 'application/json' } }),
      send,
    );
    const article = await send('/articles/7', { headers: { cookie } });
    expect(article.status).toBe(200);
    expect(await article.text()).toBe(`Article 7: ${paid}`);
    expect(article.headers.get('cache-control')).toBe('private');
    const front = await (await send('/')).text();
    expect(front).toMatch(
      /^<a href="\/articles\/7" data-farthing-offer="[A-Za-z0-9_-]+" data-farthing-price="EUR 0.05">Read article 7<\/a>$/,
    );

    // No spelling of a priced path reaches the article unpaid (Request has parsed the URL).
    for (const vector of pathVectors) {
      if (!vector.target.startsWith('/')) continue;
      const response = await send(vector.target);
      expect([400, 402, 404, 200]).toContain(response.status);
      expect(await response.text()).not.toContain(paid);
    }
  });
});

describe('the Express example', () => {
  it('serves the article after a 402 and a payment, over a real socket', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const { app } = expressShop(await settingsFor('kiosk', origin));
    const server = app.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      expect((server.address() as AddressInfo).port).toBe(port);
      const send = (path: string, init: RequestInit = {}) => fetch(`${origin}${path}`, init);
      const cookie = await payChallenge(
        await send('/articles/7', { headers: { accept: 'application/json' } }),
        send,
      );
      const article = await send('/articles/7', { headers: { cookie } });
      expect(await article.text()).toBe(`Article 7: ${paid}`);
      expect(article.headers.get('cache-control')).toBe('private');
      // Express routes /ARTICLES/7/ to the article; the guard does not let it.
      const shouted = await send('/ARTICLES/7/', { headers: { cookie } });
      expect(shouted.status).toBe(400);

      // Every path trick, sent as raw bytes (fetch would normalise the URL first); the
      // decisions themselves are pinned in express.test.ts.
      for (const vector of pathVectors) {
        const response = await rawGet(port, vector.target);
        expect([400, 402, 404, 200]).toContain(response.status);
        expect(response.body).not.toContain(paid);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the Fastify example', () => {
  it('serves the article after a 402 and a payment, over a real socket', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const settings = await settingsFor('shop', origin);
    const { app } = fastifyShop({ ...settings, databasePath: join(dir, 'fastify.db') });
    await app.listen({ port, host: '127.0.0.1' });
    try {
      const send = (path: string, init: RequestInit = {}) => fetch(`${origin}${path}`, init);
      const cookie = await payChallenge(
        await send('/articles/7', { headers: { accept: 'application/json' } }),
        send,
      );
      const article = await send('/articles/7', { headers: { cookie } });
      expect(await article.text()).toBe(`Article 7: ${paid}`);
      expect(article.headers.get('cache-control')).toBe('private');
      const front = await send('/');
      expect(front.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await front.text()).toMatch(/^<a href="\/articles\/7" data-farthing-offer="/);

      for (const vector of pathVectors) {
        const response = await rawGet(port, vector.target);
        expect([400, 402, 404, 200]).toContain(response.status);
        expect(response.body).not.toContain(paid);
      }
    } finally {
      await app.close();
    }
  });
});

describe('the Next.js example', () => {
  it('serves the article after a 402 and a payment through its route handlers', async () => {
    const origin = 'http://127.0.0.1:18702';
    const settings = await settingsFor('kiosk', origin);
    const { endpoints, article } = nextShop({ ...settings, databasePath: join(dir, 'next.db') });
    // What Next.js does: route the request to a handler, with the path's parameters.
    const send = async (path: string, init: RequestInit = {}) => {
      const request = new Request(`${origin}${path}`, init);
      if (path.startsWith('/.well-known/')) {
        return endpoints[(request.method as 'GET' | 'HEAD' | 'POST') ?? 'GET'](request);
      }
      const slug = /^\/articles\/([^/?]+)/.exec(path)?.[1] ?? '';
      return article(request, { params: Promise.resolve({ slug }) });
    };
    const page = await send('/articles/7', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(402);
    const cookie = await payChallenge(
      await send('/articles/7', { headers: { accept: 'application/json' } }),
      send,
    );
    const paidArticle = await send('/articles/7', { headers: { cookie } });
    expect(paidArticle.status).toBe(200);
    expect(await paidArticle.text()).toBe(`Article 7: ${paid}`);
    expect(paidArticle.headers.get('cache-control')).toBe('private');
    expect((await send('/.well-known/farthing-merchant')).status).toBe(200);
    expect((await send('/.well-known/elsewhere')).status).toBe(404);

    // Whatever path Next.js hands the article's handler, nothing is served unpaid.
    for (const vector of pathVectors) {
      if (!vector.target.startsWith('/')) continue;
      const response = await article(new Request(`${origin}${vector.target}`), {
        params: Promise.resolve({ slug: '7' }),
      });
      expect([400, 402, 404, 200]).toContain(response.status);
      expect(await response.text()).not.toContain(paid);
    }
  });
});

describe('the Next.js middleware example', () => {
  it('answers 402 for an article, lets a paid one through with its headers, and leaves the rest alone', async () => {
    const origin = 'http://127.0.0.1:18703';
    const settings = await settingsFor('shop', origin);
    const { middleware, config } = nextMiddlewareShop({
      ...settings,
      databasePath: join(dir, 'next-middleware.db'),
    });
    expect(config.runtime).toBe('nodejs');
    // What Next.js does: run the middleware; on `x-middleware-next` render the page and add
    // the middleware response's other headers to the page's response.
    let rendered = 0;
    const send = async (path: string, init: RequestInit = {}) => {
      const request = new Request(`${origin}${path}`, init);
      const gate = await middleware(request);
      if (gate !== undefined && gate.headers.get('x-middleware-next') !== '1') return gate;
      rendered += 1;
      const page = new Response(`Page ${new URL(request.url).pathname}: ${paid}`);
      gate?.headers.forEach((value, name) => {
        if (name !== 'set-cookie' && !name.startsWith('x-middleware-'))
          page.headers.set(name, value);
      });
      for (const cookie of gate?.headers.getSetCookie() ?? [])
        page.headers.append('set-cookie', cookie);
      return page;
    };

    const unpaid = await send('/articles/7', { headers: { accept: 'text/html' } });
    expect(unpaid.status).toBe(402);
    expect(await unpaid.text()).not.toContain(paid);
    expect(rendered).toBe(0);
    const cookie = await payChallenge(
      await send('/articles/7', { headers: { accept: 'application/json' } }),
      send,
    );
    expect(rendered).toBe(0);

    const gate = await middleware(new Request(`${origin}/articles/7`, { headers: { cookie } }));
    expect(gate?.status).toBe(200);
    expect(gate?.headers.get('x-middleware-next')).toBe('1');
    expect(await gate?.text()).toBe('');
    const article = await send('/articles/7', { headers: { cookie } });
    expect(article.status).toBe(200);
    expect(await article.text()).toBe(`Page /articles/7: ${paid}`);
    expect(article.headers.get('cache-control')).toBe('private');
    expect(rendered).toBe(1);
    // The grant is for article 7 only; a forged cookie value opens nothing.
    expect((await send('/articles/8', { headers: { cookie } })).status).toBe(402);
    const forged = `${cookie.slice(0, -4)}AAAA`;
    expect((await send('/articles/7', { headers: { cookie: forged } })).status).toBe(402);

    expect(await middleware(new Request(`${origin}/about`))).toBeUndefined();
    expect((await send('/.well-known/farthing-merchant')).status).toBe(200);
    // No spelling of a priced path renders an article unpaid (Request has parsed the URL;
    // `/articles/` has no slug and is no article).
    for (const vector of pathVectors) {
      if (!vector.target.startsWith('/')) continue;
      const response = await send(vector.target);
      expect([400, 402, 404, 200]).toContain(response.status);
      expect(await response.text()).not.toMatch(/^Page \/articles\/[^/:]+:/i);
    }
  });
});
