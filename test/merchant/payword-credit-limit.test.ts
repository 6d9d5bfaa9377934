/**
 * A broker certificate's credit limit at one shop (issue 18, finding 1): every chain of a
 * certificate that commits to this shop is seen by it, so the shop refuses a payment that would
 * take the certificate's total here over the limit — the broker would not pay it (Rivest &
 * Shamir 1996 §4.2: the broker redeems up to the limit it certified, across all chains).
 * A real bank in process, a real SQLite merchant store, the settlement that follows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { balanceOf, openMerchant } from '@farthing/bank/bank.fixture';
import {
  commitToVendor,
  outcomes,
  redeem,
  redemptionItem,
  requestCertificate,
} from '@farthing/bank/broker/broker.fixture';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import { amount } from '@farthing/protocol/amount';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cookieFrom,
  offerOf,
  openShop,
  openShopWorld,
  type PaywordWallet,
  payRequest,
  paywordCredential,
  type ShopWorld,
  shopOrigin,
} from './merchant.fixture.ts';

let world: ShopWorld;
let counter = 0;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  world = await openShopWorld();
  cleanups.push(() => world.close());
  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
});

/** Articles at EUR 0.20: one article takes a whole EUR 0.20 limit. */
const prices = [
  { path: '/articles/:slug', price: 'EUR 0.20' },
  { path: '/notes/:slug', price: 'EUR 0.10' },
];

function sqliteShop(path?: string): {
  merchant: Merchant;
  store: SqliteMerchantStore;
  path: string;
} {
  let file = path;
  if (file === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'farthing-credit-limit-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    file = join(dir, 'merchant.db');
  }
  const store = new SqliteMerchantStore({ path: file });
  cleanups.push(() => store.close());
  return { merchant: openShop(world, store, { prices }), store, path: file };
}

/** One certificate with a EUR 0.20 limit and two chains of 20 one-cent words to "shop". */
async function twoChainsUnderOneCertificate(): Promise<[PaywordWallet, PaywordWallet]> {
  const wallet = await requestCertificate(world.bank, world.customer, 'EUR 0.20');
  const terms = { length: 20, valuePerWord: amount('EUR', 1), createdAt: world.bank.clock.now };
  return [
    { wallet, chain: await commitToVendor(wallet, 'shop', terms) },
    { wallet, chain: await commitToVendor(wallet, 'shop', terms) },
  ];
}

async function payArticle(merchant: Merchant, wallet: PaywordWallet): Promise<Response> {
  const resource = `/articles/limit-${++counter}`;
  const offer = await offerOf(merchant, resource);
  return merchant.pay(payRequest(paywordCredential(offer, wallet, 20, true)));
}

/** Whether the holder of the payment's grant cookie is served the article. */
async function served(merchant: Merchant, response: Response, resource: string): Promise<boolean> {
  const decision = await merchant.handle(
    new Request(`${shopOrigin}${resource}`, {
      headers: { cookie: cookieFrom(response.headers.get('set-cookie')) },
    }),
  );
  return decision.action === 'continue';
}

/**
 * Settles with the broker, then checks the bank's books and that the shop was paid for every
 * word it accepted: what it served is what the broker paid.
 */
async function settleAndCheck(merchant: Merchant, paidBefore: number): Promise<void> {
  const run = await merchant.settle();
  expect(run.retrying).toBe(0);
  const report = await world.bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  const status = await merchant.settlementStatus();
  expect(status.totals).toEqual([
    {
      currency: 'EUR',
      accepted: amount('EUR', 20),
      redeemed: amount('EUR', 20),
      inFlight: amount('EUR', 0),
      owed: amount('EUR', 0),
      refused: amount('EUR', 0),
    },
  ]);
  expect((await balanceOf(world.bank, 'shop')) - paidBefore).toBe(20);
}

