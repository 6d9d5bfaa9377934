/**
 * The cart and the card checkout as routes of the Gazette, and the dashboard's card actions:
 *
 *   POST /cart/add, /cart/remove     change the cart cookie (same-origin forms only);
 *   GET  /cart                       the cart, editable;
 *   GET  /checkout                   the order and the "Pay with card" button with the SDK's
 *                                    card offer (a fresh SET initiation for this order);
 *   GET  /checkout/wallet-needed     where the button leads without the wallet;
 *   GET  /checkout/paid/<id>         the order's page once paid (the wallet goes there);
 *   the SDK's card endpoints         purchase, inquiry, notifications;
 *   POST /dashboard/card/capture|reverse|refund    the operator's buttons.
 */
import { createHash } from 'node:crypto';
import type { CardMerchant } from '@farthing/merchant-sdk/card';
import {
  cardCheckoutOffer,
  cardEndpoints,
  parseCardOrder,
} from '@farthing/merchant-sdk/card/checkout';
import { FarthingError } from '@farthing/merchant-sdk/server';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { type CardOrderView, cardOrdersSection } from '../pages/card-orders.ts';
import { cartPage, checkoutPage, paidPage, walletNeededPage } from '../pages/cart.ts';
import type { Html } from '../pages/html.ts';
import {
  addToCart,
  cartCookie,
  cartOrder,
  lineRefund,
  readCart,
  removeFromCart,
  writeCart,
} from './cart.ts';

export interface CardShopOptions {
  readonly card: CardMerchant;
  readonly origin: string;
  readonly pageHeaders: Readonly<Record<string, string>>;
  /** The dashboard's password check. */
  readonly operator: MiddlewareHandler;
}

const paidPath = (transactionId: string) => `/checkout/paid/${transactionId}`;

/** The order a stored purchase was for (the shop wrote it there as the order's wire form). */
function storedOrder(description: string) {
  return parseCardOrder(JSON.parse(description));
}

/** The dashboard's card section, newest first. */
export function cardDashboardSection(card: CardMerchant): Html {
  const views: CardOrderView[] = card
    .purchases(50)
    .map((record) => ({ record, order: storedOrder(record.description) }));
  return cardOrdersSection(views);
}

// biome-ignore lint/suspicious/noExplicitAny: the shop's Hono env is the caller's
export function mountCardShop(app: Hono<any>, options: CardShopOptions): void {
  const { card, origin, pageHeaders } = options;
  const send = (c: Context, body: Html, status: 200 | 404 = 200) =>
    c.html(body.text, status, { ...pageHeaders, 'cache-control': 'no-store' });
  const sameOrigin = csrf({ origin });
  const endpoint = cardEndpoints(card);

  app.use('/.well-known/farthing/card/*', async function cardEndpoint(c, next) {
    const response = await endpoint(c.req.raw);
    return response ?? next();
  });

  const keep = (c: Context, cart: ReturnType<typeof readCart>) => {
    setCookie(c, cartCookie, writeCart(cart), {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: 7 * 86_400,
    });
    return c.redirect('/cart', 303);
  };
  app.post('/cart/add', sameOrigin, async (c) => {
    const form = await c.req.parseBody();
    const item = typeof form.item === 'string' ? form.item : '';
    return keep(c, addToCart(readCart(getCookie(c, cartCookie)), item));
  });
  app.post('/cart/remove', sameOrigin, async (c) => {
    const form = await c.req.parseBody();
    const item = typeof form.item === 'string' ? form.item : '';
    return keep(c, removeFromCart(readCart(getCookie(c, cartCookie)), item));
  });
  app.get('/cart', (c) => send(c, cartPage(cartOrder(readCart(getCookie(c, cartCookie))))));
  app.get('/checkout', async (c) => {
    const order = cartOrder(readCart(getCookie(c, cartCookie)));
    if (order === undefined) return c.redirect('/cart', 303);
    const offer = await cardCheckoutOffer(card, { order, origin, paidPath });
    return send(c, checkoutPage(order, offer));
  });
  app.get('/checkout/wallet-needed', (c) => send(c, walletNeededPage()));
  app.get('/checkout/paid/:transaction', (c) => {
    const record = card.purchase(c.req.param('transaction'));
    if (record === undefined || record.status === 'initiated') return c.notFound();
    // The order is paid: the cart that made it starts empty again.
    deleteCookie(c, cartCookie, { path: '/' });
    return send(c, paidPage(storedOrder(record.description), record.status));
  });

  const operate = (
    path: string,
    run: (transactionId: string, item: string | undefined) => Promise<unknown>,
  ) =>
    app.post(`/dashboard/card/${path}`, options.operator, sameOrigin, async (c) => {
      const form = await c.req.parseBody();
      const transactionId = typeof form.transaction === 'string' ? form.transaction : '';
      const item = typeof form.item === 'string' ? form.item : undefined;
      try {
        await run(transactionId, item);
      } catch (error) {
        // The gateway's refusal (a second capture, a refund above what is left): say so.
        if (!(error instanceof FarthingError)) throw error;
        return c.text(`${error.shortMessage} (${error.code})`, error.status as 400);
      }
      return c.redirect('/dashboard#card-orders', 303);
    });
  operate('capture', (id) => card.capture(id));
  operate('reverse', (id) => card.reverse(id));
  operate('refund', (id, item) => {
    const record = card.purchase(id);
    if (record === undefined) {
      throw new FarthingError('set_unknown_transaction', 'no such card purchase');
    }
    // Each refund is named for what it gives back, so a form sent twice refunds once.
    if (item === undefined)
      return card.refund(id, undefined, { creditId: `rest-${record.credited}` });
    const amount = lineRefund(storedOrder(record.description), item);
    if (amount === undefined) throw new FarthingError('not_found', 'no such line in this order');
    return card.refund(id, Math.min(amount.minor, record.captured - record.credited), {
      creditId: `line-${createHash('sha256').update(item).digest('base64url').slice(0, 22)}`,
    });
  });
}
