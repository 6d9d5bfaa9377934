/**
 * The demo shop's configuration, from the environment, with defaults that run next to a local
 * bank (`npm start`). Every variable is checked at start: a typo fails loudly instead of
 * quietly falling back to a default.
 */
import { join, resolve } from 'node:path';
import {
  environmentHttpTimeouts,
  environmentInteger,
  type HttpTimeouts,
} from '@farthing/merchant-sdk/node-http';

export interface ShopConfig {
  readonly host: string;
  /** 0 picks a free port (tests); the origin then follows the port actually bound. */
  readonly port: number;
  /** The origin people reach the shop at; undefined: `http://<host>:<port>` once listening. */
  readonly publicUrl: string | undefined;
  readonly bankUrl: string;
  readonly dataDir: string;
  /**
   * The shop's SQLite file (payments, PayWord chains, settlement), or with `storeUrl` the
   * folder's file the purse and card stores sit beside.
   */
  readonly databasePath: string;
  /**
   * FARTHING_SHOP_DB as a `postgres://` URL: the merchant store on that PostgreSQL database,
   * shared by every shop process pointed at it.
   */
  readonly storeUrl?: string;
  /** Where the bank wrote the shop's API key when it seeded the demo accounts. */
  readonly apiKeyFile: string;
  /** The merchant account's name at the bank. */
  readonly merchantId: string;
  /** The display name the bank knows the merchant by (the certificate carries it). */
  readonly name: string;
  /** The dashboard password; undefined: one is made on first start and kept in the data folder. */
  readonly operatorPassword: string | undefined;
  /** Seconds between PayWord settlement runs; 0 settles only from the dashboard. */
  readonly settleIntervalSeconds: number;
  /** How long a paid article stays open to its reader (the access grant's lifetime). */
  readonly grantLifetimeSeconds: number;
  /** Node's header, request and keep-alive timeouts (the SDK's `node-http` server). */
  readonly httpTimeouts: HttpTimeouts;
}

export class ShopConfigError extends Error {
  override readonly name = 'ShopConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const integer = (env: Env, name: string, fallback: number, min: number, max: number) =>
  environmentInteger(env, name, { fallback, min, max }, ShopConfigError);

/** An origin such as `https://shop.example` (no path, no trailing slash). */
function origin(env: Env, name: string, fallback: string | undefined): string | undefined {
  const text = env[name] || fallback;
  if (text === undefined) return undefined;
  try {
    if (new URL(text).origin === text) return text;
  } catch {
    // reported below
  }
  throw new ShopConfigError(`${name} must be an origin like https://shop.example, got "${text}"`);
}

export function loadShopConfig(env: Env = process.env): ShopConfig {
  const host = env.FARTHING_SHOP_HOST || '127.0.0.1';
  const port = integer(env, 'FARTHING_SHOP_PORT', 8701, 0, 65_535);
  const dataDir = resolve(env.FARTHING_DATA_DIR || 'data');
  const password = env.FARTHING_SHOP_OPERATOR_PASSWORD || undefined;
  if (password !== undefined && password.length < 8) {
    throw new ShopConfigError('FARTHING_SHOP_OPERATOR_PASSWORD must be at least 8 characters');
  }
  const database = env.FARTHING_SHOP_DB || join(dataDir, 'demo-shop.sqlite');
  const onPostgres = /^postgres(ql)?:\/\//.test(database);
  return {
    host,
    port,
    publicUrl: origin(env, 'FARTHING_SHOP_URL', undefined),
    bankUrl: origin(env, 'FARTHING_BANK_URL', 'http://127.0.0.1:8700')!,
    dataDir,
    databasePath: onPostgres ? join(dataDir, 'demo-shop.sqlite') : database,
    ...(onPostgres ? { storeUrl: database } : {}),
    apiKeyFile: env.FARTHING_SHOP_API_KEY_FILE || join(dataDir, 'demo-shop.api-key'),
    merchantId: env.FARTHING_SHOP_MERCHANT_ID || 'demo-shop',
    name: env.FARTHING_SHOP_NAME || 'The Farthing Gazette',
    operatorPassword: password,
    settleIntervalSeconds: integer(env, 'FARTHING_SHOP_SETTLE_INTERVAL_S', 300, 0, 86_400),
    grantLifetimeSeconds: integer(env, 'FARTHING_SHOP_GRANT_LIFETIME_S', 86_400, 1, 30 * 86_400),
    // FARTHING_HTTP_*_MS: the same variables the bank reads.
    httpTimeouts: environmentHttpTimeouts(env, ShopConfigError),
  };
}

/** The origin a shop listening on `host:port` is reached at, unless configured otherwise. */
export function shopOrigin(config: Pick<ShopConfig, 'publicUrl' | 'host'>, port: number): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}
