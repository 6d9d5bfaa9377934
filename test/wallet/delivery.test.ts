/**
 * Never paying for nothing, the wallet's side (issue 20), against the real bank and the real
 * demo shop on loopback whose article store can be taken down: a paid article that answers 503
 * is fetched again with the grant; content that comes back is delivered; a merchant that keeps
 * failing for `notDeliveredAfterMs` has its payment shown as not delivered, and the one-click
 * refund request gets the money back (e-cash: fresh spendable coins), once. A pay endpoint that
 * fails after the credential left is resent with the same credential until it answers.
 */
import {
  checkDelivery,
  listDeliveries,
  notDeliveredAfterMs,
  reportFailedPage,
  resumeDeliveries,
} from '@farthing/extension/wallet/delivery/delivery';
import { requestRefund } from '@farthing/extension/wallet/delivery/refund-request';
import { describeOffer, payOffer } from '@farthing/extension/wallet/pay/pay';
import type { WalletPlatform } from '@farthing/extension/wallet/platform';
import { listRefunds } from '@farthing/extension/wallet/refunds/learn';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  coinTotals,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

/**
 * The service worker's fetch as far as this test needs it: a clock the test moves, and a cookie
 * jar (the grant cookie the pay endpoint sets rides on the later fetches of the paid page, as
 * the browser's jar does for the extension). `failPay`: the pay endpoint's answer is lost.
 */
function browserLike() {
  const jar = new Map<string, string>();
  const state = { skew: 0, failPay: false };
  const platform: WalletPlatform = {
    now: () => Date.now() + state.skew,
    async fetch(url, init) {
      const headers = new Headers(init.headers);
      const cookies = [...jar.values()].join('; ');
      if (init.credentials === 'include' && cookies !== '') headers.set('cookie', cookies);
      const response = await fetch(url, { ...init, headers });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        jar.set(pair.slice(0, pair.indexOf('=')), pair);
      }
      if (state.failPay && new URL(url).pathname === '/.well-known/farthing/pay') {
        await response.body?.cancel();
        throw new TypeError('the connection dropped');
      }
      return response;
    },
  };
  return { platform, state };
}

let world: ShopWorld;
let wallet: Wallet;
let browser: ReturnType<typeof browserLike>;

beforeAll(async () => {
  world = await openShopWorld();
  browser = browserLike();
  wallet = await openTestWallet(freshDbName(), browser.platform);
  await addBankAndLogIn(wallet, world);
  await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 300 } });
  expect(await wallet.resume()).toBe(0);
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

beforeEach(() => {
  world.articlesUp = true;
  browser.state.skew = 0;
  browser.state.failPay = false;
});

async function pay(article: (typeof pricedArticles)[number]) {
  return payOffer(wallet, wallet.hooks, {
    token: await offerTokenAt(world, article.path),
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seenClick,
  });
}

async function paymentOf(receiptId: string) {
  const receipt = await wallet.db.get('receipts', receiptId);
  return (await wallet.db.get('payments', receipt!.paymentId))!;
}

