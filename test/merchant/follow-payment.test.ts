/**
 * A click's navigation that follows its payment (issue 21; protocol http/paying-navigation.ts):
 * the page goes at once to the paid resource with `?farthing-paying=<id>` while the wallet
 * POSTs the credential with `Farthing-Navigation: <id>`. Through a real HTTP server (Express)
 * with real PayWord credentials from the bank's broker; the bound on waiting requests.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { farthing } from '@farthing/merchant-sdk/express';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import type { Credential } from '@farthing/protocol/credential';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import {
  navigationHeader,
  newNavigationId,
  payingParameter,
} from '@farthing/protocol/http/paying-navigation';
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
  wallet = await paywordWallet(world, 400);
});
afterAll(async () => {
  server.close();
  await merchant.close();
  await world.close();
});

/** The wallet's next click on `resource` at `shop`: its credential and a fresh navigation id. */
async function click(
  shop: Merchant,
  resource: string,
): Promise<{ credential: Credential; navigation: string }> {
  const offer = await offerOf(shop, resource);
  index += 5;
  return {
    credential: paywordCredential(offer, wallet, index, index === 5),
    navigation: newNavigationId(),
  };
}

/** A click at a shop of its own store: a chain new to it, its first word carries the commitment. */
async function firstClick(
  shop: Merchant,
  resource: string,
): Promise<{ credential: Credential; navigation: string }> {
  const offer = await offerOf(shop, resource);
  return {
    credential: paywordCredential(offer, await paywordWallet(world), 5, true),
    navigation: newNavigationId(),
  };
}

/** The wallet's POST of the credential (with `Farthing-Navigation` when given). */
function payWith(credential: Credential, origin: string, navigation?: string): Request {
  const request = payRequest(credential, origin);
  if (navigation !== undefined) request.headers.set(navigationHeader, navigation);
  return request;
}

/** The POST as a browser would send it to the real server. */
function post(credential: Credential, navigation?: string): Promise<Response> {
  return fetch(payWith(credential, url, navigation));
}

