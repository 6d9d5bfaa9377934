/**
 * A priced click's page goes at the click while its payment travels (the content script's
 * navigation id, extension/src/background/pay-click.ts, the SDK's guard): the wallet core
 * against the real bank and demo shop. The navigation, sent first with the id in its URL, waits
 * at the shop until the wallet's payment carrying the same id is stored, and is served paid; a
 * click the wallet does not pay at once is answered `held` and its end asked for after.
 */
import { printPath, prints } from '@farthing/demo-shop/catalog';
import { clickOutcome, payClick } from '@farthing/extension/background/pay-click';
import { describeOffer, payOffer } from '@farthing/extension/wallet/pay/pay';
import { spentToday, updateSite } from '@farthing/extension/wallet/settings';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { newNavigationId, withNavigationId } from '@farthing/protocol/http/paying-navigation';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  type CrashingFetch,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

let world: ShopWorld;
let wallet: Wallet;
let dbName: string;
let net: CrashingFetch;
const payable = pricedArticles.filter((article) => article.price <= 10);

beforeAll(async () => {
  world = await openShopWorld();
  dbName = freshDbName();
  net = crashingFetch();
  wallet = await openTestWallet(dbName, net.platform);
  await addBankAndLogIn(wallet, world);
  await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 100 } });
  await wallet.resume();
  // The first payment makes the PayWord certificate and chain (and asks: the first one does).
  const first = payable.at(-1)!;
  const outcome = await payOffer(wallet, wallet.hooks, await clickOn(first));
  if (outcome.status !== 'paid' || outcome.instrument !== 'payword') {
    throw new Error(`the first payment failed: ${JSON.stringify(outcome)}`);
  }
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

async function clickOn(article: (typeof payable)[number], seen = true) {
  return {
    token: await offerTokenAt(world, article.path),
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seen ? seenClick : undefined,
  };
}

/** The page's navigation as the browser sends it: no grant, the id in its URL. */
function navigate(path: string, id: string) {
  return fetch(withNavigationId(`${world.shopUrl}${path}`, id), {
    headers: { accept: 'text/html' },
  });
}

/** The words made ready for a hovered link once they are: named by a chain, their payment not stored. */
function readyWords() {
  return vi.waitFor(async () => {
    let found: { paymentId: string; journalId: string; index: number } | undefined;
    for (const chain of await wallet.db.getAll('paywordChains')) {
      const words = chain.prepared;
      if (words !== undefined && (await wallet.db.get('payments', words.paymentId)) === undefined)
        found = words;
    }
    expect(found).toBeDefined();
    return found!;
  });
}

function grantSet(response: Response): boolean {
  return response.headers.getSetCookie().some((cookie) => cookie.startsWith('farthing-grant-'));
}

