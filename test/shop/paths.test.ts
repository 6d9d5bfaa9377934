/**
 * Path tricks against a paid and an unpaid reader: every other spelling of a priced address
 * (`%2F`, `%252F`, `..`, backslash, trailing slash, case, …) is refused with
 * `400 non_canonical_path` before any route runs, so no spelling serves the content unpaid,
 * and none serves it to the payer either (the grant names the canonical address only).
 * Requests go out byte for byte (`fetch` would normalise the target first).
 */

import { withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { item } from './catalog.ts';
import { ecashCredential, expectPaid, knowMerchant, offerAt, pay, rawGet } from './wallet.ts';
import { closeShopWorld, openShopWorld, type ShopWorld } from './world.ts';

let world: ShopWorld;
let cookie: string;
const article = item('/articles/night-bakery');
const print = item('/gallery/murmuration/full');
const download = item('/downloads/tide-table-2026-q1.csv');

beforeAll(async () => {
  world = await openShopWorld();
  // A paying reader: their cookies open the three canonical addresses.
  const merchant = await knowMerchant(world.shopUrl, world.bank);
  const cookies: string[] = [];
  for (const target of [article, print, download]) {
    const offer = await offerAt(world.shopUrl, target.path, merchant);
    const coins = await withdrawCoins(world.bank, world.customer, coinsFor(target.price));
    cookies.push(
      (await expectPaid(await pay(world.shopUrl, ecashCredential(offer, coins)), merchant)).cookie,
    );
  }
  cookie = cookies.join('; ');
}, 60_000);
afterAll(() => closeShopWorld(world));

/** Coins of 1, 2, 5, 10 and 20 cents adding up to `price`. */
function coinsFor(price: number): number[] {
  const coins: number[] = [];
  let left = price;
  for (const value of [20, 10, 5, 2, 1]) {
    while (left >= value) {
      coins.push(value);
      left -= value;
    }
  }
  return coins;
}

/**
 * Every trick is refused with `non_canonical_path`: by the merchant SDK's guard, or, for a
 * backslash in the path (which @hono/node-server refuses before the shop's code runs), by the
 * SDK's error handler the shop gives the server.
 */
const tricks: readonly {
  target: string;
  why: string;
  guards: typeof article;
}[] = [
  { target: '/articles%2Fnight-bakery', why: '%2F', guards: article },
  { target: '/articles%2fnight-bakery', why: '%2f', guards: article },
  { target: '/articles%252Fnight-bakery', why: '%252F', guards: article },
  { target: '/articles%25252Fnight-bakery', why: '%25252F', guards: article },
  { target: '/gallery%2Fmurmuration%2Ffull', why: '%2F twice', guards: print },
  { target: '/free/../articles/night-bakery', why: '..', guards: article },
  {
    target: '/articles/../articles/night-bakery',
    why: '.. back into the section',
    guards: article,
  },
  { target: '/free/%2e%2e/articles/night-bakery', why: '%2e%2e', guards: article },
  { target: '/articles/./night-bakery', why: '.', guards: article },
  { target: '/gallery/murmuration/../murmuration/full', why: '.. inside', guards: print },
  { target: '/articles\\night-bakery', why: 'backslash', guards: article },
  { target: '/articles%5Cnight-bakery', why: '%5C', guards: article },
  {
    target: '/free\\..\\articles\\night-bakery',
    why: 'backslash ..',
    guards: article,
  },
  { target: '/articles/night-bakery/', why: 'trailing slash', guards: article },
  { target: '/gallery/murmuration/full/', why: 'trailing slash', guards: print },
  { target: '/downloads/tide-table-2026-q1.csv/', why: 'trailing slash', guards: download },
  { target: '/articles/night-bakery//', why: 'two trailing slashes', guards: article },
  { target: '//articles/night-bakery', why: 'leading //', guards: article },
  { target: '/articles//night-bakery', why: 'inner //', guards: article },
  { target: '/Articles/night-bakery', why: 'capital letter', guards: article },
  { target: '/ARTICLES/NIGHT-BAKERY', why: 'upper case', guards: article },
  { target: '/articles/Night-Bakery', why: 'case of the slug', guards: article },
  { target: '/gallery/murmuration/FULL', why: 'case of the last segment', guards: print },
  { target: '/DOWNLOADS/tide-table-2026-q1.csv', why: 'case', guards: download },
  { target: '/%61rticles/night-bakery', why: 'needless %61', guards: article },
  { target: '/articles/night-bakery%2F', why: 'encoded trailing slash', guards: article },
];

describe('path tricks', () => {
  it('the canonical addresses serve the payer and charge everyone else', async () => {
    for (const target of [article, print, download]) {
      const paid = await rawGet(world.shopUrl, target.path, { cookie });
      expect(paid.status, target.path).toBe(200);
      expect(paid.body).toContain(target.secret);
      const unpaid = await rawGet(world.shopUrl, target.path, { accept: 'application/json' });
      expect(unpaid.status).toBe(402);
      expect(unpaid.body).not.toContain(target.secret);
    }
  });

  for (const trick of tricks) {
    it(`refuses ${trick.why}: ${trick.target}`, async () => {
      for (const headers of [{ cookie }, {}]) {
        const response = await rawGet(world.shopUrl, trick.target, {
          accept: 'application/json',
          ...headers,
        });
        expect(response.status).toBe(400);
        expect(response.body).not.toContain(trick.guards.secret);
        expect(response.contentType).toBe('application/problem+json');
        expect(JSON.parse(response.body)).toMatchObject({ code: 'non_canonical_path' });
        // A person gets the same refusal, not the page.
        const page = await rawGet(world.shopUrl, trick.target, { accept: 'text/html', ...headers });
        expect(page.status).toBe(400);
        expect(page.body).not.toContain(trick.guards.secret);
      }
    });
  }

  it('sends unknown addresses in a priced section to the 404 page, unpriced', async () => {
    const response = await rawGet(world.shopUrl, '/articles/no-such-story', {
      accept: 'text/html',
    });
    expect(response.status).toBe(404);
    expect(response.body).toContain('We could not find that page');
    expect(response.body).not.toContain(article.secret);
  });
});
