import {
  grantSecretFromOfferKey,
  nodeAccessGrantKey,
} from '@farthing/merchant-sdk/server/grant-key';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { verifyAccessGrant } from '@farthing/protocol/access-grant';
import { toBase64url } from '@farthing/protocol/encoding';
import { farthingErrorCode } from '@farthing/protocol/errors.fixture';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { verifyOffer } from '@farthing/protocol/offer';
import { offerFromBytes, parseOfferToken } from '@farthing/protocol/offer-token';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

beforeAll(async () => {
  world = await openShopWorld();
  merchant = openShop(world, new MemoryMerchantStore());
});
afterAll(() => world.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  merchant.handle(new Request(`${shopOrigin}${path}`, { headers }));

async function respond(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const result = await get(path, headers);
  if (result.action !== 'respond') throw new Error(`expected a response for ${path}`);
  return result.response;
}

describe('the merchant descriptor', () => {
  it('names the merchant, its bank, chain, instruments and pay endpoint', async () => {
    const response = await respond('/.well-known/farthing-merchant');
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const descriptor = await response.json();
    expect(descriptor).toMatchObject({
      version: 1,
      merchantId: 'shop',
      name: 'Merchant shop',
      origins: [shopOrigin],
      bank: { url: 'http://bank.test' },
      instruments: ['payword', 'ecash'],
      payEndpoint: `${shopOrigin}/.well-known/farthing/pay`,
    });
    // What a wallet does with it: the chain verifies under the bank's CA for this origin.
    const verified = verifyMerchantCertificate({
      chain: world.certificateChain.slice(0, 1),
      trustedRoots: [world.certificateChain[1]!],
      origin: shopOrigin,
      now: world.bank.clock.now,
    });
    expect(toBase64url(verified.offerPublicKey)).toBe(descriptor.offerPublicKey);
    expect(descriptor.certificateChain).toEqual(world.certificateChain.map(toBase64url));
  });
});

describe('offers and priced links', () => {
  it('signs offers with the certified key and reuses a fresh one', async () => {
    const first = await merchant.offerFor('/articles/7');
    expect(first.offer).toMatchObject({
      merchantId: 'shop',
      merchantOrigin: shopOrigin,
      resource: '/articles/7',
      amount: { currency: 'EUR', minor: 5 },
      instruments: ['payword', 'ecash'],
      title: 'An article',
    });
    verifyOffer(first.offer, { merchantPublicKey: verifiedKey() });
    expect((await merchant.offerFor('/articles/7')).token).toBe(first.token);
  });

  it('refuses free and oddly spelled resources', async () => {
    await expect(merchant.offerFor('/about')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(merchant.offerFor('/Articles/7')).rejects.toMatchObject({
      code: 'non_canonical_path',
    });
  });

  it('renders a priced link with every value escaped', async () => {
    const html = await merchant.renderPricedLink({
      href: '/articles/a%3Fb?x=1&y="2"',
      text: '<Read> & "enjoy"',
      attributes: { class: 'teaser "big"' },
    });
    const token = (await merchant.offerFor('/articles/a%3Fb')).token;
    expect(html).toBe(
      `<a href="/articles/a%3Fb?x=1&amp;y=&quot;2&quot;" data-farthing-offer="${token}" data-farthing-price="EUR 0.05" class="teaser &quot;big&quot;">&lt;Read&gt; &amp; &quot;enjoy&quot;</a>`,
    );
    await expect(
      merchant.renderPricedLink({ href: '/articles/7', text: 'x', attributes: { onclick: 'x' } }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

function verifiedKey(): Uint8Array {
  return verifyMerchantCertificate({
    chain: world.certificateChain.slice(0, 1),
    trustedRoots: [world.certificateChain[1]!],
    origin: shopOrigin,
    now: world.bank.clock.now,
  }).offerPublicKey;
}

describe('the 402 challenge', () => {
  it('gives programs problem+json with a challenge the protocol parser reads', async () => {
    const response = await respond('/articles/7', { accept: 'application/json' });
    expect(response.status).toBe(402);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const challenge = findFarthingChallenge(response.headers.get('www-authenticate')!)!;
    expect(challenge.realm).toBe(shopOrigin);
    expect(challenge.descriptor).toBe(`${shopOrigin}/.well-known/farthing-merchant`);
    const offer = offerFromBytes(challenge.offer);
    verifyOffer(offer, { merchantPublicKey: verifiedKey() });
    expect(offer.resource).toBe('/articles/7');
    const problem = await response.json();
    expect(problem).toMatchObject({
      type: 'urn:farthing:problem:payment_required',
      code: 'payment_required',
      status: 402,
      price: 'EUR 0.05',
      resource: '/articles/7',
      resourceTitle: 'An article',
      payEndpoint: `${shopOrigin}/.well-known/farthing/pay`,
    });
    expect(parseOfferToken(problem.offer)).toEqual(offer);
  });

  it('gives people a readable paywall page with the same challenge', async () => {
    const json = await respond('/gallery/3/full', { accept: 'application/json' });
    const html = await respond('/gallery/3/full', {
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    });
    expect(html.status).toBe(402);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('cache-control')).toBe('no-store');
    expect(html.headers.get('www-authenticate')).toBe(json.headers.get('www-authenticate'));
    const page = await html.text();
    const challenge = findFarthingChallenge(html.headers.get('www-authenticate')!)!;
    expect(page).toContain('<h1>Photo 3</h1>');
    expect(page).toContain('EUR 0.02');
    expect(page).toContain('Merchant shop');
    expect(page).toContain('Farthing wallet');
    expect(page).toContain(`data-farthing-offer="${toBase64url(challenge.offer)}"`);
  });

  it('treats */* and no Accept as a program', async () => {
    for (const accept of ['*/*', '']) {
      const response = await respond('/articles/7', accept === '' ? {} : { accept });
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('refuses an odd spelling of a priced path with 400 and no content', async () => {
    const response = await respond('/Articles/7', { accept: 'application/json' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'non_canonical_path' });
  });

  it('lets free paths through untouched', async () => {
    expect(await get('/about')).toMatchObject({ action: 'continue', paid: undefined });
  });
});

describe('access grants', () => {
  it('opens exactly the paid resource, until the grant expires', async () => {
    const offer = await offerOf(merchant, '/articles/grant');
    const paid = await merchant.pay(payRequest(ecashCredential(offer, await withdraw(world, [5]))));
    expect(paid.status).toBe(200);
    const cookie = cookieFrom(paid.headers.get('set-cookie'));
    const granted = await get('/articles/grant', { cookie });
    expect(granted).toMatchObject({ action: 'continue', paid: { resource: '/articles/grant' } });
    // The same cookie, or the grant under another resource's cookie name, opens nothing else.
    const token = cookie.slice(cookie.indexOf('=') + 1);
    const other = await respond('/articles/other', { cookie, accept: 'application/json' });
    expect(other.status).toBe(402);
    expect(
      farthingErrorCode(() =>
        verifyAccessGrant(token, {
          key: nodeAccessGrantKey(grantSecretFromOfferKey(offerSeed)),
          merchantId: 'shop',
          resource: '/articles/other',
          now: world.bank.clock.now,
        }),
      ),
    ).toBe('resource_mismatch');
    const forged = await respond('/articles/grant', {
      cookie: `${cookie.slice(0, -3)}AAA`,
      accept: 'application/json',
    });
    expect(forged.status).toBe(402);
    world.bank.clock.now += 25 * 3_600_000;
    try {
      const expired = await respond('/articles/grant', { cookie, accept: 'application/json' });
      expect(expired.status).toBe(402);
      expect(findFarthingChallenge(expired.headers.get('www-authenticate')!)?.error).toBe(
        'grant_expired',
      );
    } finally {
      world.bank.clock.now -= 25 * 3_600_000;
    }
  });
});

describe('configuration', () => {
  it('refuses a key the certificate does not certify', () => {
    expect(
      farthingErrorCode(() =>
        openShop(world, new MemoryMerchantStore(), { offerKey: new Uint8Array(32).fill(1) }),
      ),
    ).toBe('invalid_argument');
  });

  it('refuses an origin the certificate does not name', () => {
    expect(
      farthingErrorCode(() =>
        openShop(world, new MemoryMerchantStore(), { origins: ['https://other.example'] }),
      ),
    ).toBe('certificate_origin_mismatch');
  });

  it('refuses instruments it cannot take', () => {
    expect(
      farthingErrorCode(() =>
        openShop(world, new MemoryMerchantStore(), { instruments: ['card' as never] }),
      ),
    ).toBe('invalid_argument');
  });
});
