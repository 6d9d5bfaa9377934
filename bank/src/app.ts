/**
 * The bank's HTTP API as a Hono app: web-standard Request → Response, so tests call
 * `app.request(...)` without a socket and the server wraps it with @hono/node-server.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { accountRouteDocs, accountRoutes } from './accounts/routes.ts';
import { earlyReleaseRouteDocs, earlyReleaseRoutes } from './broker/early-release.ts';
import { brokerRouteDocs, brokerRoutes } from './broker/routes.ts';
import { originRouteDocs, originRoutes } from './ca/origin-routes.ts';
import { caRouteDocs, caRoutes } from './ca/routes.ts';
import { cardRouteDocs, cardRoutes } from './card/routes.ts';
import { requireAdmin } from './http/auth.ts';
import type { BankContext, BankEnv } from './http/context.ts';
import { openApiDocument, type RouteDoc } from './http/openapi.ts';
import { notFoundHandler, problemHandler } from './http/problems.ts';
import { identityRouteDocs, identityRoutes } from './identity/routes.ts';
import { paymentProofRouteDocs, paymentProofRoutes } from './mint/payment-proofs.ts';
import { recoveryRouteDocs, recoveryRoutes } from './mint/recovery.ts';
import { mintRouteDocs, mintRoutes } from './mint/routes.ts';
import { purseRouteDocs, purseRoutes } from './purse/routes.ts';
import { refundRouteDocs, refundRoutes } from './refunds/routes.ts';

interface RouteModule {
  readonly docs: readonly RouteDoc[];
  readonly routes: (ctx: BankContext) => Hono<BankEnv>;
}

/** Every route the bank serves, each module with its documentation. */
export const routeModules: readonly RouteModule[] = [
  { docs: accountRouteDocs, routes: accountRoutes },
  { docs: mintRouteDocs, routes: mintRoutes },
  { docs: brokerRouteDocs, routes: brokerRoutes },
  { docs: caRouteDocs, routes: caRoutes },
  { docs: originRouteDocs, routes: originRoutes },
  { docs: identityRouteDocs, routes: identityRoutes },
  { docs: purseRouteDocs, routes: purseRoutes },
  { docs: cardRouteDocs, routes: cardRoutes },
  { docs: refundRouteDocs, routes: refundRoutes },
  { docs: recoveryRouteDocs, routes: recoveryRoutes },
  { docs: paymentProofRouteDocs, routes: paymentProofRoutes },
  { docs: earlyReleaseRouteDocs, routes: earlyReleaseRoutes },
];

export const systemRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the bank answers and its database is open',
    auth: 'none',
    success: { status: 200, description: 'ok' },
  },
  {
    method: 'get',
    path: '/v1/admin/stats',
    summary: 'Operator: storage statistics (durable commits, jobs, largest group commit)',
    auth: 'admin',
    success: { status: 200, description: 'Counters since start' },
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    auth: 'none',
    success: { status: 200, description: 'OpenAPI 3.1' },
  },
];

export function allRouteDocs(): RouteDoc[] {
  return [...systemRouteDocs, ...routeModules.flatMap((module) => module.docs)];
}

export function createBankApp(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  app.onError(problemHandler(ctx.log));
  app.notFound(notFoundHandler);

  app.use('*', async function requestContext(c, next) {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.header('x-request-id', requestId);
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
    ctx.log.debug(
      {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: performance.now() - started,
      },
      'request',
    );
  });
  app.use('*', requestSizeLimit(ctx.config.maxBodyBytes));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/v1/admin/stats', requireAdmin(ctx), (c) => c.json({ storage: ctx.store.stats }));
  const document = openApiDocument(allRouteDocs(), ctx.config.publicUrl);
  app.get('/v1/openapi.json', (c) => c.json(document));

  for (const module of routeModules) app.route('/', module.routes(ctx));
  return app;
}

/**
 * Hono's body limit, except for a request that declares an acceptable `Content-Length`: that
 * one is read straight from Node's stream (`readBody`, http/command.ts), and the limit must
 * not touch `c.req.raw.body` for it. Building the web body starts pulling the same stream
 * into a web `ReadableStream`, and a handler that awaited anything before reading (a store
 * read waiting for its data to be durable, a database across the network) then found the
 * body already consumed ("shorter than its Content-Length").
 */
function requestSizeLimit(maxSize: number): MiddlewareHandler<BankEnv> {
  const limit = bodyLimit({ maxSize });
  return async function sizeLimit(c, next) {
    const declared = c.req.header('content-length');
    if (
      declared !== undefined &&
      c.req.header('transfer-encoding') === undefined &&
      /^\d+$/.test(declared) &&
      Number(declared) <= maxSize
    ) {
      await next();
      return;
    }
    return limit(c, next);
  };
}