describe('a paid page that does not arrive', () => {
  it('is retried with the grant, shown not delivered after the stated time, and refunded on one click', async () => {
    const article = pricedArticles.at(-1)!;
    world.articlesUp = false;
    const paid = await pay(article);
    if (paid.status !== 'paid') throw new Error(JSON.stringify(paid));
    expect(paid.instrument).toBe('ecash');
    const payment = await paymentOf(paid.receiptId);
    const before = await coinTotals(wallet);
    const reloads: string[] = [];
    // The page the click navigated to answered 503: the content script reports it.
    expect(
      await reportFailedPage(wallet, `${payment.navigateTo}#top`, 503, async () => {
        reloads.push('reload');
      }),
    ).toBe(true);
    // A page nobody paid for is not the wallet's business.
    expect(await reportFailedPage(wallet, `${world.shopUrl}/about`, 503, async () => {})).toBe(
      false,
    );
    expect(await checkDelivery(wallet, payment.id)).toMatchObject({
      status: 'retrying',
      what: 'content',
      lastStatus: 503,
    });
    // A refund is not asked for while the wallet still retries.
    await expect(requestRefund(wallet, payment.id)).rejects.toMatchObject({
      code: 'payment_in_progress',
    });

    browser.state.skew = notDeliveredAfterMs;
    expect(await checkDelivery(wallet, payment.id)).toMatchObject({ status: 'not_delivered' });
    const [shown] = await listDeliveries(wallet);
    expect(shown).toMatchObject({
      paymentId: payment.id,
      status: 'not_delivered',
      receiptId: paid.receiptId,
      price: { minor: article.price },
    });
    expect(shown!.notDeliveredAt - shown!.firstFailureAt).toBe(notDeliveredAfterMs);

    const refunded = await requestRefund(wallet, payment.id);
    expect(refunded).toMatchObject({ status: 'refunded', refunded: { minor: article.price } });
    // The refunded value came back as fresh coins from the mint.
    expect((await coinTotals(wallet)).spendable).toBe((before.spendable ?? 0) + article.price);
    expect(await listRefunds(wallet)).toMatchObject([
      { receiptId: paid.receiptId, status: 'refreshed', amount: { minor: article.price } },
    ]);
    // Asked again: the same answer, nothing more.
    expect(await requestRefund(wallet, payment.id)).toMatchObject({ status: 'refunded' });
    expect((await coinTotals(wallet)).spendable).toBe((before.spendable ?? 0) + article.price);
    // The refunded grant opens nothing at the shop any more, also once it is back up.
    world.articlesUp = true;
    const after = await browser.platform.fetch(payment.navigateTo, { credentials: 'include' });
    expect(after.status).toBe(403);
    await after.body?.cancel();
    expect(reloads).toEqual([]);
    // The article is no longer the user's: a click would pay for it anew, not reopen the grant.
    const again = await describeOffer(wallet, {
      token: await offerTokenAt(world, article.path),
      href: `${world.shopUrl}${article.path}`,
      pageUrl: `${world.shopUrl}/`,
    });
    expect(again.status).toBe('payable');
    expect(await world.problems()).toEqual([]);
  });

  it('is delivered when the merchant recovers within the time, and no refund is offered', async () => {
    const article = pricedArticles.at(-2)!;
    world.articlesUp = false;
    const paid = await pay(article);
    if (paid.status !== 'paid') throw new Error(JSON.stringify(paid));
    const payment = await paymentOf(paid.receiptId);
    expect(await reportFailedPage(wallet, payment.navigateTo, 500, async () => {})).toBe(true);
    expect(await checkDelivery(wallet, payment.id)).toMatchObject({ status: 'retrying' });
    world.articlesUp = true;
    expect(await checkDelivery(wallet, payment.id)).toMatchObject({
      status: 'delivered',
      lastStatus: 200,
    });
    expect((await listDeliveries(wallet)).map((d) => d.paymentId)).not.toContain(payment.id);
    await expect(requestRefund(wallet, payment.id)).rejects.toMatchObject({
      code: 'payment_in_progress',
    });
    // Had it been asked anyway, the shop knows the content was served and refuses.
    const asked = await fetch(`${world.shopUrl}/.well-known/farthing/refund-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"version":1,"reason":"not_delivered","credential":${payment.credential}}`,
    });
    expect(asked.status).toBe(409);
    expect(((await asked.json()) as { code: string }).code).toBe('refund_request_refused');
  });
});

describe('a pay endpoint whose answer is lost', () => {
  it('is resent with the same credential until the merchant answers, then delivered', async () => {
    const article = pricedArticles.at(-3)!;
    browser.state.failPay = true;
    const outcome = await pay(article);
    expect(outcome).toMatchObject({ status: 'refused', error: { code: 'merchant_unreachable' } });
    const [sent] = (await wallet.db.getAllFromIndex('payments', 'status', 'sent')).filter(
      (payment) => payment.resource === article.path,
    );
    expect(await wallet.db.get('deliveries', sent!.id)).toMatchObject({
      what: 'payment',
      status: 'retrying',
    });
    expect(await resumeDeliveries(wallet)).toBe(1);
    browser.state.failPay = false;
    expect(await wallet.resume()).toBe(0);
    expect((await wallet.db.get('payments', sent!.id))?.status).toBe('confirmed');
    expect(await resumeDeliveries(wallet)).toBe(0);
    expect(await wallet.db.get('deliveries', sent!.id)).toMatchObject({ status: 'delivered' });
    expect(await world.problems()).toEqual([]);
  });
});