/** The navigation's GET of `path` with the id in its URL. */
function navigate(path: string, navigation: string, cookie?: string): Promise<Response> {
  return fetch(`${url}${path}?${payingParameter}=${navigation}`, {
    headers: { accept: 'application/json', ...(cookie === undefined ? {} : { cookie }) },
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a navigation that follows its payment', () => {
  it('is served at once with the grant when the payment was stored before it', async () => {
    const { credential, navigation } = await click(merchant, '/articles/before');
    const paid = await post(credential, navigation);
    expect(paid.status).toBe(200);
    const { value: response, ms } = await timed(() => navigate('/articles/before', navigation));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(secret);
    expect(JSON.parse(text.slice(secret.length + 1))).toMatchObject({
      resource: '/articles/before',
      price: { currency: 'EUR', minor: 5 },
    });
    expect(ms).toBeLessThan(waitMs / 2);
    // The same grant as the pay endpoint's answer, so the payer holds one grant per click.
    expect(response.headers.getSetCookie()).toEqual([paid.headers.get('set-cookie')]);
    expect(response.headers.get('cache-control')).toBe('private');
    // The grant opens the resource from then on.
    const again = await fetch(`${url}/articles/before`, {
      headers: { cookie: cookieFrom(paid.headers.get('set-cookie')) },
    });
    expect(again.status).toBe(200);
  });

  it('is served at once when the POST is answered with a payment the payer holds already', async () => {
    const quick = openShop(world, new MemoryMerchantStore());
    try {
      const payer = await paywordWallet(world);
      const offer = await offerOf(quick, '/articles/held');
      const paid = await quick.pay(payWith(paywordCredential(offer, payer, 5, true), shopOrigin));
      expect(paid.status).toBe(200);
      // A second click on the same article, its POST carrying the grant: nothing is taken.
      const navigation = newNavigationId();
      const again = payWith(paywordCredential(offer, payer, 10, false), shopOrigin, navigation);
      again.headers.set('cookie', cookieFrom(paid.headers.get('set-cookie')));
      expect(await (await quick.pay(again)).json()).toMatchObject({ owned: true });
      const target = `${shopOrigin}/articles/held?${payingParameter}=${navigation}`;
      const { value: result, ms } = await timed(() => quick.handle(new Request(target)));
      expect(result).toMatchObject({ action: 'continue' });
      expect(ms).toBeLessThan(waitMs / 2);
    } finally {
      await quick.close();
    }
  });

  it('waits for a payment whose POST comes a moment after it', async () => {
    const { credential, navigation } = await click(merchant, '/articles/after');
    const followed = timed(() => navigate('/articles/after', navigation));
    await pause(150);
    const paid = await post(credential, navigation);
    expect(paid.status).toBe(200);
    const { value: response, ms } = await followed;
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(secret);
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(response.headers.getSetCookie()).toEqual([paid.headers.get('set-cookie')]);
  });

  it('answers 402 with the refusal as soon as the payment it follows is refused', async () => {
    const { credential: first } = await click(merchant, '/articles/spent');
    expect((await post(first)).status).toBe(200);
    // The same word again, for another offer: refused as replayed.
    const offer = await offerOf(merchant, '/articles/replayed');
    const replayed = paywordCredential(offer, wallet, index, false);
    const navigation = newNavigationId();
    const followed = timed(() => navigate('/articles/replayed', navigation));
    await pause(100);
    const refused = await post(replayed, navigation);
    expect(refused.status).toBe(409);
    const { value: response, ms } = await followed;
    expect(response.status).toBe(402);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(findFarthingChallenge(response.headers.get('www-authenticate')!)?.error).toBe(
      'payword_replayed',
    );
    expect(await response.json()).toMatchObject({ code: 'payword_replayed' });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('answers 402 at once to a refusal kept from before it, even one before the credential was read', async () => {
    const navigation = newNavigationId();
    const refused = await fetch(`${url}/.well-known/farthing/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [navigationHeader]: navigation },
      body: '{"type":"payword"}',
    });
    expect(refused.status).toBe(400);
    const { code } = (await refused.json()) as { code: string };
    const { value: response, ms } = await timed(() => navigate('/articles/garbled', navigation));
    expect(response.status).toBe(402);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(await response.json()).toMatchObject({ code });
  });

  it('answers 402 at once to a POST refused before the desk (not JSON)', async () => {
    const navigation = newNavigationId();
    const refused = await fetch(`${url}/.well-known/farthing/pay`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', [navigationHeader]: navigation },
      body: 'x',
    });
    expect(refused.status).toBe(415);
    const { value: response, ms } = await timed(() => navigate('/articles/plain', navigation));
    expect(response.status).toBe(402);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(await response.json()).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('is served when a retry of a stored payment carries its id (answered from the store)', async () => {
    const { credential, navigation } = await click(merchant, '/articles/retried');
    const first = await post(credential);
    expect(first.status).toBe(200);
    const followed = timed(() => navigate('/articles/retried', navigation));
    await pause(100);
    const retry = await post(credential, navigation);
    expect(retry.status).toBe(200);
    const { value: response, ms } = await followed;
    expect(response.status).toBe(200);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(response.headers.getSetCookie()).toEqual([first.headers.get('set-cookie')]);
  });

  it("answers 402 to a payment of another resource, and does not serve that resource's grant", async () => {
    const { credential, navigation } = await click(merchant, '/articles/bought');
    expect((await post(credential, navigation)).status).toBe(200);
    const { value: response, ms } = await timed(() => navigate('/articles/other', navigation));
    expect(response.status).toBe(402);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.json()).toMatchObject({ code: 'payment_required' });
  });

  it('answers 402 when the grant of the payment it names has expired', async () => {
    const { credential, navigation } = await click(merchant, '/articles/old');
    expect((await post(credential, navigation)).status).toBe(200);
    world.bank.clock.now += 25 * 3_600_000;
    try {
      const { value: response, ms } = await timed(() => navigate('/articles/old', navigation));
      expect(response.status).toBe(402);
      expect(ms).toBeLessThan(waitMs / 2);
      expect(response.headers.getSetCookie()).toEqual([]);
    } finally {
      world.bank.clock.now -= 25 * 3_600_000;
    }
  });

  it('answers 402 at once to a malformed id in the URL', async () => {
    const { credential, navigation } = await click(merchant, '/articles/malformed');
    expect((await post(credential, navigation)).status).toBe(200);
    // The last character of a 16-byte id has its low 4 bits zero (`A`); `B` is not canonical.
    for (const value of ['x', `${navigation}A`, `${navigation.slice(0, -1)}B`, '']) {
      const { value: response, ms } = await timed(() => navigate('/articles/malformed', value));
      expect(response.status).toBe(402);
      expect(ms).toBeLessThan(waitMs / 2);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it('takes the payment as usual when the header is malformed', async () => {
    for (const value of [
      'x',
      `${newNavigationId()}A`,
      `${newNavigationId()}, ${newNavigationId()}`,
    ]) {
      const { credential } = await click(merchant, '/articles/header');
      const { value: paid, ms } = await timed(() => post(credential, value));
      expect(paid.status).toBe(200);
      expect(ms).toBeLessThan(waitMs / 2);
      expect(await paid.json()).toMatchObject({ grant: { resource: '/articles/header' } });
    }
  });

  it('leaves a request with a valid grant as it was: served at once, the id not even read', async () => {
    const { credential } = await click(merchant, '/articles/held');
    const paid = await post(credential);
    const grant = cookieFrom(paid.headers.get('set-cookie'));
    const { value: response, ms } = await timed(() =>
      navigate('/articles/held', newNavigationId(), grant),
    );
    expect(response.status).toBe(200);
    expect(ms).toBeLessThan(waitMs / 2);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('a navigation whose payment never comes', () => {
  it('answers 402 after the wait to an id no payment carried', async () => {
    const quick = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: 300 });
    try {
      const request = new Request(
        `${shopOrigin}/articles/unknown?${payingParameter}=${newNavigationId()}`,
      );
      const { value: result, ms } = await timed(() => quick.handle(request));
      expect(ms).toBeGreaterThanOrEqual(295);
      if (result.action !== 'respond') throw new Error('expected the 402');
      expect(result.response.status).toBe(402);
      expect(result.response.headers.getSetCookie()).toEqual([]);
    } finally {
      await quick.close();
    }
  });

  it('is not served by a payment of its resource whose POST carries no id', async () => {
    const quick = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: 600 });
    try {
      const { credential, navigation } = await firstClick(quick, '/articles/unnamed');
      const get = new Request(`${shopOrigin}/articles/unnamed?${payingParameter}=${navigation}`);
      const followed = timed(() => quick.handle(get));
      await pause(50);
      expect((await quick.pay(payWith(credential, shopOrigin))).status).toBe(200);
      const { value: result, ms } = await followed;
      expect(ms).toBeGreaterThanOrEqual(595);
      expect(result).toMatchObject({ action: 'respond', response: { status: 402 } });
    } finally {
      await quick.close();
    }
  });

  it('serves an id once: the same URL again, without the grant, waits and gets the 402', async () => {
    const quick = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: 300 });
    try {
      const { credential, navigation } = await firstClick(quick, '/articles/once');
      expect((await quick.pay(payWith(credential, shopOrigin, navigation))).status).toBe(200);
      const target = `${shopOrigin}/articles/once?${payingParameter}=${navigation}`;
      expect(await quick.handle(new Request(target))).toMatchObject({ action: 'continue' });
      const { value: again, ms } = await timed(() => quick.handle(new Request(target)));
      expect(again).toMatchObject({ action: 'respond', response: { status: 402 } });
      expect(ms).toBeGreaterThanOrEqual(295);
    } finally {
      await quick.close();
    }
  });

  it('lets at most 1,024 requests wait; the next gets its 402 at once', async () => {
    const shop = openShop(world, new MemoryMerchantStore(), {}, { paymentWaitMs: 1_500 });
    const get = () =>
      shop.handle(
        new Request(`${shopOrigin}/articles/flood?${payingParameter}=${newNavigationId()}`),
      );
    try {
      const waiting = Array.from({ length: 1024 }, get);
      await pause(100);
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
