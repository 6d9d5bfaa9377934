/**
 * Proven merchant origins and revocation across the parties (issue 18, finding 4): the real
 * bank in development mode over HTTP, the demo shop proving its own origin at start-up through
 * the SDK's challenge responder, other merchants' SDKs on loopback servers, and the wallet core
 * checking offers against the bank's signed revocation list.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminToken, expectStatus } from '@farthing/bank/bank.fixture';
import { openHttpMerchant } from '@farthing/bank/test/http-bank.fixture';
import { describeOffer } from '@farthing/extension/wallet/pay/pay';
import type { WalletPlatform } from '@farthing/extension/wallet/platform';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { OriginChallengeResponder, registerWithBank } from '@farthing/merchant-sdk/server';
import { randomSecretKey } from '@farthing/protocol/ed25519';
import { isFarthingError } from '@farthing/protocol/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  coinTotals,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
} from '../wallet/support.ts';

/** The wallet's revocation window (extension wallet/pay/merchant-revocations.ts). */
const windowMs = 5 * 60_000;

/** A merchant's own server on a loopback port; it answers challenges only if `challenges`. */
async function openSite(challenges?: OriginChallengeResponder) {
  const server: Server = createServer((request, response) => {
    const answer = challenges?.answer(
      new Request(`http://127.0.0.1${request.url}`, { method: request.method ?? 'GET' }),
    );
    if (answer === undefined) {
      response.writeHead(404).end('not a Farthing merchant');
      return;
    }
    void answer.text().then((text) => response.writeHead(answer.status).end(text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isFarthingError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

let world: ShopWorld;

beforeAll(async () => {
  // Development mode: loopback origins, each proven. The demo shop starts only if its SDK
  // answered the bank's challenge at its origin.
  world = await openShopWorld({ FARTHING_BANK_DEV_MODE: '1' });
}, 120_000);

afterAll(() => closeShopWorld(world));

function register(
  merchant: { name: string; apiKey: string },
  origin: string,
  challenges?: OriginChallengeResponder,
) {
  return registerWithBank({
    bankUrl: world.running.url,
    apiKey: merchant.apiKey,
    merchantId: merchant.name,
    name: `Merchant ${merchant.name}`,
    origins: [origin],
    offerKey: randomSecretKey(),
    ...(challenges === undefined ? {} : { challenges }),
  });
}

describe('origins proven through the SDK', () => {
  it('certifies an origin whose server mounts the responder, and cleans up after', async () => {
    const merchant = await openHttpMerchant(world.bank, 'honest');
    const challenges = new OriginChallengeResponder();
    const site = await openSite(challenges);
    try {
      const registered = await register(merchant, site.origin, challenges);
      expect(registered.certificateChain).toHaveLength(2);
      expect(challenges.size).toBe(0);
    } finally {
      await site.close();
    }
  });

  it('refuses an origin the merchant does not serve: the bank finds no answer there', async () => {
    const merchant = await openHttpMerchant(world.bank, 'claimant');
    const challenges = new OriginChallengeResponder();
    const elsewhere = await openSite(); // someone else's site: it knows no challenge
    try {
      expect(await refusal(register(merchant, elsewhere.origin, challenges))).toBe(
        'origin_challenge_failed',
      );
      // Without a challenge at all, nothing is certified either.
      expect(await refusal(register(merchant, elsewhere.origin))).toBe('origin_not_proven');
    } finally {
      await elsewhere.close();
    }
  });

  it("refuses a second merchant the demo shop's origin, even one answering challenges there", async () => {
    const merchant = await openHttpMerchant(world.bank, 'impostor');
    const challenges = new OriginChallengeResponder();
    expect(await refusal(register(merchant, world.shopUrl, challenges))).toBe('origin_taken');
  });
});

describe('a revoked merchant certificate in the wallet', () => {
  let wallet: Wallet;
  const clock = { skew: 0 };
  const platform: WalletPlatform = {
    now: () => Date.now() + clock.skew,
    fetch: (url, init) => fetch(url, init),
  };
  const article = pricedArticles.at(-1)!;
  const describe_ = async (target: Wallet) =>
    describeOffer(target, {
      token: await offerTokenAt(world, article.path),
      href: `${world.shopUrl}${article.path}`,
      pageUrl: `${world.shopUrl}/`,
    });
  /** Why the wallet refuses the offer (its tooltip's view says). */
  const failure = async (target: Wallet) => {
    const view = await describe_(target);
    if (view.status !== 'refused') throw new Error(`expected a refusal, got ${view.status}`);
    return view.error;
  };

  beforeAll(async () => {
    wallet = await openTestWallet(freshDbName(), platform);
    await addBankAndLogIn(wallet, world);
    await wallet.withdraw({
      url: world.running.url,
      amount: { currency: 'EUR', minor: article.price * 2 },
    });
    await wallet.resume();
    expect((await coinTotals(wallet)).spendable).toBe(article.price * 2);
  }, 60_000);

  afterAll(() => wallet?.close());

  it('is refused within the stated window, and at once by a wallet that had not checked', async () => {
    expect((await describe_(wallet)).status).toBe('payable');
    const checkedBy = Date.now();

    const serial = world.shop.merchant.certificate.serialNumber;
    await expectStatus(
      await world.bank.request('POST', `/v1/admin/merchant-certificates/${serial}/revocation`, {
        token: adminToken,
      }),
      200,
    );

    // Within the window the wallet may still use the list it fetched a moment ago.
    expect((await describe_(wallet)).status).toBe('payable');

    // A wallet that has not asked the bank yet refuses at once.
    const fresh = await openTestWallet(freshDbName(), platform);
    try {
      await addBankAndLogIn(fresh, world);
      const refused = await failure(fresh);
      expect([refused.code, refused.detail?.revoked]).toEqual(['merchant_not_certified', true]);
    } finally {
      fresh.close();
    }

    // Once its list is a window old, the first wallet asks again and refuses.
    clock.skew = checkedBy + windowMs - Date.now();
    const refused = await failure(wallet);
    expect([refused.code, refused.detail?.revoked, refused.detail?.serialNumber]).toEqual([
      'merchant_not_certified',
      true,
      serial,
    ]);
  });

  it('fails closed: a list with the serial taken out, or no list, pays nothing', async () => {
    const tampering = (mode: 'strip' | 'drop'): WalletPlatform => ({
      now: () => Date.now(),
      async fetch(url, init) {
        if (!url.endsWith('/v1/ca/merchant-revocations')) return fetch(url, init);
        if (mode === 'drop') throw new TypeError('network down');
        const list = (await (await fetch(url, init)).json()) as { serials: string[] };
        return Response.json({ ...list, serials: [] });
      },
    });
    for (const [mode, code] of [
      ['strip', 'merchant_not_certified'],
      ['drop', 'bank_unreachable'],
    ] as const) {
      const other = await openTestWallet(freshDbName(), tampering(mode));
      try {
        await addBankAndLogIn(other, world);
        const refused = await failure(other);
        expect([refused.code, refused.detail?.revoked]).toEqual([code, undefined]);
      } finally {
        other.close();
      }
    }
  });
});
