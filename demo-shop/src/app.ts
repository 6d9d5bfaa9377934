/**
 * The Gazette as a Hono app. The merchant SDK's middleware comes first and sees every request:
 * it serves the merchant descriptor and the pay endpoint, refuses odd spellings of priced
 * addresses, answers 402 where a priced page has not been paid, and lets the rest through.
 * A priced route therefore runs only for a payer; it still checks `c.get('farthing')`, so a
 * route whose item is missing from the price table serves nothing rather than everything.
 */
import type { CardMerchant } from '@farthing/merchant-sdk/card';
import { type FarthingEnv, farthing } from '@farthing/merchant-sdk/hono';
import { isFarthingError, type Merchant } from '@farthing/merchant-sdk/server';
import type { HttpBindings } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { cardDashboardSection, mountCardShop } from './cart/routes.ts';
import { findArticle, findDownload, findFreeRead, findPrint, printSvg } from './catalog/catalog.ts';
import { dashboardPage } from './pages/dashboard.ts';
import { aboutPage, articlesPage, freeIndexPage, frontPage } from './pages/front.ts';
import type { Html } from './pages/html.ts';
import { trusted } from './pages/html.ts';
import type { PricedLink } from './pages/layout.ts';
import { downloadsPage, galleryPage, printPage } from './pages/shelves.ts';
import { notFoundPage, storyPage } from './pages/story.ts';

export interface ShopAppOptions {
  readonly merchant: Merchant;
  /** The origin the shop is served at (the certificate names it). */
  readonly origin: string;
  readonly bankUrl: string;
  readonly operatorPassword: string;
  readonly certificateNotAfter: number;
  readonly settleIntervalSeconds: number;
  /** The stylesheet and the bundled browser script. */
  readonly assets: { readonly stylesheet: string; readonly script: string };
  /** The shop's own failures (5xx), for its log. */
  readonly onError?: (error: unknown) => void;
  /** The card instrument: the cart, the card checkout and the dashboard's card orders. */
  readonly card?: CardMerchant;
  /** While this answers false the article store is down: paid articles answer 503. */
  readonly articlesAvailable?: () => boolean;
}

/** On @hono/node-server the raw Node request rides along; `app.request()` in tests has none. */
interface ShopEnv extends FarthingEnv {
  Bindings: Partial<HttpBindings>;
}

/** The dashboard's user name (any browser asks for one with HTTP Basic). */
export const operatorUser = 'operator';

// The pages load nothing from elsewhere and run only the shop's own script.
const pageHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** What the last "settle now" did, from the counts its redirect carries (never free text). */
function settleFlash(query: Record<string, string>): string | undefined {
  const count = (name: string) => {
    const value = Number(query[name]);
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  };
  const [settled, refused, retrying] = [count('settled'), count('refused'), count('retrying')];
  if (settled === undefined || refused === undefined || retrying === undefined) return undefined;
  // Card authorizations captured in the same run (the merchant's `card` option).
  const captured = count('captured') ?? 0;
  if (settled + refused + retrying + captured === 0) {
    return 'Nothing was owed: every accepted PayWord is already redeemed and every card payment captured.';
  }
  return `Settlement ran: ${settled} batch(es) settled, ${refused} chain(s) refused by the broker, ${retrying} batch(es) left to retry, ${captured} card payment(s) captured.`;
}

