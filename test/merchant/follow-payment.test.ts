/**
 * A click's navigation that follows its payment (issue 21): the wallet POSTs the credential
 * and at the same moment sets the paying cookie (the credential's id) and navigates. Through a
 * real HTTP server (Express) with real PayWord credentials from the bank's broker; the shop
 * as two processes on one SQLite file; the bound on waiting requests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { farthing } from '@farthing/merchant-sdk/express';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import type { Credential } from '@farthing/protocol/credential';
import { credentialIdOf, payingCookieName } from '@farthing/protocol/credential-id';
import { toBase64url } from '@farthing/protocol/encoding';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerHash } from '@farthing/protocol/offer';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookieFrom,
  offerOf,
  openShop,
  openShopWorld,
  type PaywordWallet,
  payRequest,
  paywordCredential,
  paywordWallet,
  type ShopWorld,
  shopOrigin,
} from './merchant.fixture.ts';

const secret = 'PAID CONTENT';
/** The shop's origin is https (behind a proxy here), so the cookies have `__Host-` names. */
const paying = payingCookieName(true);
const waitMs = 5_000;

let world: ShopWorld;
let merchant: Merchant;
let server: Server;
let url: string;
let wallet: PaywordWallet;
/** The next unspent word of `wallet` (an article costs 5 one-cent words). */
let index = 0;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: waitMs });
  const app = express();
  app.use(farthing(merchant));
  app.get('/articles/:slug', (_req, res) => {
    res.send(`${secret} ${JSON.stringify(res.locals.farthing)}`);
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wallet = await paywordWallet(world, 200);
});
afterAll(async () => {
  server.close();
  await merchant.close();
  await world.close();
});

/** The wallet's next click on `resource`: its credential and the paying cookie naming it. */
async function click(
  shop: Merchant,
  resource: string,
): Promise<{ credential: Credential; cookie: string }> {
  const offer = await offerOf(shop, resource);
  index += 5;
  const credential = paywordCredential(offer, wallet, index, index === 5);
  const id = credentialIdOf(credential, offerHash(offer));
  return { credential, cookie: `${paying}=${toBase64url(id)}` };
}

/** The wallet's POST of the credential, as a browser would send it to the real server. */
function post(credential: Credential): Promise<Response> {
  const request = payRequest(credential, url);
  return fetch(request);
}

