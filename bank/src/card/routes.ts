/**
 * The bank's SET roles over HTTP: card issuer, cardholder CA and payment gateway. Their keys
 * and certificates open on first use (set-authority.ts).
 */
import { Hono } from 'hono';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { cardholderCaRouteDocs, cardholderCaRoutes } from './cardholder-ca.ts';
import { gatewayRouteDocs, gatewayRoutes } from './gateway.ts';
import { issuerRouteDocs, issuerRoutes } from './issuer.ts';
import { lazySetAuthority } from './set-authority.ts';

export const cardRouteDocs: readonly RouteDoc[] = [
  ...issuerRouteDocs,
  ...cardholderCaRouteDocs,
  ...gatewayRouteDocs,
];

export function cardRoutes(ctx: BankContext): Hono<BankEnv> {
  const authority = lazySetAuthority(ctx);
  const app = new Hono<BankEnv>();
  app.route('/', issuerRoutes(ctx));
  app.route('/', cardholderCaRoutes(ctx, authority));
  app.route('/', gatewayRoutes(ctx, authority));
  return app;
}
