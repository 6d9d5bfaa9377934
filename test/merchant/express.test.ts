import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { farthing } from '@farthing/merchant-sdk/express';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { pathVectors, vectorPrices } from '@farthing/merchant-sdk/server/path-vectors';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { encodeCredential } from '@farthing/protocol/credential';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import express from 'express';
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

/** An Express app whose priced routes answer `secret`, plus whatever `setup` adds first. */
function shopApp(setup: (app: express.Express) => void = () => {}) {
  const app = express();
  setup(app);
  app.use(farthing(merchant));
  for (const path of ['/articles/:slug', '/downloads/:file', '/gallery/:id/full']) {
    app.get(path, (_req, res) => {
      res.cookie('theme', 'dark');
      res.send(`${secret} ${JSON.stringify(res.locals.farthing)}`);
    });
  }
  app.use((_req, res) => {
    res.send('free page');
  });
  return app;
}

async function listen(
  app: express.Express,
): Promise<{ server: Server; url: string; port: number }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, port };
}

async function payBody(resource: string) {
  const offer = await offerOf(merchant, resource);
  return new Uint8Array(
    encodeCredential(ecashCredential(offer, await withdraw(world, [offer.amount.minor]))),
  );
}

describe('the Express adapter', () => {
  it('decides every path-trick vector as the table says, and never serves priced content unpaid', async () => {
    const { server, port } = await listen(shopApp());
    try {
      for (const vector of pathVectors) {
        const response = await rawGet(port, vector.target, { accept: 'application/json' });
        const expected = { priced: 402, refused: 400, free: 200 }[vector.expected];
        expect([vector.target, response.status]).toEqual([vector.target, expected]);
        expect(response.body).not.toContain(secret);
      }
    } finally {
      server.close();
    }
  });

  it('needs the guard: Express alone routes many refused spellings to the priced handler', async () => {
    const app = express();
    app.get('/articles/:slug', (_req, res) => {
      res.send(secret);
    });
    const { server, port } = await listen(app);
    try {
      const served: string[] = [];
      for (const vector of pathVectors.filter((v) => v.expected === 'refused')) {
        if ((await rawGet(port, vector.target)).body === secret) served.push(vector.target);
      }
      expect(served).toEqual(
        expect.arrayContaining([
          '/Articles/7',
          '/articles/7/',
          '/articles/%37',
          '/articles/..%2F7',
        ]),
      );
    } finally {
      server.close();
    }
  });

  it('reads the pay endpoint body when express.json() ran first', async () => {
    const { server, url } = await listen(shopApp((app) => app.use(express.json())));
    try {
      const response = await fetch(`${url}/.well-known/farthing/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: await payBody('/articles/json'),
      });
      expect(response.status).toBe(200);
      expect((await response.json()).grant.resource).toBe('/articles/json');
    } finally {
      server.close();
    }
  });

  it('reads the pay endpoint body when express.raw() ran first', async () => {
    const { server, url } = await listen(shopApp((app) => app.use(express.raw({ type: '*/*' }))));
    try {
      const response = await fetch(`${url}/.well-known/farthing/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: await payBody('/articles/raw'),
      });
      expect(response.status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('refuses a body over the credential limit with 413', async () => {
    const { server, url } = await listen(shopApp());
    try {
      const response = await fetch(`${url}/.well-known/farthing/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(300 * 1024),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'payload_too_large' });
    } finally {
      server.close();
    }
  });

  it('pays inline, serves the route with res.locals.farthing and adds the grant cookie', async () => {
    const { server, url } = await listen(shopApp());
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
      server.close();
    }
  });
});
