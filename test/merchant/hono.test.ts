import { type FarthingEnv, farthing, farthingRequestErrors } from '@farthing/merchant-sdk/hono';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { pathVectors, vectorPrices } from '@farthing/merchant-sdk/server/path-vectors';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { encodeCredential } from '@farthing/protocol/credential';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ecashCredential,
  offerOf,
  openShop,
  openShopWorld,
  type ShopWorld,
  shopOrigin,
  withdraw,
} from './merchant.fixture.ts';

const secret = 'PAID CONTENT';
let world: ShopWorld;
let merchant: Merchant;
let app: Hono<FarthingEnv>;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = openShop(world, new MemoryMerchantStore(), { prices: vectorPrices });
  app = new Hono<FarthingEnv>();
  app.use(farthing(merchant));
  app.get('/articles/:slug', (c) => {
    c.header('set-cookie', 'theme=dark');
    return c.text(`${secret} ${JSON.stringify(c.get('farthing'))}`);
  });
  app.get('/downloads/:file', (c) => c.redirect(`https://cdn.example/${c.req.param('file')}`));
  app.get('/gallery/:id/full', (c) =>
    c.text(secret, 200, { 'cache-control': 'private, max-age=60' }),
  );
  app.get('*', (c) => c.text('free page'));
});
afterAll(() => world.close());

async function inline(resource: string): Promise<Record<string, string>> {
  const offer = await offerOf(merchant, resource);
  const credential = ecashCredential(offer, await withdraw(world, [offer.amount.minor]));
  return { authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }) };
}

describe('the Hono adapter', () => {
  it('never serves priced content unpaid, under any spelling the URL parser lets through', async () => {
    for (const vector of pathVectors) {
      if (!vector.target.startsWith('/')) continue;
      const response = await app.request(`${shopOrigin}${vector.target}`);
      expect(await response.text()).not.toContain(secret);
    }
  });

  it('hands the route what was paid and adds the grant cookie to its own', async () => {
    const response = await app.request(`${shopOrigin}/articles/hono`, {
      headers: await inline('/articles/hono'),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text.slice(secret.length + 1))).toMatchObject({
      resource: '/articles/hono',
      title: 'An article',
      receipt: { resource: '/articles/hono' },
    });
    const cookies = response.headers.getSetCookie();
    expect(cookies[0]).toBe('theme=dark');
    expect(cookies[1]).toMatch(/^__Host-farthing-grant-/);
    expect(response.headers.get('cache-control')).toBe('private');
  });

  it('adds the cookie to a response with immutable headers (a redirect)', async () => {
    const response = await app.request(`${shopOrigin}/downloads/a.zip`, {
      headers: await inline('/downloads/a.zip'),
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://cdn.example/a.zip');
    expect(response.headers.get('set-cookie')).toMatch(/^__Host-farthing-grant-/);
  });

  it('keeps the route’s own cache policy', async () => {
    const response = await app.request(`${shopOrigin}/gallery/9/full`, {
      headers: await inline('/gallery/9/full'),
    });
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
  });

  it('reads the pay endpoint body when an earlier middleware already read it', async () => {
    const eager = new Hono();
    eager.use(async (c, next) => {
      if (c.req.method === 'POST') await c.req.json();
      await next();
    });
    eager.use(farthing(merchant));
    const offer = await offerOf(merchant, '/articles/eager');
    const credential = ecashCredential(offer, await withdraw(world, [5]));
    const response = await eager.request(`${shopOrigin}/.well-known/farthing/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array(encodeCredential(credential)),
    });
    expect(response.status).toBe(200);
  });

  it('leaves free pages alone', async () => {
    const response = await app.request(`${shopOrigin}/about`);
    expect(await response.text()).toBe('free page');
    expect(response.headers.get('cache-control')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

describe('requests the server refuses before the middleware', () => {
  const requestError = (message: string) =>
    Object.assign(new Error(message), { name: 'RequestError' });

  it('answers a backslash in the path with non_canonical_path, not a bare 400', async () => {
    const response = farthingRequestErrors(requestError('Backslash in request path'));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ code: 'non_canonical_path' });
  });

  it('answers another unreadable request with invalid_message', async () => {
    const response = farthingRequestErrors(requestError('Invalid host header'));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_message' });
  });

  it("answers the application's own failure with internal", async () => {
    const response = farthingRequestErrors(new Error('boom'));
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: 'internal' });
  });
});
