/**
 * The wallet core against the real bank and demo shop: it pays only for what the user saw, and
 * never twice for what the user owns, whatever fresh offer the shop signs for it meanwhile.
 */

import type { Presentation } from '@farthing/extension/messages/contract';
import type { ConfirmationRequest } from '@farthing/extension/wallet/pay/pay';
import { describeOffer, payOffer } from '@farthing/extension/wallet/pay/pay';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

let world: ShopWorld;
let wallet: Wallet;

beforeAll(async () => {
  world = await openShopWorld();
  wallet = await openTestWallet(freshDbName(), crashingFetch().platform);
  await addBankAndLogIn(wallet, world);
  await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 300 } });
  await wallet.resume();
  // The first payment to the shop asks anyway; made here so the tests below see auto-pay live.
  const first = pricedArticles[0]!;
  const outcome = await payOffer(
    wallet,
    wallet.hooks,
    clickOn(first, await offerTokenAt(world, first.path)),
  );
  if (outcome.status !== 'paid')
    throw new Error(`the first payment failed: ${JSON.stringify(outcome)}`);
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

type Article = (typeof pricedArticles)[number];

/** A click on `article`'s link; `seen: 'nothing'` when the content script measured nothing. */
function clickOn(article: Article, token: string, seen: Presentation | 'nothing' = seenClick) {
  return {
    token,
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seen === 'nothing' ? undefined : seen,
  };
}

/** The wallet's hooks, recording what it asked and answering `answer`. */
function asking(answer: boolean) {
  const asked: ConfirmationRequest[] = [];
  const hooks = {
    ...wallet.hooks,
    confirm: async (request: ConfirmationRequest) => {
      asked.push(request);
      return answer;
    },
  };
  return { asked, hooks };
}

/** An offer the shop signs later for the same article (its offers are re-signed every 7.5 min). */
async function laterOffer(article: Article, token: string): Promise<string> {
  world.skew += 8 * 60_000;
  const later = await offerTokenAt(world, article.path);
  expect(later).not.toBe(token);
  return later;
}

describe('paying only for what the user saw', () => {
  it('asks in its window for a click that did not show the link was seen, and declining pays nothing', async () => {
    const article = pricedArticles[1]!;
    const token = await offerTokenAt(world, article.path);
    const before = await world.books();
    const unseen: Presentation[] = [
      { ...seenClick, hit: false },
      { ...seenClick, visibleMs: 0 },
      { ...seenClick, shownMs: 50 },
      { ...seenClick, input: 'keyboard', focusMs: 10 },
    ];
    for (const seen of ['nothing' as const, ...unseen]) {
      const { asked, hooks } = asking(false);
      const outcome = await payOffer(wallet, hooks, clickOn(article, token, seen));
      expect(outcome).toMatchObject({
        status: 'refused',
        error: { code: 'confirmation_declined' },
      });
      // The window shows the true price and payee.
      expect(asked).toMatchObject([
        {
          reason: 'unseen_click',
          price: { minor: article.price },
          payee: { origin: world.shopUrl },
        },
      ]);
    }
    expect(await world.books()).toEqual(before);
    const payments = await wallet.db.getAllFromIndex('payments', 'offerHash');
    expect(payments.filter((p) => p.resource === article.path)).toEqual([]);
  });

  it('pays a seen click at once, without asking', async () => {
    const article = pricedArticles[1]!;
    const { asked, hooks } = asking(false);
    const outcome = await payOffer(
      wallet,
      hooks,
      clickOn(article, await offerTokenAt(world, article.path)),
    );
    expect(outcome).toMatchObject({ status: 'paid', owned: false });
    expect(asked).toEqual([]);
  });
});

