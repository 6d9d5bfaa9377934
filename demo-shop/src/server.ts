/**
 * Starting and stopping the Gazette: listen, learn the origin (a port of 0 becomes a real
 * one first), load or make the shop's keys and certificate, open the SQLite store, create the
 * merchant, settle PayWord on a schedule, renew the certificate before it expires (keeping the
 * renewed chain for the next start); on stop, refuse new connections, finish requests in
 * flight, stop settlement and renewal and close the store.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { farthingRequestErrors } from '@farthing/merchant-sdk/hono';
import { createMerchantHttpServer } from '@farthing/merchant-sdk/node-http';
import {
  createMerchant,
  type Merchant,
  OriginChallengeResponder,
} from '@farthing/merchant-sdk/server';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import type { MerchantStore } from '@farthing/merchant-sdk/store/store';
import {
  getRequestListener,
  type Http2Bindings,
  type HttpBindings,
  type ServerType,
} from '@hono/node-server';
import { build } from 'esbuild';
import { createShopApp } from './app.ts';
import { priceTable } from './catalog/catalog.ts';
import { type ShopConfig, shopOrigin } from './config.ts';
import { loadShopIdentity, renewShopCertificate } from './identity.ts';

export interface StartShopOptions {
  /** The merchant's clock (tests move it to age offers); default `Date.now`. */
  readonly now?: () => number;
  /**
   * When to renew the certificate while the shop runs; default (the SDK's): once a third of its
   * lifetime is left. Failed renewals are retried and reported to `onError`.
   */
  readonly certificateRenewal?: {
    readonly renewBeforeMs?: number;
    readonly retryMs?: number;
    readonly checkIntervalMs?: number;
  };
  /** The shop's own failures; default: a line on stderr. */
  readonly onError?: (error: unknown) => void;
  /** While this answers false the article store is down: paid articles answer 503. */
  readonly articlesAvailable?: () => boolean;
}

export interface RunningShop {
  readonly url: string;
  readonly port: number;
  readonly merchant: Merchant;
  /** The dashboard password (configured, or the one kept in the data folder). */
  readonly operatorPassword: string;
  stop(): Promise<void>;
}

/** The browser part of the merchant SDK and the page's own lines, as one classic script. */
async function bundleBrowserScript(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser/gazette.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Stops accepting, lets requests in flight finish (up to 10 s), drops idle keep-alives. */
async function closeServer(server: ServerType): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if ('closeIdleConnections' in server) {
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    await closed;
    clearTimeout(force);
    return;
  }
  await closed;
}

function reportToStderr(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`demo shop: ${text}\n`);
}

/** SQLite by default; PostgreSQL (loading `pg` only then) when FARTHING_SHOP_DB is a URL. */
async function openMerchantStore(config: ShopConfig): Promise<MerchantStore> {
  if (config.storeUrl === undefined) return new SqliteMerchantStore({ path: config.databasePath });
  const { PostgresMerchantStore } = await import('@farthing/merchant-sdk/store/postgres');
  return PostgresMerchantStore.open({ url: config.storeUrl });
}

export async function startShop(
  config: ShopConfig,
  options: StartShopOptions = {},
): Promise<RunningShop> {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? reportToStderr;
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(dirname(config.databasePath), { recursive: true });
  const assets = {
    stylesheet: readFileSync(new URL('./assets/gazette.css', import.meta.url), 'utf8'),
    script: await bundleBrowserScript(),
  };

  // Listen first: with port 0 the origin, which the certificate must name, is known only now,
  // and the bank fetches the answers to its origin challenges from the shop while registering.
  const challenges = new OriginChallengeResponder();
  let handler:
    | ((request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>)
    | undefined;
  const server: ServerType = await new Promise((resolve, reject) => {
    // `serve()` takes no error handler: a request @hono/node-server refuses before the app
    // (a backslash in the path) gets the SDK's coded problem instead of a bare 400.
    // Node's own refusals are coded problems too, and a slow client is cut off in bounded time.
    const listening = createMerchantHttpServer(
      getRequestListener(
        (request: Request, env: HttpBindings | Http2Bindings) =>
          challenges.answer(request) ??
          (handler === undefined
            ? new Response('The shop is starting; try again in a moment.', {
                status: 503,
                headers: { 'retry-after': '1' },
              })
            : handler(request, env)),
        { hostname: config.host, errorHandler: farthingRequestErrors },
      ),
      { timeouts: config.httpTimeouts },
    );
    listening.once('error', reject);
    listening.listen(config.port, config.host, () => resolve(listening));
  });
  const port = (server.address() as AddressInfo).port;
  const origin = shopOrigin(config, port);

  let store: MerchantStore | undefined;
  try {
    const identity = await loadShopIdentity(config, origin, now, challenges);
    store = await openMerchantStore(config);
    const merchant = createMerchant(
      {
        merchantId: config.merchantId,
        name: config.name,
        origins: [origin],
        offerKey: identity.offerKey,
        certificateChain: identity.certificateChain,
        bank: { url: config.bankUrl, apiKey: identity.apiKey },
        prices: priceTable,
        store,
        now,
        grantLifetimeMs: config.grantLifetimeSeconds * 1_000,
        // The hardware purse too (issue 17); its proofs are cleared on the settlement schedule.
        instruments: ['payword', 'ecash', 'purse'],
      },
      {
        onError,
        purse: { storePath: join(dirname(config.databasePath), 'demo-shop-purse.sqlite') },
        // Card orders in a file of their own beside the shop's database (card-store.ts),
        // authorized at checkout and captured by the settlement run or the dashboard's button.
        card: {
          storePath: config.databasePath.replace(/(\.sqlite)?$/, '.card.sqlite'),
          capture: 'settlement',
        },
        // Whether each grant's content was served, for the payers' refund requests (issue 20).
        deliveries: {
          storePath: config.databasePath.replace(/(\.sqlite)?$/, '.deliveries.sqlite'),
        },
      },
    );
    merchant.keepCertificateRenewed({
      ...options.certificateRenewal,
      renew: () => renewShopCertificate(config, origin, identity, now, challenges),
      onError,
    });
    const card = merchant.card!;
    const app = createShopApp({
      merchant,
      origin,
      bankUrl: config.bankUrl,
      operatorPassword: identity.operatorPassword,
      // Read at each dashboard view: the renewal schedule replaces the certificate.
      get certificateNotAfter() {
        return merchant.certificate.notAfter;
      },
      settleIntervalSeconds: config.settleIntervalSeconds,
      assets,
      onError,
      card,
      ...(options.articlesAvailable === undefined
        ? {}
        : { articlesAvailable: options.articlesAvailable }),
    });
    if (config.settleIntervalSeconds > 0) {
      merchant.startSettlement({ intervalMs: config.settleIntervalSeconds * 1000, onError });
    }
    // The Node request rides along as `env`: the app judges the request-target as received.
    handler = (request, env) => app.fetch(request, env);
    const openStore = store;
    return {
      url: origin,
      port,
      merchant,
      operatorPassword: identity.operatorPassword,
      async stop() {
        await closeServer(server);
        await merchant.close();
        await openStore.close();
      },
    };
  } catch (error) {
    await closeServer(server);
    await store?.close();
    throw error;
  }
}
