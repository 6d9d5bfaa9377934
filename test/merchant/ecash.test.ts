import { balanceOf } from '@farthing/bank/bank.fixture';
import { coinStatus } from '@farthing/bank/test/http-bank.fixture';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { encodeCredential } from '@farthing/protocol/credential';
import { fromBase64url } from '@farthing/protocol/encoding';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { signOffer } from '@farthing/protocol/offer';
import { offerFromBytes, offerToBytes } from '@farthing/protocol/offer-token';
import { receipts } from '@farthing/protocol/receipt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bankFetch,
  cookieFrom,
  ecashCredential,
  offerOf,
  offerSeed,
  openShop,
  openShopWorld,
  payRequest,
  type ShopWorld,
  shopOrigin,
  withdraw,
} from './merchant.fixture.ts';

let world: ShopWorld;
let merchant: Merchant;
let store: MemoryMerchantStore;

beforeAll(async () => {
  world = await openShopWorld();
  store = new MemoryMerchantStore();
  merchant = openShop(world, store);
});
afterAll(() => world.close());

const shopBalance = () => balanceOf(world.bank, 'shop');

/** Sends `request` to the pay endpoint; expects a refusal with `code` and nothing changed. */
async function refused(request: Request, status: number, code: string): Promise<void> {
  const before = { balance: await shopBalance(), earnings: await store.earnings() };
  const response = await merchant.pay(request);
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('set-cookie')).toBeNull();
  expect(await response.json()).toMatchObject({ code, status });
  expect({ balance: await shopBalance(), earnings: await store.earnings() }).toEqual(before);
}

