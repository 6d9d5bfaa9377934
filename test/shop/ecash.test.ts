/**
 * A purchase with e-cash, end to end over HTTP: the 402 challenge at a priced article, coins
 * withdrawn from the mint as the demo customer, the payment at the shop's pay endpoint (which
 * deposits them at the mint before answering), the article served to the grant cookie, and
 * the bank's books moving by exactly the price.
 */

import { withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { coinStatus } from '@farthing/bank/test/http-bank.fixture';
import { encodeCredential } from '@farthing/protocol/credential';
import {
  findFarthingChallenge,
  formatFarthingCredentials,
} from '@farthing/protocol/http/farthing-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { item } from './catalog.ts';
import {
  ecashCredential,
  expectPaid,
  expectProblem,
  type KnownMerchant,
  knowMerchant,
  offerAt,
  offerOfChallenge,
  pay,
} from './wallet.ts';
import { closeShopWorld, openShopWorld, type ShopWorld } from './world.ts';

let world: ShopWorld;
let merchant: KnownMerchant;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = await knowMerchant(world.shopUrl, world.bank);
}, 60_000);
afterAll(() => closeShopWorld(world));

describe('paying an article with e-cash', () => {
  const article = item('/articles/night-bakery');

  it('answers 402 with the same signed offer for people and for programs', async () => {
    const page = await fetch(`${world.shopUrl}${article.path}`, {
      headers: { accept: 'text/html' },
    });
    const offer = offerOfChallenge(page, merchant);
    const html = await page.text();
    expect(html).toContain('The Farthing Gazette');
    expect(html).not.toContain(article.secret);

    const program = await fetch(`${world.shopUrl}${article.path}`, {
      headers: { accept: 'application/json' },
    });
    const challenge = findFarthingChallenge(program.headers.get('www-authenticate')!)!;
    expect(program.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/i);
    const { problem, text } = await expectProblem(program, 402, 'payment_required');
    expect(problem).toMatchObject({ resource: article.path, price: 'EUR 0.02' });
    expect(text).not.toContain(article.secret);
    expect(challenge.descriptor).toBe(`${world.shopUrl}/.well-known/farthing-merchant`);

    expect(offer).toMatchObject({
      merchantId: 'demo-shop',
      merchantOrigin: world.shopUrl,
      resource: article.path,
      amount: { currency: 'EUR', minor: 2 },
      title: 'A Week Inside the Night Bakery on Quay Street',
    });
    expect(merchant.name).toBe('The Farthing Gazette');
  });

  it('takes coins for the offer, deposits them, and serves the article to the grant', async () => {
    const before = await world.books();
    const offer = await offerAt(world.shopUrl, article.path, merchant);
    const coins = await withdrawCoins(world.bank, world.customer, [2]);
    const withdrawn = await world.books();
    expect(withdrawn.customer).toBe(before.customer - 2);

    const credential = ecashCredential(offer, coins);
    const paid = await expectPaid(await pay(world.shopUrl, credential), merchant);
    expect(paid.receipt).toMatchObject({
      merchantId: 'demo-shop',
      resource: article.path,
      amount: { currency: 'EUR', minor: 2 },
      instrument: 'ecash',
    });
    expect(paid.grant.resource).toBe(article.path);
    expect(await coinStatus(world.bank, coins[0]!.coin.coinPublicKey)).toBe('spent');

    const page = await fetch(`${world.shopUrl}${article.path}`, {
      headers: { cookie: paid.cookie },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private');
    const html = await page.text();
    expect(html).toContain(article.secret);
    expect(html).toContain('You paid EUR 0.02 for this article.');

    // The customer paid the price once, at withdrawal; the merchant got it at the deposit.
    const after = await world.books();
    expect(before.customer - after.customer).toBe(2);
    expect(after.merchant - before.merchant).toBe(2);
    expect(after.coins).toBe(before.coins);

    // The same credential again is the same payment: the first receipt, no second deposit.
    const again = await expectPaid(await pay(world.shopUrl, credential), merchant);
    expect(again.receipt.receiptId).toEqual(paid.receipt.receiptId);
    expect(await world.books()).toEqual(after);

    // The grant opens this article only.
    const other = await fetch(`${world.shopUrl}/articles/library-fines`, {
      headers: { cookie: paid.cookie, accept: 'application/json' },
    });
    await expectProblem(other, 402, 'payment_required');
    expect(await world.problems()).toEqual([]);
  });

  it('pays inline with the Authorization header and serves the download at once', async () => {
    const download = item('/downloads/quay-street-rye-loaf.txt');
    const offer = await offerAt(world.shopUrl, download.path, merchant);
    const coins = await withdrawCoins(world.bank, world.customer, [2, 2]);
    const before = await world.books();
    const authorization = formatFarthingCredentials({
      credential: encodeCredential(ecashCredential(offer, coins)),
    });
    const response = await fetch(`${world.shopUrl}${download.path}`, {
      headers: { authorization },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="quay-street-rye-loaf.txt"',
    );
    expect(response.headers.get('authentication-info')).toMatch(/^receipt="[A-Za-z0-9_-]+"$/);
    expect(response.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax/);
    expect(await response.text()).toBe(download.secret);
    expect((await world.books()).merchant - before.merchant).toBe(4);
  });
});