describe('a PayWord certificate’s credit limit at one shop', () => {
  it('serves one of two chains each paying the whole limit, refuses the other (payword_credit_limit_reached)', async () => {
    const { merchant, store } = sqliteShop();
    const [a, b] = await twoChainsUnderOneCertificate();
    const paidBefore = await balanceOf(world.bank, 'shop');

    const first = await payArticle(merchant, a);
    expect(first.status).toBe(200);
    const second = await payArticle(merchant, b);
    expect(second.status).toBe(402);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    expect(second.headers.get('set-cookie')).toBeNull();
    expect(await second.json()).toMatchObject({
      code: 'payword_credit_limit_reached',
      creditLimit: 'EUR 0.20',
    });
    expect(await merchant.earnings()).toEqual([
      { instrument: 'payword', total: amount('EUR', 20), payments: 1 },
    ]);
    // The refused chain moved nothing: it is not even stored.
    const chains = await store.listPaywordChains();
    expect(chains.map((chain) => chain.lastIndex)).toEqual([20]);

    await settleAndCheck(merchant, paidBefore);
  });

  it('lets exactly one of two concurrent payments on the two chains through', async () => {
    const { merchant } = sqliteShop();
    const [a, b] = await twoChainsUnderOneCertificate();
    const paidBefore = await balanceOf(world.bank, 'shop');
    const resources = [`/articles/limit-${++counter}`, `/articles/limit-${++counter}`] as const;
    const credentials = [
      paywordCredential(await offerOf(merchant, resources[0]), a, 20, true),
      paywordCredential(await offerOf(merchant, resources[1]), b, 20, true),
    ];
    const answers = await Promise.all(credentials.map((c) => merchant.pay(payRequest(c))));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 402]);
    const winner = answers.findIndex((r) => r.status === 200);
    expect(await served(merchant, answers[winner]!, resources[winner]!)).toBe(true);
    expect(await answers[1 - winner]!.json()).toMatchObject({
      code: 'payword_credit_limit_reached',
    });
    await settleAndCheck(merchant, paidBefore);
  });

  it('holds across two shop processes sharing one database', async () => {
    const one = sqliteShop();
    const two = sqliteShop(one.path);
    const [a, b] = await twoChainsUnderOneCertificate();
    const paidBefore = await balanceOf(world.bank, 'shop');
    const answers = await Promise.all([payArticle(one.merchant, a), payArticle(two.merchant, b)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 402]);
    await settleAndCheck(one.merchant, paidBefore);
  });

  it('takes smaller payments from both chains until their total reaches the limit', async () => {
    const { merchant } = sqliteShop();
    const [a, b] = await twoChainsUnderOneCertificate();
    const pay = async (wallet: PaywordWallet, index: number) => {
      const offer = await offerOf(merchant, `/notes/limit-${++counter}`);
      return merchant.pay(payRequest(paywordCredential(offer, wallet, index, index === 10)));
    };
    expect((await pay(a, 10)).status).toBe(200);
    expect((await pay(b, 10)).status).toBe(200);
    const over = await pay(a, 20);
    expect(over.status).toBe(402);
    expect(await over.json()).toMatchObject({ code: 'payword_credit_limit_reached' });
    expect(await merchant.earnings()).toEqual([
      { instrument: 'payword', total: amount('EUR', 20), payments: 2 },
    ]);
  });

  it('counts a chain the broker refuses at settlement (the limit spent at another vendor first)', async () => {
    // The shop cannot see chains committed to other vendors: there the broker's check decides.
    const { merchant } = sqliteShop();
    const wallet = await requestCertificate(world.bank, world.customer, 'EUR 0.20');
    const terms = { length: 20, valuePerWord: amount('EUR', 1), createdAt: world.bank.clock.now };
    const elsewhere = await commitToVendor(wallet, 'kiosk', terms);
    const here: PaywordWallet = { wallet, chain: await commitToVendor(wallet, 'shop', terms) };
    expect((await payArticle(merchant, here)).status).toBe(200);
    const kiosk = await openMerchant(world.bank, 'kiosk');
    expect(outcomes(await redeem(world.bank, kiosk, [redemptionItem(elsewhere, 20)]))).toEqual([
      'redeemed',
    ]);

    const run = await merchant.settle();
    expect(run.answered.map((batch) => batch.status)).toEqual(['settled']);
    expect(run.answered[0]?.items.map((item) => item.problemCode)).toEqual(['payword_over_limit']);
    expect(run.refusedChains).toBe(1);
    expect((await merchant.settlementStatus()).totals[0]).toMatchObject({
      refused: amount('EUR', 20),
      owed: amount('EUR', 0),
    });
    expect((await world.bank.store.checkInvariants()).ok).toBe(true);
  });
});
