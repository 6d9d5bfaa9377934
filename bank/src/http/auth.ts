/**
 * Who is calling. Customers present a session token from `POST /v1/sessions`, merchants an
 * API key, the operator the admin token; all as `Authorization: Bearer …` (RFC 6750). Tokens
 * are random 32-byte strings; the bank stores only their SHA-256, so a copy of the database
 * does not let anyone in.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { FarthingError } from '@farthing/protocol/errors';
import type { MiddlewareHandler } from 'hono';
import type { AccountRecord } from '../store/store.ts';
import type { BankContext, BankEnv, Scope } from './context.ts';

export const sessionTokenPrefix = 'fst_';
export const apiKeyPrefix = 'fmk_';

export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

function bearer(header: string | undefined): string {
  const match = header === undefined ? null : /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  if (match === null) {
    throw new FarthingError('unauthorized', 'send "Authorization: Bearer <token>"', {
      details: { field: 'authorization' },
    });
  }
  return match[1]!;
}

/** A logged-in customer whose session carries `scope`. */
export function requireCustomer(ctx: BankContext, scope: Scope): MiddlewareHandler<BankEnv> {
  return async function customerAuth(c, next) {
    const token = bearer(c.req.header('authorization'));
    const session = token.startsWith(sessionTokenPrefix)
      ? await ctx.store.findSession(tokenHash(token))
      : undefined;
    if (session === undefined || session.account.kind !== 'customer') {
      throw new FarthingError('unauthorized', 'unknown session; log in again');
    }
    if (session.expiresAt <= ctx.now()) {
      throw new FarthingError('token_expired', 'the session has expired; log in again');
    }
    if (!session.scopes.includes(scope)) {
      throw new FarthingError(
        'insufficient_scope',
        `this session may not ${scope}; log in with that scope`,
        {
          details: { required: scope },
        },
      );
    }
    c.set('account', session.account);
    c.set('scopes', session.scopes);
    await next();
  };
}

/**
 * A merchant calling with one of its API keys. Merchants call on every click they sell, so a
 * key's account is remembered for a short while instead of looked up each time (the answer
 * depends only on the key, not on balances).
 */
export function requireMerchant(ctx: BankContext): MiddlewareHandler<BankEnv> {
  const authenticate = merchantAuthenticator(ctx);
  return async function merchantAuth(c, next) {
    c.set('account', await authenticate(c.req.header('authorization')));
    c.set('scopes', []);
    await next();
  };
}

/** Merchant API keys remembered per bank, shared by every route that takes them. */
const merchantKeys = new WeakMap<
  BankContext,
  (authorization: string | undefined) => Promise<AccountRecord>
>();

/**
 * The merchant whose API key is in the `Authorization` header, or `unauthorized`: what
 * `requireMerchant` checks, for routes served without Hono (mint/deposit-http.ts).
 */
export function merchantAuthenticator(
  ctx: BankContext,
): (authorization: string | undefined) => Promise<AccountRecord> {
  const existing = merchantKeys.get(ctx);
  if (existing !== undefined) return existing;
  const remembered = new Map<string, { account: AccountRecord; until: number }>();
  const rememberMs = 10_000;
  const authenticate = async (authorization: string | undefined): Promise<AccountRecord> => {
    const token = bearer(authorization);
    const now = ctx.now();
    const hit = remembered.get(token);
    if (hit !== undefined && hit.until > now) return hit.account;
    const account = token.startsWith(apiKeyPrefix)
      ? await ctx.store.findApiKeyAccount(tokenHash(token))
      : undefined;
    if (account === undefined || account.kind !== 'merchant') {
      throw new FarthingError('unauthorized', 'unknown or revoked merchant API key');
    }
    if (remembered.size >= 10_000) remembered.clear();
    remembered.set(token, { account, until: now + rememberMs });
    return account;
  };
  merchantKeys.set(ctx, authenticate);
  return authenticate;
}

/** The operator. Disabled unless FARTHING_BANK_ADMIN_TOKEN is set. */
export function requireAdmin(ctx: BankContext): MiddlewareHandler<BankEnv> {
  const expected =
    ctx.config.adminToken === undefined ? undefined : tokenHash(ctx.config.adminToken);
  return async function adminAuth(c, next) {
    const token = bearer(c.req.header('authorization'));
    if (expected === undefined || !timingSafeEqual(tokenHash(token), expected)) {
      throw new FarthingError('unauthorized', 'operator endpoints need the admin token');
    }
    await next();
  };
}