describe('paying with e-cash', () => {
  it('deposits the coins, then serves the resource to the cookie (402 → pay → content)', async () => {
    const challenge = await merchant.handle(new Request(`${shopOrigin}/articles/7`));
    expect(challenge.action === 'respond' && challenge.response.status).toBe(402);
    const offer = await offerOf(merchant, '/articles/7');
    const coins = await withdraw(world, [2, 2, 1]);
    const before = await shopBalance();
    const response = await merchant.pay(payRequest(ecashCredential(offer, coins)));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await shopBalance()).toBe(before + 5);
    for (const coin of coins) {
      expect(await coinStatus(world.bank as never, coin.coin.coinPublicKey)).toBe('spent');
    }
    const body = await response.json();
    const receipt = receipts.parse(body.receipt);
    receipts.checkMerchantSignature(receipt, {
      merchantPublicKey: nodeEd25519Signer(offerSeed).publicKey,
    });
    expect(receipt).toMatchObject({
      resource: '/articles/7',
      instrument: 'ecash',
      amount: offer.amount,
    });
    expect(body.grant).toEqual({
      resource: '/articles/7',
      expiresAt: world.bank.clock.now + 86_400_000,
    });
    const served = await merchant.handle(
      new Request(`${shopOrigin}/articles/7`, {
        headers: { cookie: cookieFrom(response.headers.get('set-cookie')) },
      }),
    );
    expect(served).toMatchObject({ action: 'continue', paid: { resource: '/articles/7' } });
  });

  it('sets the grant cookie HttpOnly, SameSite=Lax, Secure, Path=/, for the grant’s lifetime', async () => {
    const offer = await offerOf(merchant, '/articles/cookie');
    const response = await merchant.pay(
      payRequest(ecashCredential(offer, await withdraw(world, [5]))),
    );
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-farthing-grant-[A-Za-z0-9_-]{16}=[A-Za-z0-9_-]+; /);
    expect(cookie.split('; ').slice(1)).toEqual([
      'Max-Age=86400',
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      'Secure',
    ]);
  });

  it('answers a retry of the same credential with the same receipt, depositing once', async () => {
    const offer = await offerOf(merchant, '/articles/retry');
    const credential = ecashCredential(offer, await withdraw(world, [5]));
    const before = await shopBalance();
    const first = await (await merchant.pay(payRequest(credential))).json();
    const again = await merchant.pay(payRequest(credential));
    expect(again.status).toBe(200);
    expect((await again.json()).receipt).toEqual(first.receipt);
    expect(await shopBalance()).toBe(before + 5);
    // Even once the offer has expired, the payment it made is still answered.
    world.bank.clock.now += 20 * 60_000;
    try {
      expect((await (await merchant.pay(payRequest(credential))).json()).receipt).toEqual(
        first.receipt,
      );
    } finally {
      world.bank.clock.now -= 20 * 60_000;
    }
  });

  it('refuses a coin spent before, in another credential (coin_already_spent)', async () => {
    const coins = await withdraw(world, [5]);
    const first = ecashCredential(await offerOf(merchant, '/articles/one'), coins);
    expect((await merchant.pay(payRequest(first))).status).toBe(200);
    const second = ecashCredential(await offerOf(merchant, '/articles/two'), coins);
    await refused(payRequest(second), 409, 'coin_already_spent');
  });

  it('refuses coins made for another offer (offer_mismatch)', async () => {
    const coins = await withdraw(world, [5]);
    const made = ecashCredential(await offerOf(merchant, '/articles/a'), coins);
    const other = await offerOf(merchant, '/articles/b');
    await refused(payRequest({ ...made, offer: other }), 400, 'offer_mismatch');
    expect(await coinStatus(world.bank as never, coins[0]!.coin.coinPublicKey)).toBe('unspent');
  });

  it('refuses an expired offer (offer_expired)', async () => {
    const offer = await offerOf(merchant, '/articles/late');
    const credential = ecashCredential(offer, await withdraw(world, [5]));
    world.bank.clock.now += 16 * 60_000;
    try {
      await refused(payRequest(credential), 410, 'offer_expired');
    } finally {
      world.bank.clock.now -= 16 * 60_000;
    }
  });

  it('refuses an offer whose price was changed (bad_signature)', async () => {
    const offer = await offerOf(merchant, '/articles/cheap');
    const tampered = offerFromBytes(
      offerToBytes({ ...offer, amount: { currency: 'EUR', minor: 1 } }),
    );
    await refused(
      payRequest(ecashCredential(tampered, await withdraw(world, [1]))),
      400,
      'bad_signature',
    );
  });

  it('refuses another merchant’s offer (merchant_mismatch)', async () => {
    const own = await offerOf(merchant, '/articles/x');
    const { signature: _, ...fields } = { ...own, merchantId: 'kiosk' };
    const foreign = await signOffer(fields, nodeEd25519Signer(new Uint8Array(32).fill(9)));
    await refused(
      payRequest(ecashCredential(foreign, await withdraw(world, [5]))),
      400,
      'merchant_mismatch',
    );
  });

  it('refuses coins that do not add up to the price (coin_amount_mismatch)', async () => {
    const offer = await offerOf(merchant, '/articles/short');
    await refused(
      payRequest(ecashCredential(offer, await withdraw(world, [2]))),
      400,
      'coin_amount_mismatch',
    );
  });

  it('answers 503 bank_unavailable while the mint is unreachable, and pays once it is back', async () => {
    let down = true;
    const inner = bankFetch(world.bank);
    const flaky: typeof fetch = async (input, init) => {
      if (down) throw new TypeError('fetch failed: ECONNREFUSED');
      return inner(input, init);
    };
    const offline = openShop(world, store, { fetch: flaky });
    const coins = await withdraw(world, [5]);
    const credential = ecashCredential(await offerOf(offline, '/articles/offline'), coins);
    const before = { balance: await shopBalance(), earnings: await store.earnings() };
    const refusal = await offline.pay(payRequest(credential));
    expect(refusal.status).toBe(503);
    expect(await refusal.json()).toMatchObject({ code: 'bank_unavailable' });
    expect({ balance: await shopBalance(), earnings: await store.earnings() }).toEqual(before);
    expect(await coinStatus(world.bank as never, coins[0]!.coin.coinPublicKey)).toBe('unspent');
    down = false;
    expect((await offline.pay(payRequest(credential))).status).toBe(200);
    expect(await shopBalance()).toBe(before.balance + 5);
  });

  it('refuses a body that is not a credential', async () => {
    const bad = new Request(`${shopOrigin}/.well-known/farthing/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"version":1,"type":"ecash"}',
    });
    await refused(bad, 400, 'invalid_message');
    const form = new Request(`${shopOrigin}/.well-known/farthing/pay`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    await refused(form, 415, 'unsupported_media_type');
  });

  it('pays inline at the priced URL with Authorization: Farthing and serves it', async () => {
    const offer = await offerOf(merchant, '/downloads/report.pdf');
    const credential = ecashCredential(offer, await withdraw(world, [10]));
    const result = await merchant.handle(
      new Request(`${shopOrigin}/downloads/report.pdf`, {
        headers: {
          authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }),
        },
      }),
    );
    if (result.action !== 'continue') throw new Error('expected the download to be served');
    expect(result.paid?.receipt).toMatchObject({
      resource: '/downloads/report.pdf',
      amount: 'EUR 0.10',
    });
    expect(result.headers.get('set-cookie')).toMatch(/^__Host-farthing-grant-/);
    const info = /^receipt="([A-Za-z0-9_-]+)"$/.exec(result.headers.get('authentication-info')!);
    const receipt = JSON.parse(new TextDecoder().decode(fromBase64url(info![1])));
    expect(receipt).toEqual(result.paid?.receipt);
  });

  it('refuses an inline credential for another resource with a fresh challenge', async () => {
    const offer = await offerOf(merchant, '/downloads/a.zip');
    const credential = ecashCredential(offer, await withdraw(world, [10]));
    const result = await merchant.handle(
      new Request(`${shopOrigin}/downloads/b.zip`, {
        headers: {
          accept: 'application/json',
          authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }),
        },
      }),
    );
    if (result.action !== 'respond') throw new Error('expected a refusal');
    expect(result.response.status).toBe(402);
    expect(result.response.headers.get('www-authenticate')).toContain('error="offer_mismatch"');
    expect(await result.response.json()).toMatchObject({ code: 'offer_mismatch', status: 402 });
  });
});
