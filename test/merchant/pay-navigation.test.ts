/**
 * The pay endpoint on the payer's navigation (merchant-sdk/src/server/access/pay-navigation.ts):
 * a GET carrying the credential pays exactly as the POST does and sends the browser to the
 * paid resource with its grant, on the real SDK over a real SQLite store and the real bank.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { toBase64url } from '@farthing/protocol/encoding';
import { paywordCommitmentId } from '@farthing/protocol/payword/commitment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookieFrom,
  offerOf,
  openShop,
  openShopWorld,
  type PaywordWallet,
  payRequest,
  paywordCredential,
  paywordWallet,
  type ShopWorld,
  shopOrigin,
} from './merchant.fixture.ts';

let world: ShopWorld;
let merchant: Merchant;
let store: SqliteMerchantStore;
let dir: string;

beforeAll(async () => {
  world = await openShopWorld();
  dir = mkdtempSync(join(tmpdir(), 'farthing-pay-navigation-'));
  store = new SqliteMerchantStore({ path: join(dir, 'merchant.db') });
  merchant = openShop(world, store);
});
afterAll(async () => {
  await store.close();
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

function navigation(credential: Credential): Request {
  const value = toBase64url(encodeCredential(credential));
  return new Request(`${shopOrigin}/.well-known/farthing/pay?credential=${value}`, {
    headers: { accept: 'text/html' },
  });
}

/** A wallet whose chain the shop knows already (its first word paid by POST). */
async function knownChain(resource: string): Promise<PaywordWallet> {
  const wallet = await paywordWallet(world);
  const offer = await offerOf(merchant, resource);
  expect((await merchant.pay(payRequest(paywordCredential(offer, wallet, 5, true)))).status).toBe(
    200,
  );
  return wallet;
}

const lastIndexOf = async (wallet: PaywordWallet) =>
  (await store.findPaywordChain(paywordCommitmentId(wallet.chain.commitment)))?.lastIndex;

describe('paying on the navigation', () => {
  it('pays and answers 303 to the offer’s own resource with the grant, uncached and unreferred', async () => {
    const wallet = await knownChain('/articles/n0');
    const offer = await offerOf(merchant, '/articles/n1');
    const response = await merchant.pay(navigation(paywordCredential(offer, wallet, 10, false)));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${shopOrigin}/articles/n1`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await lastIndexOf(wallet)).toBe(10);
    const served = await merchant.handle(
      new Request(`${shopOrigin}/articles/n1`, {
        headers: { cookie: cookieFrom(response.headers.get('set-cookie')) },
      }),
    );
    expect(served).toMatchObject({ action: 'continue', paid: { resource: '/articles/n1' } });
  });

  it('is the same payment as the POST of the same credential: same receipt, same grant, one payment', async () => {
    const wallet = await knownChain('/articles/s0');
    const offer = await offerOf(merchant, '/articles/s1');
    const credential = paywordCredential(offer, wallet, 10, false);
    const navigated = await merchant.pay(navigation(credential));
    const again = await merchant.pay(navigation(credential));
    const posted = await merchant.pay(payRequest(credential));
    expect([navigated.status, again.status, posted.status]).toEqual([303, 303, 200]);
    const grant = cookieFrom(navigated.headers.get('set-cookie'));
    expect(cookieFrom(again.headers.get('set-cookie'))).toBe(grant);
    expect(cookieFrom(posted.headers.get('set-cookie'))).toBe(grant);
    const first = (await (await merchant.pay(payRequest(credential))).json()).receipt;
    expect((await posted.json()).receipt).toEqual(first);
    expect(await lastIndexOf(wallet)).toBe(10);
  });

  it('takes the POST and the navigation of one credential at once as one payment', async () => {
    const wallet = await knownChain('/articles/r0');
    const offer = await offerOf(merchant, '/articles/r1');
    const credential = paywordCredential(offer, wallet, 10, false);
    const [navigated, posted] = await Promise.all([
      merchant.pay(navigation(credential)),
      merchant.pay(payRequest(credential)),
    ]);
    expect([navigated.status, posted.status]).toEqual([303, 200]);
    expect(cookieFrom(navigated.headers.get('set-cookie'))).toBe(
      cookieFrom(posted.headers.get('set-cookie')),
    );
    expect(await lastIndexOf(wallet)).toBe(10);
  });

  it('answers a refusal as a readable page at the problem’s status, with no grant and nothing changed', async () => {
    const wallet = await knownChain('/articles/x0');
    const offer = await offerOf(merchant, '/articles/x1');
    // Word 5 again, for another offer: a replay.
    const response = await merchant.pay(navigation(paywordCredential(offer, wallet, 5, false)));
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await response.text();
    expect(page).toContain('The payment was not accepted');
    expect(page).toContain('payword_replayed');
    expect(await lastIndexOf(wallet)).toBe(5);
  });

  it('refuses a credential beside anything else in the query, a second credential or a bad encoding', async () => {
    const wallet = await knownChain('/articles/q0');
    const offer = await offerOf(merchant, '/articles/q1');
    const value = toBase64url(encodeCredential(paywordCredential(offer, wallet, 10, false)));
    for (const query of [
      `credential=${value}&next=https://evil.example/`,
      `credential=${value}&credential=${value}`,
      `credential=${value}=`,
    ]) {
      const response = await merchant.pay(
        new Request(`${shopOrigin}/.well-known/farthing/pay?${query}`),
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toMatch(/invalid_message|invalid_encoding/);
    }
    expect(await lastIndexOf(wallet)).toBe(5);
  });

  it('still refuses a GET without a credential, as before', async () => {
    const response = await merchant.pay(new Request(`${shopOrigin}/.well-known/farthing/pay`));
    expect(response.status).toBe(405);
  });

  it('says so in the merchant descriptor', () => {
    expect(merchant.descriptor()).toMatchObject({
      payEndpoint: `${shopOrigin}/.well-known/farthing/pay`,
      payByNavigation: true,
    });
  });
});
