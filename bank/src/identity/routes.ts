/**
 * The bank's identity over HTTP: `/v1/bank` for wallets and scripts, and a page for people at
 * `/` and `/fingerprints` that shows the fingerprints the wallet asks them to compare.
 */
import { Hono } from 'hono';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { bankIdentity, fingerprintsPage } from './identity.ts';

/** They change only when the operator replaces a key; wallets pin them anyway. */
const identityCacheControl = 'public, max-age=3600';

/** A page with no script, no frames and no outside resources. */
const pageSecurityHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const pageDoc = (path: string): RouteDoc => ({
  method: 'get',
  path,
  summary:
    "For people: the bank's name, address and key fingerprints in plain words, to compare with what the wallet shows (text/html)",
  auth: 'none',
  success: { status: 200, description: 'An HTML page' },
});

export const identityRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/bank',
    summary:
      "The bank's name, id, address and currency, the SHA-256 fingerprints (AB:CD:… form) of its certificate, coin-signing key and PayWord key, and how long unused PayWord credit stays held after a certificate expires",
    auth: 'none',
    success: {
      status: 200,
      description:
        '{ name, bankId, url, currency, fingerprints: { certificate, coinKey, paywordKey }, paywordRedeemGraceSeconds }',
    },
  },
  pageDoc('/'),
  pageDoc('/fingerprints'),
];

export function identityRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const identity = bankIdentity(ctx);
  const page = fingerprintsPage(identity);
  app.get('/v1/bank', (c) => c.json(identity, 200, { 'cache-control': identityCacheControl }));
  for (const path of ['/', '/fingerprints']) {
    app.get(path, (c) =>
      c.html(page, 200, { 'cache-control': identityCacheControl, ...pageSecurityHeaders }),
    );
  }
  return app;
}
