/**
 * Never paying for nothing (issue 20), the SDK's part: a payment made inline with the request
 * commits before the application runs, so when the content handler then throws, the answer
 * still carries the receipt (`Authentication-Info`) and the grant cookie, and the content is
 * served to that grant on the retry, without a second charge; and a merchant store that
 * outlives the process (SQLite) serves the grant after a restart.
 */
import { type FarthingEnv, farthing } from '@farthing/merchant-sdk/hono';
import { encodeCredential } from '@farthing/protocol/credential';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookieFrom,
  ecashCredential,
  offerOf,
  openShop,
  shopOrigin,
  withdraw,
} from '../merchant/merchant.fixture.ts';
import {
  expectBooksBalance,
  openRefundWorld,
  type RefundWorld,
  shopBalance,
} from './refunds.fixture.ts';

let w: RefundWorld;
beforeAll(async () => {
  w = await openRefundWorld();
});
afterAll(() => w.close());

describe('a content handler that fails after the payment committed', () => {
  it('answers with the receipt and grant, and serves the content to that grant on the retry', async () => {
    let failing = true;
    const app = new Hono<FarthingEnv>();
    app.onError((_error, c) => c.text('the article could not be served', 500));
    app.use(farthing(w.merchant));
    app.get('/articles/:slug', (c) => {
      if (failing) throw new Error('the content store is down');
      return c.text(`the article, paid until ${c.get('farthing')?.grantExpiresAt}`);
    });
    const offer = await offerOf(w.merchant, '/articles/fragile');
    const credential = ecashCredential(offer, await withdraw(w.world, [5]));
    const before = await shopBalance(w.world);
    const first = await app.request(`${shopOrigin}/articles/fragile`, {
      headers: {
        authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }),
      },
    });
    expect(first.status).toBe(500);
    expect(first.headers.get('authentication-info')).toMatch(/^receipt="[A-Za-z0-9_-]+"$/);
    const cookie = cookieFrom(first.headers.get('set-cookie'));
    expect(await shopBalance(w.world)).toBe(before + 5);

    failing = false;
    const retry = await app.request(`${shopOrigin}/articles/fragile`, { headers: { cookie } });
    expect(retry.status).toBe(200);
    expect(await retry.text()).toContain('the article');
    expect(await shopBalance(w.world)).toBe(before + 5);

    // The grant is in the merchant's SQLite store: a new merchant object (a restarted server)
    // over the same store serves it too.
    const restarted = new Hono<FarthingEnv>();
    restarted.use(farthing(openShop(w.world, w.store)));
    restarted.get('/articles/:slug', (c) => c.text('the article again'));
    const afterRestart = await restarted.request(`${shopOrigin}/articles/fragile`, {
      headers: { cookie },
    });
    expect(afterRestart.status).toBe(200);
    expect(await afterRestart.text()).toBe('the article again');
    await expectBooksBalance(w.world);
  });
});