export function createShopApp(options: ShopAppOptions): Hono<ShopEnv> {
  const { merchant } = options;
  const app = new Hono<ShopEnv>();
  const link: PricedLink = async (href, text, attributes) =>
    trusted(await merchant.renderPricedLink({ href, text, ...(attributes ? { attributes } : {}) }));
  const send = (c: Context, body: Html, status: 200 | 404 | 500 = 200) =>
    c.html(body.text, status, pageHeaders);

  // The WHATWG URL parser behind `Request` resolves `.` and `..` segments, so
  // `/free/../articles/x` reaches the SDK's guard as `/articles/x` and is charged as that: no
  // way around paying, but a spelling the shop never links. Where Node hands over the
  // request-target as received, the SDK judges that too and refuses it like the other odd
  // spellings (`non_canonical_path`). (A backslash never gets here: @hono/node-server refuses
  // it, and server.ts has the SDK answer that with the same code.)
  app.use(async function receivedTarget(c, next) {
    // `env` is undefined under `app.request()`, whatever the type says.
    const target = (c.env as Partial<HttpBindings> | undefined)?.incoming?.url;
    if (target !== undefined) {
      try {
        merchant.priceOf(target);
      } catch (error) {
        if (!isFarthingError(error, 'non_canonical_path')) throw error;
        const result = await merchant.handle(c.req.raw, { target });
        if (result.action === 'respond') return result.response;
      }
    }
    return next();
  });
  // The cart and card checkout (cart/routes.ts), before the SDK's guard: nothing there is priced.
  if (options.card !== undefined) {
    mountCardShop(app, {
      card: options.card,
      origin: options.origin,
      pageHeaders,
      operator: basicAuth({
        username: operatorUser,
        password: options.operatorPassword,
        realm: 'The Farthing Gazette: merchant dashboard',
      }),
    });
  }
  app.use(farthing(merchant));
  app.notFound((c) => send(c, notFoundPage(c.req.path), 404));
  app.onError((error, c) => {
    // The operator password and the CSRF check answer with their own status (401, 403).
    if (error instanceof HTTPException) return error.getResponse();
    options.onError?.(error);
    return c.text('Something went wrong on our side. Please try again in a moment.', 500);
  });

  app.get('/assets/gazette.css', (c) =>
    c.body(options.assets.stylesheet, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=3600',
    }),
  );
  app.get('/assets/gazette.js', (c) =>
    c.body(options.assets.script, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
    }),
  );

  app.get('/', async (c) => send(c, await frontPage(link)));
  app.get('/articles', async (c) => send(c, await articlesPage(link)));
  app.get('/articles/:slug', (c) => {
    const article = findArticle(c.req.param('slug'));
    const paid = c.get('farthing');
    if (article === undefined || paid === undefined) return c.notFound();
    if (options.articlesAvailable?.() === false) {
      return c.text('The article store is down. Please try again in a moment.', 503);
    }
    return send(c, storyPage(article, c.req.path, paid));
  });
  app.get('/free', (c) => send(c, freeIndexPage()));
  app.get('/free/:slug', (c) => {
    const article = findFreeRead(c.req.param('slug'));
    if (article === undefined) return c.notFound();
    return send(c, storyPage(article, c.req.path, undefined));
  });
  app.get('/about', (c) => send(c, aboutPage(options.bankUrl)));

  app.get('/gallery', (c) => send(c, galleryPage()));
  app.get('/gallery/:id', async (c) => {
    const print = findPrint(c.req.param('id'));
    if (print === undefined) return c.notFound();
    return send(c, await printPage(print, link));
  });
  app.get('/gallery/:id/preview.svg', (c) => {
    const print = findPrint(c.req.param('id'));
    if (print === undefined) return c.notFound();
    return c.body(printSvg(print, { preview: true }), 200, {
      'content-type': 'image/svg+xml',
      'cache-control': 'public, max-age=3600',
    });
  });
  app.get('/gallery/:id/full', (c) => {
    const print = findPrint(c.req.param('id'));
    if (print === undefined || c.get('farthing') === undefined) return c.notFound();
    return c.body(printSvg(print, { preview: false }), 200, {
      'content-type': 'image/svg+xml',
      'content-disposition': `inline; filename="${print.id}.svg"`,
    });
  });

  app.get('/downloads', async (c) => send(c, await downloadsPage(link)));
  app.get('/downloads/:file', (c) => {
    const download = findDownload(c.req.param('file'));
    if (download === undefined || c.get('farthing') === undefined) return c.notFound();
    return c.body(download.contents(), 200, {
      'content-type': download.contentType,
      'content-disposition': `attachment; filename="${download.file}"`,
    });
  });

  const operator = basicAuth({
    username: operatorUser,
    password: options.operatorPassword,
    realm: 'The Farthing Gazette: merchant dashboard',
  });
  app.get('/dashboard', operator, async (c) => {
    const [earnings, status, history] = await Promise.all([
      merchant.earnings(),
      merchant.settlementStatus(),
      merchant.settlementHistory({ limit: 50 }),
    ]);
    const flash = settleFlash(c.req.query());
    const body = dashboardPage({
      merchantId: merchant.merchantId,
      name: merchant.name,
      origin: options.origin,
      bankUrl: options.bankUrl,
      certificateNotAfter: options.certificateNotAfter,
      earnings,
      status,
      history,
      flash,
      settleIntervalSeconds: options.settleIntervalSeconds,
      cards: options.card === undefined ? undefined : cardDashboardSection(options.card),
    });
    return c.html(body.text, 200, { ...pageHeaders, 'cache-control': 'no-store' });
  });
  // Basic credentials ride along on cross-site form posts too: only the shop's own page may post.
  app.post('/dashboard/settle', operator, csrf({ origin: options.origin }), async (c) => {
    const result = await merchant.settle();
    const settled = result.answered.filter((batch) => batch.status === 'settled').length;
    const query = new URLSearchParams({
      // Card payments first: the PayWord counts keep their place at the end of the address.
      captured: String(result.capturedCards),
      settled: String(settled),
      refused: String(result.refusedChains),
      retrying: String(result.retrying),
    });
    return c.redirect(`/dashboard?${query}`, 303);
  });

  return app;
}
