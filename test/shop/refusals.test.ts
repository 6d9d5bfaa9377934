/**
 * Every way a wallet (or someone holding a wallet's traffic) might try to get content without
 * paying for it once: replayed paywords and coins, a credential made for another offer, an
 * offer paid after it expired, a price lowered in the offer. Each is refused with its stable
 * code, serves nothing (no content, no grant cookie), and moves no money.
 */

import { type WalletCoin, withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { coinStatus } from '@farthing/bank/test/http-bank.fixture';
import { amount } from '@farthing/protocol/amount';
import { encodeCredential } from '@farthing/protocol/credential';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import type { SignedOffer } from '@farthing/protocol/offer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { item, type PricedItem } from './catalog.ts';
import {
  ecashCredential,
  expectPaid,
  expectProblem,
  type KnownMerchant,
  knowMerchant,
  offerAt,
  openPaywordPurse,
  type PaywordPurse,
  pay,
} from './wallet.ts';
import { closeShopWorld, openShopWorld, type ShopWorld } from './world.ts';

let world: ShopWorld;
let merchant: KnownMerchant;
let purse: PaywordPurse;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = await knowMerchant(world.shopUrl, world.bank);
  purse = await openPaywordPurse(world.bank, world.customer, 'demo-shop', {
    creditLimit: 200,
    length: 100,
  });
}, 60_000);
afterAll(() => closeShopWorld(world));

/**
 * `send` must be refused with `status` and `code`, with no content of `target` in the answer,
 * no grant cookie, no money moved, `coins` still unspent, and `target` still unpaid.
 */
async function refused(
  send: () => Promise<Response>,
  expected: { status: number; code: string; target: PricedItem; coins?: readonly WalletCoin[] },
): Promise<void> {
  const before = await world.books();
  const response = await send();
  expect(response.headers.get('set-cookie')).toBeNull();
  const { text } = await expectProblem(response, expected.status, expected.code);
  expect(text).not.toContain(expected.target.secret);
  expect(await world.books()).toEqual(before);
  for (const coin of expected.coins ?? []) {
    expect(await coinStatus(world.bank, coin.coin.coinPublicKey)).toBe('unspent');
  }
  const page = await fetch(`${world.shopUrl}${expected.target.path}`);
  expect(page.status).toBe(402);
  expect(await page.text()).not.toContain(expected.target.secret);
  expect(await world.problems()).toEqual([]);
}

/** Pays `target` with PayWord and moves the purse on. */
async function payWithPaywords(target: PricedItem): Promise<void> {
  const offer = await offerAt(world.shopUrl, target.path, merchant);
  await expectPaid(await pay(world.shopUrl, purse.credentialFor(offer, target.price)), merchant);
  purse.spent += target.price;
}

describe('replays', () => {
  it('refuses a replayed payword in a credential for another page', async () => {
    const first = item('/articles/library-fines');
    const second = item('/gallery/night-shift/full');
    expect([first.price, second.price]).toEqual([1, 1]);
    await payWithPaywords(item('/articles/night-bakery'));
    await payWithPaywords(first);
    // The word just spent on the first page, offered again for the second.
    const offer = await offerAt(world.shopUrl, second.path, merchant);
    purse.spent -= 1;
    const replay = purse.credentialFor(offer, 1);
    purse.spent += 1;
    await refused(() => pay(world.shopUrl, replay), {
      status: 409,
      code: 'payword_replayed',
      target: second,
    });
    // The same word sent inline at the second page's address fares no better.
    await refused(
      () =>
        fetch(`${world.shopUrl}${second.path}`, {
          headers: {
            accept: 'application/json',
            authorization: formatFarthingCredentials({ credential: encodeCredential(replay) }),
          },
        }),
      { status: 402, code: 'payword_replayed', target: second },
    );
  });

  it('refuses a coin spent already, whatever offer it is signed for', async () => {
    const first = item('/articles/night-bakery');
    const second = item('/gallery/wend-valley/full');
    const [coin] = await withdrawCoins(world.bank, world.customer, [2]);
    await expectPaid(
      await pay(
        world.shopUrl,
        ecashCredential(await offerAt(world.shopUrl, first.path, merchant), [coin!]),
      ),
      merchant,
    );
    const offer = await offerAt(world.shopUrl, second.path, merchant);
    await refused(() => pay(world.shopUrl, ecashCredential(offer, [coin!])), {
      status: 409,
      code: 'coin_already_spent',
      target: second,
    });
  });
});

