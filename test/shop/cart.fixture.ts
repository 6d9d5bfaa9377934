/**
 * A reader's browser as far as the Gazette's cart needs one (the cart cookie, same-origin form
 * posts), the card offer a checkout page carries, and the operator's dashboard buttons.
 */
import { expect } from 'vitest';
import { operatorPassword, type ShopWorld } from './world.ts';

const fromAttribute = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export function shopBrowser(world: ShopWorld) {
  let cookie = '';
  const request = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (cookie !== '') headers.set('cookie', cookie);
    const response = await fetch(`${world.shopUrl}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    });
    const set = response.headers.get('set-cookie');
    if (set !== null) cookie = set.split(';')[0]!;
    return response;
  };
  const form = (path: string, fields: Record<string, string>, origin = world.shopUrl) =>
    request(path, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  return { request, form };
}

export interface CheckoutOffer {
  readonly order: unknown;
  readonly initiation: unknown;
  readonly purchase: string;
  readonly paid: string;
}

/** The card offer of a checkout page's "Pay with card" button. */
export function checkoutOffer(page: string): CheckoutOffer {
  const match =
    /id="pay-with-card" href="\/checkout\/wallet-needed" data-farthing-card-checkout="([^"]+)"/.exec(
      page,
    );
  expect(match).not.toBeNull();
  return JSON.parse(fromAttribute(match![1]!)) as CheckoutOffer;
}

/** Puts `items` in a fresh cart and opens the checkout: the offer the page carries. */
export async function checkoutFor(world: ShopWorld, items: readonly string[]) {
  const reader = shopBrowser(world);
  for (const item of items) expect((await reader.form('/cart/add', { item })).status).toBe(303);
  const checkout = await reader.request('/checkout');
  expect(checkout.status).toBe(200);
  return checkoutOffer(await checkout.text());
}

export const operatorHeaders = {
  authorization: `Basic ${btoa(`operator:${operatorPassword}`)}`,
};

/** Presses a card button on the dashboard (capture, reverse, refund). */
export function operatorAction(world: ShopWorld, path: string, fields: Record<string, string>) {
  return fetch(`${world.shopUrl}/dashboard/card/${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      ...operatorHeaders,
      origin: world.shopUrl,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(fields).toString(),
  });
}
