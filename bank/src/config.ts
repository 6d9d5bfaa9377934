/**
 * The bank's configuration, from the environment, with defaults that run a local demo.
 * Every variable is checked at startup: a typo fails loudly instead of silently using a
 * default.
 */
import { join, resolve } from 'node:path';
import { currencyExponent } from '@farthing/protocol/amount';
import { environmentHttpTimeouts, environmentInteger } from '@farthing/server-runtime/environment';
import type { HttpTimeouts } from '@farthing/server-runtime/http-server';
import type { CommitSync } from './store/sqlite/database.ts';

export interface BankConfig {
  readonly host: string;
  readonly port: number;
  /** The URL wallets and merchants use to reach this bank (signed into its statements). */
  readonly publicUrl: string;
  /** Identifier of this bank in certificates and key sets. */
  readonly bankId: string;
  /** The name people know this bank by, shown by wallets and on its fingerprints page. */
  readonly name: string;
  readonly currency: string;
  readonly dataDir: string;
  /** A SQLite file's path, or a `postgres://` URL for the PostgreSQL store (store/open.ts). */
  readonly databasePath: string;
  /** Connections each bank process keeps to PostgreSQL at most (unused on SQLite). */
  readonly databasePoolSize: number;
  /** How commits reach the disk; both durable (store/sqlite/database.ts). */
  readonly commitSync: CommitSync;
  readonly sessionTtlMs: number;
  readonly maxBodyBytes: number;
  /** Node's header, request and keep-alive timeouts (server-runtime/src/http-server.ts). */
  readonly httpTimeouts: HttpTimeouts;
  /** Bearer token for the operator endpoints (`/admin/…`); unset disables them. */
  readonly adminToken: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Seed the demo customer and shop on first start. */
  readonly seedDemo: boolean;
  /** How long after expiry a vendor may still redeem paywords before the hold is released. */
  readonly paywordRedeemGraceMs: number;
  /** scrypt cost parameter N for passwords (2^15 by default; tests lower it). */
  readonly scryptCost: number;
  /** Hardware purse: the most a card may hold, minor units (EUR 200.00, GeldKarte's). */
  readonly purseMaximum: number;
  /** Hardware purse clearing fee in basis points of each payment (GeldKarte: 30), default 0. */
  readonly purseFeeBasisPoints: number;
  /** The least fee per cleared payment when the fee is not zero, minor units (GeldKarte: 1). */
  readonly purseFeeMinimum: number;
  /** How long after a card is blocked merchants may still clear its proofs before the rest
   * of its shadow balance goes back to the holder's account. */
  readonly purseRefundWindowMs: number;
  /**
   * Development mode (FARTHING_BANK_DEV_MODE), for merchant origins (ca/origin-proof.ts):
   * `off` (the default) certifies https origins only; `on` (the demo) also loopback origins,
   * each proven by the same challenge; `unproven` (test fixtures, whose merchants name
   * origins nothing serves, several merchants the same one) certifies any origin without a
   * challenge and without holding it for one merchant. Never anything but `off` on a bank
   * wallets reach over the network.
   */
  readonly devMode: DevMode;
}

export type DevMode = 'off' | 'on' | 'unproven';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const integer = (env: Env, name: string, fallback: number, min: number, max: number) =>
  environmentInteger(env, name, { fallback, min, max }, ConfigError);

function flag(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  throw new ConfigError(`${name} must be 1/true or 0/false, got "${text}"`);
}

