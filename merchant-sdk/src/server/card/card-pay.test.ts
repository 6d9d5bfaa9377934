import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signOffer } from '@farthing/protocol/offer';
import { offerToken } from '@farthing/protocol/offer-token';
import {
  demoMerchant,
  makeCa,
  makeMerchantCertificate,
  merchantSigner,
  now,
} from '@farthing/protocol/x509/x509.fixture';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMerchantStore } from '../../store/memory.ts';
import type { SdkInstrument } from '../../store/store.ts';
import { type ResolvedConfig, resolveConfig } from '../config.ts';
import { OfferBook } from '../pricing/offers.ts';
import { CardMerchant } from './card-merchant.ts';
import { cardInitiationPath, MerchantCard } from './card-pay.ts';
import { CardPurchaseStore } from './card-store.ts';

const origin = 'https://shop.example';
let chain: Uint8Array[];
const dirs: string[] = [];
const stores: CardPurchaseStore[] = [];

beforeAll(async () => {
  const ca = await makeCa();
  chain = [await makeMerchantCertificate(ca), ca.certificate];
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The bank is unreachable: no gateway certificates, so no transaction can start. */
const bankDown: typeof globalThis.fetch = async () => new Response(null, { status: 503 });

function configWith(instruments: readonly SdkInstrument[]): ResolvedConfig {
  return resolveConfig({
    merchantId: demoMerchant.merchantId,
    name: demoMerchant.name,
    origins: [origin],
    offerKey: merchantSigner,
    certificateChain: chain,
    bank: { url: 'http://bank.invalid', apiKey: 'key' },
    prices: [{ path: '/articles/:slug', price: 'EUR 0.40' }],
    store: new MemoryMerchantStore(),
    instruments,
    now: () => now,
    fetch: bankDown,
  });
}

/** A card merchant whose purchases are in a fresh file; the store to look into. */
function cardMerchant(config: ResolvedConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-card-pay-'));
  dirs.push(dir);
  const store = new CardPurchaseStore(join(dir, 'card.sqlite'));
  stores.push(store);
  const card = new CardMerchant({
    merchantId: config.merchantId,
    signer: config.signer,
    merchantCertificates: chain,
    bank: { url: config.bankUrl, apiKey: config.apiKey, fetch: bankDown },
    trustedRoots: [chain.at(-1)!],
    store,
    capture: 'settlement',
    now: () => now,
  });
  return { card, store };
}

async function tokenFor(instruments: SdkInstrument[], overrides: { merchantId?: string } = {}) {
  return offerToken(
    await signOffer(
      {
        merchantId: overrides.merchantId ?? demoMerchant.merchantId,
        merchantOrigin: origin,
        resource: '/articles/tea',
        amount: { currency: 'EUR', minor: 40 },
        createdAt: now - 1_000,
        expiresAt: now + 60_000,
        instruments,
      },
      merchantSigner,
    ),
  );
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { code: string }).code;
}

const initiation = (body: unknown, headers: Record<string, string> = {}) =>
  new Request(`${origin}${cardInitiationPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('the card on the shared paths', () => {
  it('refuses a configuration that lists card without a card merchant', () => {
    const config = configWith(['ecash', 'card']);
    expect(() => new MerchantCard(config, undefined)).toThrow(/card option/);
  });

  it('refuses initiations it cannot start, writing nothing', async () => {
    const config = configWith(['ecash', 'card']);
    const { card, store } = cardMerchant(config);
    const desk = new MerchantCard(config, card);
    const offers = new OfferBook(config);
    const answer = (request: Request) => desk.initiationResponse(request, offers);

    const get = await answer(new Request(`${origin}${cardInitiationPath}`));
    expect(get.status).toBe(405);
    const text = await answer(
      initiation({ offer: await tokenFor(['card']) }, { 'content-type': 'text/plain' }),
    );
    expect(await codeOf(text)).toBe('unsupported_media_type');
    expect(await codeOf(await answer(initiation({ offer: 7 })))).toBe('invalid_message');
    expect(await codeOf(await answer(initiation({ offer: await tokenFor(['ecash']) })))).toBe(
      'instrument_not_accepted',
    );
    const foreign = await tokenFor(['card'], { merchantId: 'other-shop' });
    expect(await codeOf(await answer(initiation({ offer: foreign })))).toBe('merchant_mismatch');
    // A good offer, but the bank is down: the gateway's certificates cannot be had.
    const down = await answer(initiation({ offer: await tokenFor(['card']) }));
    expect(down.status).toBe(503);
    expect(await codeOf(down)).toBe('bank_unavailable');
    expect(store.withStatus('initiated', 10)).toEqual([]);
  });

  it('takes no card on a merchant whose instruments leave it out', async () => {
    const config = configWith(['ecash']);
    const { card, store } = cardMerchant(config);
    const desk = new MerchantCard(config, card);
    const refused = await desk.initiationResponse(
      initiation({ offer: await tokenFor(['card']) }),
      new OfferBook(config),
    );
    expect(await codeOf(refused)).toBe('instrument_not_accepted');
    expect(store.withStatus('initiated', 10)).toEqual([]);
    expect(await desk.settle()).toBe(0);
  });
});