describe('never paying twice for what the user owns', () => {
  it('opens an owned article on a fresh offer without paying again, and says it is owned', async () => {
    const article = pricedArticles[2]!;
    const token = await offerTokenAt(world, article.path);
    const first = await payOffer(wallet, wallet.hooks, clickOn(article, token));
    expect(first).toMatchObject({ status: 'paid', owned: false });
    const later = await laterOffer(article, token);
    const view = await describeOffer(wallet, clickOn(article, later));
    expect(view).toMatchObject({ status: 'owned', price: { minor: article.price } });
    if (view.status !== 'owned') throw new Error('expected owned');
    expect(view.grantExpiresAt).toBeGreaterThan(Date.now() + 60 * 60_000);
    const before = await world.books();
    const again = await payOffer(wallet, wallet.hooks, clickOn(article, later));
    expect(again).toMatchObject({ status: 'paid', owned: true });
    if (first.status !== 'paid' || again.status !== 'paid') throw new Error('expected paid');
    expect(again.receiptId).toBe(first.receiptId);
    expect(await world.books()).toEqual(before);
  });

  it('makes one payment for many clicks on two offers of one article at once', async () => {
    const article = pricedArticles[3]!;
    const a = await offerTokenAt(world, article.path);
    const b = await laterOffer(article, a);
    const before = await world.books();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        payOffer(wallet, wallet.hooks, clickOn(article, i % 2 === 0 ? a : b)),
      ),
    );
    const receipts = new Set(outcomes.map((o) => (o.status === 'paid' ? o.receiptId : o.status)));
    expect(receipts.size).toBe(1);
    expect([...receipts][0]).not.toBe('refused');
    const payments = (await wallet.db.getAll('payments')).filter(
      (p) => p.resource === article.path,
    );
    expect(payments.map((p) => p.status)).toEqual(['confirmed']);
    // The shop's books settle later (PayWord) or now (e-cash); either way one price left the customer.
    await wallet.resume();
    const after = await world.books();
    expect(
      before.customer + before.coins + before.holds - (after.customer + after.coins + after.holds),
    ).toBe(payments[0]!.instrument === 'ecash' ? article.price : 0);
  });

  it('is answered by the shop with the earlier receipt when the browser holds a grant the wallet does not know', async () => {
    const article = pricedArticles[4]!;
    const token = await offerTokenAt(world, article.path);
    const first = await payOffer(wallet, wallet.hooks, clickOn(article, token));
    if (first.status !== 'paid') throw new Error('expected paid');
    // The grant cookie that payment set in the browser: the stored credential sent again.
    const [paid] = (await wallet.db.getAll('payments')).filter((p) => p.resource === article.path);
    const again = await fetch(paid!.payEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: paid!.credential!,
    });
    await again.body?.cancel();
    const cookie = again.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .join('; ');
    expect(cookie).not.toBe('');

    // Another wallet (a second profile, or one restored without its history) in that browser.
    const net = crashingFetch();
    const browserFetch = net.platform.fetch;
    const other = await openTestWallet(freshDbName(), {
      ...net.platform,
      // The browser's cookie jar: the shop's grant cookie goes with requests to the shop.
      fetch: (url, init) => {
        if (!url.startsWith(world.shopUrl)) return browserFetch(url, init);
        const headers = new Headers(init.headers);
        headers.set('cookie', cookie);
        return browserFetch(url, { ...init, headers });
      },
    });
    try {
      await addBankAndLogIn(other, world);
      await other.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 100 } });
      await other.resume();
      const before = await world.books();
      const outcome = await payOffer(other, other.hooks, clickOn(article, token));
      expect(outcome).toMatchObject({ status: 'paid', owned: true, receiptId: first.receiptId });
      // That wallet's payment was not taken: ended unpaid, its coins not spent at the shop.
      const ended = await other.db.getAll('payments');
      expect(ended.map((p) => [p.status, p.error?.code])).toEqual([['failed', 'already_paid']]);
      await other.resume();
      const after = await world.books();
      expect(after.merchant).toBe(before.merchant);
      expect(await world.problems()).toEqual([]);
    } finally {
      other.close();
    }
  });
});