describe('a click whose page goes while its payment travels', () => {
  it('the navigation sent first waits at the shop and is served once the payment is stored', async () => {
    const article = payable[0]!;
    const id = newNavigationId();
    const page = navigate(article.path, id);
    const answer = await payClick(wallet, 7, { ...(await clickOn(article)), navigation: id });
    expect(answer).toMatchObject({ status: 'paid', instrument: 'payword', owned: false });
    const response = await page;
    expect(response.status).toBe(200);
    expect(grantSet(response)).toBe(true);
    await response.body?.cancel();
  });

  it('a click whose tooltip made its payment ready sends that payment, and its page opens', async () => {
    // A print of the gallery: every cheap article has its own test here.
    const print = prints.find((candidate) => candidate.price === 'EUR 0.03')!;
    const article = { path: printPath(print), price: 3 };
    const click = await clickOn(article);
    const view = await describeOffer(wallet, { ...click, prepare: true });
    expect(view).toMatchObject({ status: 'payable', confirmation: null });
    const prepared = await readyWords();
    expect(await wallet.db.get('payments', prepared.paymentId)).toBeUndefined();
    // Shown again, the tooltip counts the price once: the words made ready are this click's.
    const again = await describeOffer(wallet, { ...click, prepare: true });
    expect(again).toMatchObject({
      siteBudgetLeft: (view as { siteBudgetLeft: unknown }).siteBudgetLeft,
      dailyBudgetLeft: (view as { dailyBudgetLeft: unknown }).dailyBudgetLeft,
    });
    const id = newNavigationId();
    const page = navigate(article.path, id);
    const answer = await payClick(wallet, 7, { ...click, navigation: id });
    expect(answer).toMatchObject({ status: 'paid', instrument: 'payword', owned: false });
    expect(await wallet.db.get('payments', prepared.paymentId)).toMatchObject({
      resource: article.path,
      index: prepared.index,
    });
    const response = await page;
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('a click on a ready link that must be asked about counts its price once against the budget', async () => {
    const print = prints.find((candidate) => candidate.price === 'EUR 0.02')!;
    const article = { path: printPath(print), price: 2 };
    const origin = new URL(world.shopUrl).origin;
    const { byOrigin } = await spentToday(wallet.db, Date.now());
    // Room for this price once, not twice.
    const room = (byOrigin.get(origin) ?? 0) + 3;
    await updateSite(wallet, { origin, budget: { currency: 'EUR', minor: room } });
    try {
      await describeOffer(wallet, { ...(await clickOn(article)), prepare: true });
      const prepared = await readyWords();
      // No sign the user saw the link: asked (and accepted here), the long way.
      const outcome = await payOffer(wallet, wallet.hooks, await clickOn(article, false));
      expect(outcome).toMatchObject({ status: 'paid', owned: false });
      const journal = await wallet.db.getAll('journal');
      expect(journal.some((entry) => entry.id === prepared.journalId)).toBe(false);
    } finally {
      await updateSite(wallet, { origin, budget: null });
    }
  }, 15_000);

  it('and once it is, a navigation that comes after the payment is served too', async () => {
    const article = payable[1]!;
    const id = newNavigationId();
    const answer = await payClick(wallet, 7, { ...(await clickOn(article)), navigation: id });
    expect(answer).toMatchObject({ status: 'paid' });
    const response = await navigate(article.path, id);
    expect(response.status).toBe(200);
    expect(grantSet(response)).toBe(true);
    await response.body?.cancel();
  });

  it('holds a click the wallet asks about, and tells its end to the tab that clicked only', async () => {
    const article = payable[2]!;
    const id = newNavigationId();
    // A click that showed nothing seen is asked in the wallet's window (accepted here).
    const answer = await payClick(wallet, 7, {
      ...(await clickOn(article, false)),
      navigation: id,
    });
    expect(answer).toEqual({ status: 'held' });
    expect(() => clickOutcome(8, id)).toThrow(/no payment of that id/);
    expect(await clickOutcome(7, id)).toMatchObject({ status: 'paid', owned: false });
    // The held payment does not carry the id: that navigation (stopped by the page) is not
    // served by it.
    const response = await navigate(article.path, id);
    expect(response.status).toBe(402);
    await response.body?.cancel();
  }, 15_000);

  it('does not open a page for an id no payment carries', async () => {
    const response = await navigate(payable[3]!.path, newNavigationId());
    expect(response.status).toBe(402);
    expect(grantSet(response)).toBe(false);
    await response.body?.cancel();
  }, 15_000);

  it('holds the click that joins another click’s payment, which does not carry its id', async () => {
    const article = payable[3]!;
    const click = await clickOn(article);
    const [firstId, secondId] = [newNavigationId(), newNavigationId()];
    const answers = await Promise.all([
      payClick(wallet, 7, { ...click, navigation: firstId }),
      payClick(wallet, 9, { ...click, navigation: secondId }),
    ]);
    // Either click may be checked first and pay; the other joins it and is held.
    const held = answers.findIndex((answer) => answer.status === 'held');
    expect(held).toBeGreaterThanOrEqual(0);
    expect(answers[1 - held]).toMatchObject({ status: 'paid', owned: false });
    const [tab, id] = held === 0 ? [7, firstId] : [9, secondId];
    expect(await clickOutcome(tab, id)).toMatchObject({ status: 'paid' });
  });

  it('a worker killed after the shop took the payment: the page still opens, and resuming pays nothing twice', async () => {
    const article = payable[4]!;
    const id = newNavigationId();
    const click = await clickOn(article);
    const page = navigate(article.path, id);
    net.crashAt = { at: net.count + 1, when: 'after' };
    const crashed = await payClick(wallet, 7, { ...click, navigation: id });
    expect(crashed.status).toBe('refused');
    expect(net.log.at(-1)).toBe('POST /.well-known/farthing/pay');
    // The shop stored the payment: the navigation it held is served.
    const response = await page;
    expect(response.status).toBe(200);
    await response.body?.cancel();
    wallet.close();
    // The restarted worker sends the same credential again and gets the same receipt.
    const again = await openTestWallet(dbName, crashingFetch().platform);
    wallet = again;
    expect(await again.resume()).toBe(0);
    const paid = (await again.db.getAll('payments')).filter(
      (payment) => payment.resource === article.path,
    );
    expect(paid.map((payment) => payment.status)).toEqual(['confirmed']);
    const receipts = (await again.db.getAll('receipts')).filter(
      (receipt) => receipt.resource === article.path,
    );
    expect(receipts).toHaveLength(1);
    expect(await world.problems()).toEqual([]);
  });
});