function navigate(path: string, cookie: string): Promise<Response> {
  return fetch(`${url}${path}`, { headers: { cookie, accept: 'application/json' } });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

const cleared = `${paying}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure`;

describe('a navigation that follows its payment', () => {
  it('is served at once when the payment was stored before it, and clears the paying cookie', async () => {
    const { credential, cookie } = await click(merchant, '/articles/before');
    const paid = await post(credential);
    expect(paid.status).toBe(200);
    const { value: response, ms } = await timed(() => navigate('/articles/before', cookie));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(secret);
    expect(JSON.parse(text.slice(secret.length + 1))).toMatchObject({
      resource: '/articles/before',
      price: { currency: 'EUR', minor: 5 },
    });
    expect(ms).toBeLessThan(waitMs / 2);
    const cookies = response.headers.getSetCookie();
    // The same grant as the pay endpoint's answer, so the payer holds one grant per click.
    expect(cookies).toContain(paid.headers.get('set-cookie'));
    expect(cookies).toContain(cleared);
    expect(response.headers.get('cache-control')).toBe('private');
    // The grant opens the resource from then on, without the paying cookie.
    const again = await navigate('/articles/before', cookieFrom(paid.headers.get('set-cookie')));
    expect(again.status).toBe(200);
  });

  it('waits for a payment whose POST comes a moment after it', async () => {
    const { credential, cookie } = await click(merchant, '/articles/after');
    const navigation = timed(() => navigate('/articles/after', cookie));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const paid = await post(credential);
    expect(paid.status).toBe(200);
    const { value: response, ms } = await navigation;
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(secret);
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(waitMs / 2);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toContain(paid.headers.get('set-cookie'));
    expect(cookies).toContain(cleared);
  });

  it('answers 402 with the refusal as soon as the payment it follows is refused', async () => {
    const { credential: first } = await click(merchant, '/articles/spent');
    expect((await post(first)).status).toBe(200);
    // The same word again, for another offer: a different credential id, refused as replayed.
    const offer = await offerOf(merchant, '/articles/replayed');
    const replayed = paywordCredential(offer, wallet, index, false);
    const cookie = `${paying}=${toBase64url(credentialIdOf(replayed, offerHash(offer)))}`;
    const navigation = timed(() => navigate('/articles/replayed', cookie));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await post(replayed);
    expect(refused.status).toBe(409);
    const { value: response, ms } = await navigation;
    expect(response.status).toBe(402);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(findFarthingChallenge(response.headers.get('www-authenticate')!)?.error).toBe(
      'payword_replayed',
    );
    expect(await response.json()).toMatchObject({ code: 'payword_replayed' });
    expect(response.headers.getSetCookie()).toContain(cleared);
  });

  it("answers 402 to a payment of another resource, and does not serve that resource's grant", async () => {
    const { credential, cookie } = await click(merchant, '/articles/bought');
    expect((await post(credential)).status).toBe(200);
    const { value: response, ms } = await timed(() => navigate('/articles/other', cookie));
    expect(response.status).toBe(402);
    expect(ms).toBeLessThan(waitMs / 2);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toEqual([cleared]);
    expect(await response.json()).toMatchObject({ code: 'payment_required' });
  });

  it('answers 402 at once to a malformed paying cookie, which it leaves alone', async () => {
    for (const value of ['x', toBase64url(randomBytes(31)), `${toBase64url(randomBytes(32))}=`]) {
      const { value: response, ms } = await timed(() =>
        navigate('/articles/malformed', `${paying}=${value}`),
      );
      expect(response.status).toBe(402);
      expect(ms).toBeLessThan(waitMs / 2);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it('answers 402 when the grant of the payment it names has expired', async () => {
    const { credential, cookie } = await click(merchant, '/articles/old');
    expect((await post(credential)).status).toBe(200);
    world.bank.clock.now += 25 * 3_600_000;
    try {
      const response = await navigate('/articles/old', cookie);
      expect(response.status).toBe(402);
      expect(response.headers.getSetCookie()).toEqual([cleared]);
    } finally {
      world.bank.clock.now -= 25 * 3_600_000;
    }
  });

  it('leaves a request with a valid grant as it was: served, the paying cookie not even read', async () => {
    const { credential } = await click(merchant, '/articles/held');
    const paid = await post(credential);
    const grant = cookieFrom(paid.headers.get('set-cookie'));
    const unknown = `${paying}=${toBase64url(randomBytes(32))}`;
    const { value: response, ms } = await timed(() =>
      navigate('/articles/held', `${grant}; ${unknown}`),
    );
    expect(response.status).toBe(200);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('a navigation whose payment is never stored', () => {
  it('answers 402 after the wait, clearing the paying cookie', async () => {
    const quick = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: 300 });
    try {
      const request = new Request(`${shopOrigin}/articles/unknown`, {
        headers: { cookie: `${paying}=${toBase64url(randomBytes(32))}` },
      });
      const { value: result, ms } = await timed(() => quick.handle(request));
      expect(ms).toBeGreaterThanOrEqual(295);
      if (result.action !== 'respond') throw new Error('expected the 402');
      expect(result.response.status).toBe(402);
      expect(result.response.headers.getSetCookie()).toEqual([cleared]);
    } finally {
      await quick.close();
    }
  });

  it('lets at most 1,024 requests wait; the next gets its 402 at once', async () => {
    const shop = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: 1_500 });
    const get = () =>
      shop.handle(
        new Request(`${shopOrigin}/articles/flood`, {
          headers: { cookie: `${paying}=${toBase64url(randomBytes(32))}` },
        }),
      );
    try {
      const waiting = Array.from({ length: 1024 }, get);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { value: result, ms } = await timed(get);
      expect(ms).toBeLessThan(500);
      expect(result).toMatchObject({ action: 'respond', response: { status: 402 } });
      const all = await Promise.all(waiting);
      expect(all.every((r) => r.action === 'respond' && r.response.status === 402)).toBe(true);
      // Their places are free again: a request waits (the whole wait) once more.
      const { ms: later } = await timed(get);
      expect(later).toBeGreaterThanOrEqual(1_400);
    } finally {
      await shop.close();
    }
  });
});

describe('a shop run as two processes on one database', () => {
  it('serves on one process the payment the other takes, found by polling the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'farthing-follow-'));
    const storeA = new SqliteMerchantStore({ path: join(dir, 'merchant.db') });
    const storeB = new SqliteMerchantStore({ path: join(dir, 'merchant.db') });
    const a = openShop(world, storeA, {}, { paymentWaitMs: waitMs });
    const b = openShop(world, storeB, {}, { paymentWaitMs: waitMs });
    try {
      // A chain new to this database: its first word carries the commitment.
      const offer = await offerOf(a, '/articles/shared');
      const credential = paywordCredential(offer, await paywordWallet(world), 5, true);
      const cookie = `${paying}=${toBase64url(credentialIdOf(credential, offerHash(offer)))}`;
      const navigation = timed(() =>
        b.handle(new Request(`${shopOrigin}/articles/shared`, { headers: { cookie } })),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const paid = await a.pay(payRequest(credential));
      expect(paid.status).toBe(200);
      const { value: result, ms } = await navigation;
      expect(ms).toBeLessThan(waitMs / 2);
      if (result.action !== 'continue') throw new Error('expected the payment to be served');
      expect(result.paid).toMatchObject({ resource: '/articles/shared' });
      expect(result.headers.getSetCookie()).toEqual([paid.headers.get('set-cookie'), cleared]);
    } finally {
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