describe('credentials that do not pay this offer', () => {
  it('refuses coins signed for another offer', async () => {
    const paidFor = await offerAt(world.shopUrl, '/articles/night-bakery', merchant);
    const target = item('/gallery/wend-valley/full');
    const offer = await offerAt(world.shopUrl, target.path, merchant);
    const coins = await withdrawCoins(world.bank, world.customer, [2]);
    const mismatched = ecashCredential(offer, coins, { signedOffer: paidFor });
    await refused(() => pay(world.shopUrl, mismatched), {
      status: 400,
      code: 'offer_mismatch',
      target,
      coins,
    });
  });

  it('refuses a credential for one page sent to another', async () => {
    const target = item('/articles/why-the-penny-survives');
    const other = await offerAt(world.shopUrl, '/articles/chess-club', merchant);
    const coins = await withdrawCoins(world.bank, world.customer, [2, 2]);
    const credential = encodeCredential(ecashCredential(other, coins));
    await refused(
      () =>
        fetch(`${world.shopUrl}${target.path}`, {
          headers: {
            accept: 'application/json',
            authorization: formatFarthingCredentials({ credential }),
          },
        }),
      { status: 402, code: 'offer_mismatch', target, coins },
    );
  });

  it('refuses an offer whose price was lowered, with coins and with paywords', async () => {
    const target = item('/articles/starling-census');
    const offer = await offerAt(world.shopUrl, target.path, merchant);
    expect(offer.amount.minor).toBe(20);
    const cheap: SignedOffer = { ...offer, amount: amount('EUR', 1) };
    const coins = await withdrawCoins(world.bank, world.customer, [1]);
    await refused(() => pay(world.shopUrl, ecashCredential(cheap, coins)), {
      status: 400,
      code: 'bad_signature',
      target,
      coins,
    });
    await refused(() => pay(world.shopUrl, purse.credentialFor(cheap, 1)), {
      status: 400,
      code: 'bad_signature',
      target,
    });
  });
});

describe('an expired offer', () => {
  it('is refused with coins and with paywords, and the wallet can pay the fresh one', async () => {
    const target = item('/downloads/saltmarsh-coast-walk.gpx');
    const offer = await offerAt(world.shopUrl, target.path, merchant);
    const coins = await withdrawCoins(world.bank, world.customer, [5]);
    // The reader left the page open past the offer's lifetime (15 minutes).
    world.skew = offer.expiresAt - Date.now() + 1_000;
    try {
      await refused(() => pay(world.shopUrl, ecashCredential(offer, coins)), {
        status: 410,
        code: 'offer_expired',
        target,
        coins,
      });
      await refused(() => pay(world.shopUrl, purse.credentialFor(offer, target.price)), {
        status: 410,
        code: 'offer_expired',
        target,
      });
      // The 402 now carries a fresh offer; the same coins pay it.
      const fresh = await offerAt(world.shopUrl, target.path, merchant);
      expect(fresh.expiresAt).toBeGreaterThan(offer.expiresAt);
      const paid = await expectPaid(
        await pay(world.shopUrl, ecashCredential(fresh, coins)),
        merchant,
      );
      const download = await fetch(`${world.shopUrl}${target.path}`, {
        headers: { cookie: paid.cookie },
      });
      expect(await download.text()).toBe(target.secret);
    } finally {
      world.skew = 0;
    }
  });
});
