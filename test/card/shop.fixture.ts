/**
 * A shop on the SDK whose priced resources take cards (`createMerchant` with the `card` option)
 * against the real bank over HTTP, and the cardholder's side of paying one of its offers built
 * from the protocol: ask the card initiation endpoint, check the merchant's signed initiation,
 * build OI and PI for the offer, seal PI, sign DS and the request, wrap it in a `card`
 * credential. Shared by the pay-endpoint and capture tests.
 */
import { join } from 'node:path';
import { CardMerchant } from '@farthing/merchant-sdk/card';
import { CardPurchaseStore } from '@farthing/merchant-sdk/card/store';
import type { MerchantCardOption } from '@farthing/merchant-sdk/server/card-pay';
import {
  createMerchant,
  type Merchant as SdkMerchant,
} from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import type { MerchantStore, SdkInstrument } from '@farthing/merchant-sdk/store/store';
import { encodeCredential } from '@farthing/protocol/credential';
import { equalBytes } from '@farthing/protocol/encoding';
import { offerHash } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { cardOfferOrderDigest } from '@farthing/protocol/set/card-credential';
import { parseSetMessage, signSetMessage, verifySetMessage } from '@farthing/protocol/set/messages';
import { expect } from 'vitest';
import { type Cardholder, type CardWorld, type Merchant, makePurchase } from './world.ts';

export const origin = 'http://localhost:8701';

/** A card merchant of `merchant` whose purchases live in `file` under the world's folder. */
export function cardMerchantOf(
  world: CardWorld,
  merchant: Merchant,
  file: string,
  capture: 'sale' | 'settlement',
  fetch: typeof globalThis.fetch = globalThis.fetch,
): { card: CardMerchant; store: CardPurchaseStore } {
  const store = new CardPurchaseStore(join(world.dir, file));
  const card = new CardMerchant({
    merchantId: merchant.name,
    signer: merchant.signer,
    merchantCertificates: merchant.certificates,
    bank: { url: world.bank.url, apiKey: merchant.apiKey, fetch },
    trustedRoots: [world.gateway.caCertificate],
    store,
    capture,
  });
  return { card, store };
}

/** The SDK merchant of `merchant` selling `/articles/:slug` at EUR 0.40 and `/prints/:id` at EUR 3.00. */
export function shopOf(
  world: CardWorld,
  merchant: Merchant,
  card: MerchantCardOption | undefined,
  instruments: readonly SdkInstrument[] = ['ecash', 'card'],
  store: MerchantStore = new MemoryMerchantStore(),
): SdkMerchant {
  return createMerchant(
    {
      merchantId: merchant.name,
      name: `Merchant ${merchant.name}`,
      origins: [origin],
      offerKey: merchant.signer,
      certificateChain: merchant.certificates,
      bank: { url: world.bank.url, apiKey: merchant.apiKey },
      prices: [
        { path: '/articles/:slug', price: 'EUR 0.40' },
        { path: '/prints/:id', price: 'EUR 3.00' },
      ],
      store,
      instruments,
    },
    card === undefined ? {} : { card },
  );
}

/** A POST of JSON to the shop through `handle`, as an adapter passes it. */
export async function post(
  shop: SdkMerchant,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const result = await shop.handle(
    new Request(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
  if (result.action !== 'respond') throw new Error(`expected the SDK to answer ${path}`);
  return result.response;
}

/** Step 1: the shop's signed initiation for an offer token, checked as a wallet checks it. */
export async function initiate(shop: SdkMerchant, merchant: Merchant, token: string) {
  const response = await post(shop, '/.well-known/farthing/card/initiation', { offer: token });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { initiation: unknown; payEndpoint: string };
  expect(answer.payEndpoint).toBe(`${origin}/.well-known/farthing/pay`);
  const initiation = parseSetMessage('purchase-initiation-response', answer.initiation);
  verifySetMessage(initiation, merchant.signer.publicKey);
  const offer = parseOfferToken(token);
  expect(equalBytes(initiation.body.orderDigest, offerHash(offer))).toBe(true);
  expect(initiation.body.amount).toEqual(offer.amount);
  return initiation;
}

/** Step 2: the cardholder's signed purchase request for the initiation (and `orderDigest`). */
export async function purchaseRequest(
  world: CardWorld,
  cardholder: Cardholder,
  initiation: Awaited<ReturnType<typeof initiate>>,
  orderDigest: Uint8Array = initiation.body.orderDigest,
) {
  const purchase = await makePurchase(world, cardholder, {
    merchantId: initiation.body.merchantId,
    amount: initiation.body.amount.minor,
    description: '',
    orderDigest,
    transactionId: initiation.body.transactionId,
  });
  return signSetMessage(
    'purchase-request',
    {
      ...purchase.oi,
      piDigest: purchase.piDigest,
      piEnvelope: purchase.piEnvelope,
      dualSignature: purchase.dualSignature,
      cardholderCertificates: purchase.cardholderCertificates,
    },
    cardholder.signer,
  );
}

/** The `card` credential's bytes for an offer token and a purchase request. */
export function cardCredential(
  token: string,
  purchase: Awaited<ReturnType<typeof purchaseRequest>>,
): Uint8Array {
  return encodeCredential({ type: 'card', offer: parseOfferToken(token), purchase });
}

/** Initiation, purchase request and credential for `resource` at `shop`, all in one. */
export async function payByCard(
  world: CardWorld,
  shop: SdkMerchant,
  merchant: Merchant,
  cardholder: Cardholder,
  resource: string,
) {
  const { token, offer } = await shop.offerFor(resource);
  const initiation = await initiate(shop, merchant, token);
  const purchase = await purchaseRequest(
    world,
    cardholder,
    initiation,
    cardOfferOrderDigest(offer),
  );
  return { token, offer, initiation, purchase, credential: cardCredential(token, purchase) };
}

/** The pay endpoint's answer to credential bytes. */
export function pay(shop: SdkMerchant, credential: Uint8Array): Promise<Response> {
  return post(shop, '/.well-known/farthing/pay', new TextDecoder().decode(credential));
}