const devModes: Readonly<Record<string, DevMode>> = {
  '0': 'off',
  false: 'off',
  '1': 'on',
  true: 'on',
  unproven: 'unproven',
};

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): BankConfig {
  const host = env.FARTHING_BANK_HOST || '127.0.0.1';
  const port = integer(env, 'FARTHING_BANK_PORT', 8700, 0, 65_535);
  const publicUrl =
    env.FARTHING_BANK_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    if (new URL(publicUrl).origin !== publicUrl) throw new Error('not an origin');
  } catch {
    throw new ConfigError(
      `FARTHING_BANK_URL must be an origin like https://bank.example, got "${publicUrl}"`,
    );
  }
  const currency = env.FARTHING_CURRENCY || 'EUR';
  try {
    currencyExponent(currency);
  } catch {
    throw new ConfigError(`FARTHING_CURRENCY must be an ISO 4217 code, got "${currency}"`);
  }
  const dataDir = resolve(env.FARTHING_DATA_DIR || 'data');
  const logLevel = (env.FARTHING_LOG_LEVEL || 'info') as BankConfig['logLevel'];
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError(`FARTHING_LOG_LEVEL must be one of ${logLevels.join(', ')}`);
  }
  const commitSync = (env.FARTHING_BANK_COMMIT_SYNC || 'async-fdatasync') as CommitSync;
  if (commitSync !== 'async-fdatasync' && commitSync !== 'full') {
    throw new ConfigError('FARTHING_BANK_COMMIT_SYNC must be async-fdatasync or full');
  }
  const adminToken = env.FARTHING_BANK_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('FARTHING_BANK_ADMIN_TOKEN must be at least 16 characters');
  }
  const devModeText = env.FARTHING_BANK_DEV_MODE || '0';
  const devMode = Object.hasOwn(devModes, devModeText) ? devModes[devModeText] : undefined;
  if (devMode === undefined) {
    throw new ConfigError('FARTHING_BANK_DEV_MODE must be 0, 1 or unproven');
  }
  const name = (env.FARTHING_BANK_NAME || 'Farthing Demo Bank').trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (name.length === 0 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ConfigError('FARTHING_BANK_NAME must be 1 to 100 printable characters');
  }
  const databasePath = env.FARTHING_BANK_DB || join(dataDir, 'bank.sqlite');
  if (/^postgres(ql)?:/i.test(databasePath)) {
    try {
      if (new URL(databasePath).hostname === '') throw new Error('no host');
    } catch {
      throw new ConfigError(
        'FARTHING_BANK_DB must be a file path or a URL like postgres://user:password@host:5432/bank',
      );
    }
  }
  return {
    host,
    port,
    publicUrl,
    bankId: env.FARTHING_BANK_ID || 'farthing-bank',
    name,
    currency,
    dataDir,
    databasePath,
    databasePoolSize: integer(env, 'FARTHING_BANK_DB_POOL', 10, 1, 1_000),
    commitSync,
    sessionTtlMs: integer(env, 'FARTHING_SESSION_TTL_S', 3_600, 60, 30 * 86_400) * 1000,
    maxBodyBytes: integer(env, 'FARTHING_BANK_MAX_BODY', 1 << 20, 1024, 64 << 20),
    // FARTHING_HTTP_*_MS: the same variables set the demo shop's.
    httpTimeouts: environmentHttpTimeouts(env, ConfigError),
    adminToken,
    logLevel,
    // A PostgreSQL database is an operator's own: no demo accounts unless asked for.
    seedDemo: flag(env, 'FARTHING_SEED_DEMO', !/^postgres(ql)?:/i.test(databasePath)),
    paywordRedeemGraceMs:
      integer(env, 'FARTHING_PAYWORD_GRACE_S', 7 * 86_400, 0, 365 * 86_400) * 1000,
    scryptCost: integer(env, 'FARTHING_SCRYPT_COST', 1 << 15, 1 << 4, 1 << 20),
    purseMaximum: integer(env, 'FARTHING_PURSE_MAX', 20_000, 1, 1_000_000_00),
    purseFeeBasisPoints: integer(env, 'FARTHING_PURSE_FEE_BP', 0, 0, 10_000),
    purseFeeMinimum: integer(env, 'FARTHING_PURSE_FEE_MIN', 0, 0, 1_000_00),
    purseRefundWindowMs:
      integer(env, 'FARTHING_PURSE_REFUND_WINDOW_S', 30 * 86_400, 0, 365 * 86_400) * 1000,
    devMode,
  };
}
