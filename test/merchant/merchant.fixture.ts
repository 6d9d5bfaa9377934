/**
 * Test support for the SDK's tests (not part of the API, not in the exports map): the REAL
 * bank in process (bank/src/bank.fixture.ts, the Hono app over SQLite with a clock the test moves),
 * a merchant account registered through the bank's HTTP API with a real certificate, and the
 * wallet's side built with the protocol's own code (coins withdrawn from the mint, PayWord
 * certificates from the broker, credentials).
 */
import { request as httpRequest } from 'node:http';
import {
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '@farthing/bank/bank.fixture';
import {
  commitToVendor,
  requestCertificate,
  type TestChain,
  type TestWallet,
} from '@farthing/bank/broker/broker.fixture';
import { type WalletCoin, withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import type { MerchantConfig } from '@farthing/merchant-sdk/server/config';
import {
  type CreateMerchantOptions,
  createMerchant,
  type Merchant,
} from '@farthing/merchant-sdk/server/merchant';
import { registerWithBank } from '@farthing/merchant-sdk/server/registration';
import type { MerchantStore } from '@farthing/merchant-sdk/store/store';
import { amount } from '@farthing/protocol/amount';
import { createDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash, randomPayerCode } from '@farthing/protocol/coin/derivation';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { offerHash, type SignedOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';

/** The test merchant's origin. */
export const shopOrigin = 'https://shop.example';
/** The in-process bank's (unreachable) URL; `bankFetch` routes it to the app. */
export const bankUrl = 'http://bank.test';
/** The test merchant's offer key. */
export const offerSeed = new Uint8Array(32).fill(0x4d);

/** `fetch` that reaches the in-process bank (its Hono app), not the network. */
export function bankFetch(bank: TestBank): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) =>
    bank.app.request(input instanceof Request ? input : String(input), init)) as typeof fetch;
}

/** A bank with a registered merchant and a customer. */
export interface ShopWorld {
  readonly bank: TestBank;
  readonly account: TestMerchant;
  readonly certificateChain: readonly Uint8Array[];
  readonly customer: TestCustomer;
  /** A merchant config for this bank; tests add the store and overrides. */
  config(store: MerchantStore, overrides?: Partial<MerchantConfig>): MerchantConfig;
  close(): Promise<void>;
}

/** The bank (coins of 1, 2, 5 and 10 cents), the merchant "shop" registered, a customer. */
export async function openShopWorld(): Promise<ShopWorld> {
  const bank = await openTestBank({ coinValues: [1, 2, 5, 10] });
  const account = await openMerchant(bank, 'shop');
  const { certificateChain } = await registerWithBank({
    bankUrl,
    apiKey: account.apiKey,
    merchantId: 'shop',
    name: 'Merchant shop',
    origins: [shopOrigin],
    offerKey: offerSeed,
    now: () => bank.clock.now,
    fetch: bankFetch(bank),
  });
  const customer = await openCustomer(bank, 'carol', 10_000, ['account', 'withdraw', 'payword']);
  return {
    bank,
    account,
    certificateChain,
    customer,
    config: (store, overrides = {}) => ({
      merchantId: 'shop',
      name: 'Merchant shop',
      origins: [shopOrigin],
      offerKey: offerSeed,
      certificateChain,
      bank: { url: bankUrl, apiKey: account.apiKey },
      prices: [
        { path: '/articles/:slug', price: 'EUR 0.05', title: 'An article' },
        { path: '/downloads/:file', price: 'EUR 0.10' },
        { path: '/gallery/:id/full', price: 'EUR 0.02', title: (p) => `Photo ${p.id}` },
      ],
      store,
      now: () => bank.clock.now,
      fetch: bankFetch(bank),
      ...overrides,
    }),
    close: () => bank.close(),
  };
}

/** The test merchant over `store`. */
export function openShop(
  world: ShopWorld,
  store: MerchantStore,
  overrides?: Partial<MerchantConfig>,
  options?: CreateMerchantOptions,
): Merchant {
  return createMerchant(world.config(store, overrides), options);
}

/** The offer a 402 challenge or a priced link hands the wallet. */
export async function offerOf(merchant: Merchant, resource: string): Promise<SignedOffer> {
  return parseOfferToken((await merchant.offerFor(resource)).token);
}

/** Coins of `values` (minor units) withdrawn for `customer`. */
export function withdraw(world: ShopWorld, values: readonly number[]): Promise<WalletCoin[]> {
  return withdrawCoins(world.bank, world.customer, values);
}

/** The wallet pays `offer` with `coins` (their whole values). */
export function ecashCredential(offer: SignedOffer, coins: readonly WalletCoin[]): Credential {
  const code = payerCodeHash(randomPayerCode());
  return {
    type: 'ecash',
    offer,
    coins: coins.map((coin) =>
      createDepositPermission({
        coin: coin.coin,
        coinSecretKey: coin.secretKey,
        offerHash: offerHash(offer),
        merchantId: offer.merchantId,
        amount: coin.denomination.value,
        payerCodeHash: code,
      }),
    ),
  };
}

/** A customer's broker certificate and one committed chain. */
export interface PaywordWallet {
  readonly wallet: TestWallet;
  readonly chain: TestChain;
}

/** A broker certificate for the customer and a chain of `length` one-cent words for "shop". */
export async function paywordWallet(world: ShopWorld, length = 100): Promise<PaywordWallet> {
  const wallet = await requestCertificate(world.bank, world.customer, 'EUR 5.00');
  const chain = await commitToVendor(wallet, 'shop', {
    length,
    valuePerWord: amount('EUR', 1),
    createdAt: world.bank.clock.now,
  });
  return { wallet, chain };
}

/** The wallet pays `offer` by revealing word `index`. */
export function paywordCredential(
  offer: SignedOffer,
  payword: PaywordWallet,
  index: number,
  firstUse: boolean,
): Credential {
  return {
    type: 'payword',
    offer,
    payment: createPaywordPayment({
      chain: payword.chain.chain,
      commitment: payword.chain.commitment,
      index,
      firstUse,
    }),
  };
}

/** `POST /.well-known/farthing/pay` with the credential as JSON. */
export function payRequest(credential: Credential, origin = shopOrigin): Request {
  return new Request(`${origin}/.well-known/farthing/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array(encodeCredential(credential)),
  });
}

/** The `Cookie` header a browser would send back from a `Set-Cookie` value. */
export function cookieFrom(setCookie: string | null): string {
  if (setCookie === null) throw new Error('no Set-Cookie');
  return setCookie.split(';')[0]!;
}

/** GET with the request-target sent as is (fetch would parse and normalise the URL first). */
export function rawGet(
  port: number,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: target, method: 'GET', headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
