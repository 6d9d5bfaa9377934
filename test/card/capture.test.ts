/**
 * Card capture in the merchant's settlement schedule (issue 14, last part), against the real
 * bank over HTTP: with `capture: 'settlement'` the pay endpoint only authorizes, and the
 * settlement run (`merchant.settle()`, the one that redeems PayWord and clears the purse)
 * captures open authorizations in batches, each exactly once, also when two runs overlap (two
 * shop processes on one card store) or a process dies between the gateway's capture and its
 * own record of it. The books balance after the mixed run.
 */
import { isFarthingError } from '@farthing/protocol/errors';
import { parseSetMessage } from '@farthing/protocol/set/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardMerchantOf, pay, payByCard, shopOf } from './shop.fixture.ts';
import {
  balances,
  type Cardholder,
  type CardWorld,
  issueCard,
  type Merchant,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
  registerCardholder,
} from './world.ts';

let world: CardWorld;
let merchant: Merchant;
let alice: Cardholder;
const opened: { close(): unknown }[] = [];

beforeAll(async () => {
  world = await openCardWorld();
  merchant = await openMerchant(world, 'capture-shop');
  const customer = await openHttpCustomer(world.bank, 'alice', 0, ['account']);
  alice = await registerCardholder(world, customer, await issueCard(world, customer, 200_00));
}, 60_000);

afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
  await world?.close();
});

const merchantBalance = async () => (await balances(world, merchant.name))[merchant.name]!;

/** A shop whose card purchases live in `file`, authorizing only (capture at settlement). */
function settlingShop(file: string, fetch?: typeof globalThis.fetch) {
  const card = cardMerchantOf(world, merchant, file, 'settlement', fetch);
  const shop = shopOf(world, merchant, card.card);
  opened.push(card.store, { close: () => shop.close() });
  return { ...card, shop };
}

/** Pays `count` prints (EUR 3.00 each) by card at `shop`; their transaction ids. */
async function authorize(
  shop: ReturnType<typeof settlingShop>['shop'],
  count: number,
  tag: string,
) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { credential } = await payByCard(world, shop, merchant, alice, `/prints/${tag}-${i}`);
    const response = await pay(shop, credential);
    expect(response.status).toBe(200);
    const purchase = parseSetMessage(
      'purchase-response',
      ((await response.json()) as { purchase: unknown }).purchase,
    );
    expect(purchase.body.status).toBe('authorized');
    ids.push(purchase.body.transactionId);
  }
  return ids;
}

describe('card capture in the settlement schedule', () => {
  it('authorizes at the pay endpoint and captures in the settlement run, once', async () => {
    const { shop, card } = settlingShop('settle.card.sqlite');
    const before = await merchantBalance();
    const ids = await authorize(shop, 3, 'a');
    expect(await merchantBalance()).toBe(before);
    const run = await shop.settle();
    expect(run.capturedCards).toBe(3);
    expect((await merchantBalance()) - before).toBe(9_00);
    for (const id of ids) expect(card.purchase(id)?.status).toBe('captured');
    expect((await shop.settle()).capturedCards).toBe(0);
    expect((await merchantBalance()) - before).toBe(9_00);
  });

  it('captures in batches: more open authorizations than one batch are all captured', async () => {
    const { shop, card } = settlingShop('batches.card.sqlite');
    const before = await merchantBalance();
    const ids = await authorize(shop, 5, 'b');
    expect(await card.settle(2)).toBe(5);
    expect((await merchantBalance()) - before).toBe(15_00);
    for (const id of ids) expect(card.purchase(id)?.status).toBe('captured');
  });

  it('captures each authorization once when two settlement runs overlap', async () => {
    // Two shop processes on one card store: each has its own connection to the SQLite file.
    const first = settlingShop('overlap.card.sqlite');
    const second = settlingShop('overlap.card.sqlite');
    const before = await merchantBalance();
    const ids = await authorize(first.shop, 4, 'c');
    const [a, b] = await Promise.all([first.shop.settle(), second.shop.settle()]);
    expect(a.capturedCards + b.capturedCards).toBe(4);
    expect((await merchantBalance()) - before).toBe(12_00);
    for (const id of ids) expect(second.card.purchase(id)?.status).toBe('captured');
  });

  it('captures once after a process died between the gateway’s capture and its record', async () => {
    // The gateway commits the second capture; its answer never reaches the dying process.
    let captures = 0;
    const dying: typeof globalThis.fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (String(input).endsWith('/v1/set/captures') && ++captures === 2) {
        await response.arrayBuffer();
        throw new TypeError('the process died');
      }
      return response;
    };
    const crashed = settlingShop('crash.card.sqlite', dying);
    const before = await merchantBalance();
    const ids = await authorize(crashed.shop, 3, 'd');
    const error = await crashed.shop.settle().catch((e: unknown) => e);
    expect(isFarthingError(error, 'bank_unavailable')).toBe(true);
    const held = ids.filter((id) => crashed.card.purchase(id)?.status === 'authorized');
    expect(held).toHaveLength(1);
    // The gateway captured all three already (the third after the failure: one does not stop
    // the batch); the store knows of two.
    expect((await merchantBalance()) - before).toBe(9_00);

    const restarted = settlingShop('crash.card.sqlite');
    expect((await restarted.shop.settle()).capturedCards).toBe(1);
    expect((await merchantBalance()) - before).toBe(9_00);
    for (const id of ids) expect(restarted.card.purchase(id)?.status).toBe('captured');
  });

  it('records an authorization reversed by a call whose answer was lost, and captures the rest', async () => {
    const dropReversal: typeof globalThis.fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (String(input).endsWith('/v1/set/authorization-reversals')) {
        await response.arrayBuffer();
        throw new TypeError('the process died');
      }
      return response;
    };
    const { shop, card } = settlingShop('lost-reversal.card.sqlite', dropReversal);
    const before = await merchantBalance();
    const [lost, kept] = await authorize(shop, 2, 'f');
    const error = await card.reverse(lost!).catch((e: unknown) => e);
    expect(isFarthingError(error, 'bank_unavailable')).toBe(true);
    expect(card.purchase(lost!)?.status).toBe('authorized');
    // The gateway refuses to capture what it reversed: the run records it and goes on.
    expect((await shop.settle()).capturedCards).toBe(1);
    expect(card.purchase(lost!)?.status).toBe('reversed');
    expect(card.purchase(kept!)?.status).toBe('captured');
    expect((await merchantBalance()) - before).toBe(3_00);
    expect((await shop.settle()).capturedCards).toBe(0);
  });

  it('leaves the books balanced after the mixed run', async () => {
    const { shop, card } = settlingShop('mixed.card.sqlite');
    const [reversed, refunded] = await authorize(shop, 2, 'e');
    await card.reverse(reversed!);
    expect((await shop.settle()).capturedCards).toBe(1);
    await card.refund(refunded!, 1_50);
    expect(card.purchase(reversed!)?.status).toBe('reversed');
    expect(card.purchase(refunded!)?.credited).toBe(1_50);
    expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
  });
});
