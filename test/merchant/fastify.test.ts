import { farthing } from '@farthing/merchant-sdk/fastify';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { pathVectors, vectorPrices } from '@farthing/merchant-sdk/server/path-vectors';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { encodeCredential } from '@farthing/protocol/credential';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ecashCredential,
  offerOf,
  openShop,
  openShopWorld,
  rawGet,
  type ShopWorld,
  withdraw,
} from './merchant.fixture.ts';

const secret = 'PAID CONTENT';
let world: ShopWorld;
let merchant: Merchant;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = openShop(world, new MemoryMerchantStore(), { prices: vectorPrices });
});
afterAll(() => world.close());

/** A Fastify app whose priced routes answer `secret`, listening on a loopback port. */
async function listen(
  setup: (app: FastifyInstance) => void = () => {},
): Promise<{ app: FastifyInstance; url: string; port: number }> {
  const app = Fastify();
  setup(app);
  app.addHook('onRequest', farthing(merchant));
  for (const path of ['/articles/:slug', '/downloads/:file', '/gallery/:id/full']) {
    app.get(path, async (request, reply) => {
      reply.header('set-cookie', 'theme=dark');
      return `${secret} ${JSON.stringify(request.farthing)}`;
    });
  }
  app.setNotFoundHandler(async () => 'free page');
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, port: Number(new URL(url).port) };
}

async function payBody(resource: string) {
  const offer = await offerOf(merchant, resource);
  return new Uint8Array(
    encodeCredential(ecashCredential(offer, await withdraw(world, [offer.amount.minor]))),
  );
}

describe('the Fastify adapter', () => {
  it('decides every path-trick vector as the table says, and never serves priced content unpaid', async () => {
    const { app, port } = await listen();
    try {
      const decided: [string, number, boolean][] = [];
      for (const vector of pathVectors) {
        const response = await rawGet(port, vector.target, { accept: 'application/json' });
        decided.push([vector.target, response.status, response.body.includes(secret)]);
      }
      expect(decided).toEqual(
        pathVectors.map((vector) => [
          vector.target,
          // Fastify routes this free path to the priced `/articles/:slug` (an empty slug).
          vector.target === '/articles/'
            ? 400
            : { priced: 402, refused: 400, free: 200 }[vector.expected],
          false,
        ]),
      );
    } finally {
      await app.close();
    }
  });

  it('refuses what Fastify alone would serve unpaid: a priced route matched with an empty parameter', async () => {
    const { app, url } = await listen((app) => {
      app.get<{ Params: { tag: string } }>(
        '/tags/:tag',
        async (request) => `tag ${request.params.tag}`,
      );
    });
    try {
      const response = await fetch(`${url}/articles/`, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ code: 'non_canonical_path' });
      const unguarded = Fastify();
      unguarded.get('/articles/:slug', async () => secret);
      expect((await unguarded.inject({ url: '/articles/' })).body).toBe(secret);
      // A free route with an empty parameter is the application's business.
      const free = await fetch(`${url}/tags/`);
      expect(await free.text()).toBe('tag ');
    } finally {
      await app.close();
    }
  });

  it('reads the pay endpoint body itself, before Fastify’s JSON parser', async () => {
    const { app, url } = await listen();
    try {
      const response = await fetch(`${url}/.well-known/farthing/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: await payBody('/articles/json'),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect((await response.json()).grant.resource).toBe('/articles/json');
    } finally {
      await app.close();
    }
  });

  it('refuses a body over the credential limit with 413 and a coded problem', async () => {
    const { app, url } = await listen();
    try {
      const response = await fetch(`${url}/.well-known/farthing/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(300 * 1024),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'payload_too_large' });
    } finally {
      await app.close();
    }
  });

  it('pays inline, serves the route with request.farthing and adds the grant cookie', async () => {
    const { app, url } = await listen();
    try {
      const offer = await offerOf(merchant, '/downloads/inline.zip');
      const credential = ecashCredential(offer, await withdraw(world, [10]));
      const response = await fetch(`${url}/downloads/inline.zip`, {
        headers: {
          authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }),
        },
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain(secret);
      expect(JSON.parse(text.slice(secret.length + 1))).toMatchObject({
        resource: '/downloads/inline.zip',
        price: { currency: 'EUR', minor: 10 },
        receipt: { amount: 'EUR 0.10' },
      });
      const cookies = response.headers.getSetCookie();
      expect(cookies.some((cookie) => cookie.startsWith('theme=dark'))).toBe(true);
      expect(cookies.some((cookie) => cookie.startsWith('__Host-farthing-grant-'))).toBe(true);
      expect(response.headers.get('authentication-info')).toMatch(/^receipt="/);
      expect(response.headers.get('cache-control')).toBe('private');
    } finally {
      await app.close();
    }
  });
});
