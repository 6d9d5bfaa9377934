/**
 * Accounts: sign-up, log-in (a scoped, expiring session token), the account's balance and
 * history, and the operator's calls (top up an account, create a merchant with an API key).
 */
import { type Amount, amount, formatAmount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import { amountSchema } from '@farthing/protocol/schema';
import { Hono } from 'hono';
import * as v from 'valibot';
import {
  apiKeyPrefix,
  newToken,
  requireAdmin,
  requireCustomer,
  sessionTokenPrefix,
  tokenHash,
} from '../http/auth.ts';
import { answeredOnce, readCommand, readJson } from '../http/command.ts';
import { allScopes, type BankContext, type BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import type { AccountRecord } from '../store/store.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

const nameSchema = v.pipe(
  v.string(),
  v.maxLength(64),
  v.regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'expected 3–64 characters: a–z 0–9 . _ -'),
);
const passwordSchema = v.pipe(v.string(), v.minLength(8), v.maxLength(1024));
const displayNameSchema = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200));

export const signUpSchema = v.strictObject({
  name: nameSchema,
  password: passwordSchema,
  displayName: v.optional(displayNameSchema),
});

/** The most scope names one log-in may list (repeats included). */
const maxScopesAsked = 16;

export const logInSchema = v.strictObject({
  name: v.pipe(v.string(), v.maxLength(64)),
  password: v.pipe(v.string(), v.maxLength(1024)),
  // Each scope once: the list is stored with the session and read on every request with its
  // token, so 100,000 copies of "account" must not fit (issue 18). A few repeats are merged.
  scopes: v.optional(
    v.pipe(
      v.array(v.picklist(allScopes)),
      v.minLength(1),
      v.maxLength(maxScopesAsked),
      v.transform((scopes) => [...new Set(scopes)]),
    ),
  ),
});

export const creditSchema = v.strictObject({
  amount: amountSchema,
  reference: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

export const createMerchantSchema = v.strictObject({
  name: nameSchema,
  displayName: displayNameSchema,
});

export function accountView(account: AccountRecord) {
  return {
    name: account.name,
    displayName: account.displayName,
    kind: account.kind,
    balance: formatAmount(amount(account.currency, account.balance)),
  };
}

function inCurrency(ctx: BankContext, value: Amount): number {
  if (value.currency !== ctx.config.currency) {
    throw new FarthingError(
      'currency_mismatch',
      `this bank keeps accounts in ${ctx.config.currency}`,
      {
        details: { expected: ctx.config.currency, got: value.currency },
      },
    );
  }
  return value.minor;
}

export const accountRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/accounts',
    summary: 'Open a customer account',
    auth: 'none',
    idempotent: true,
    body: signUpSchema,
    success: { status: 201, description: 'The new account' },
    errors: ['account_exists'],
  },
  {
    method: 'post',
    path: '/v1/sessions',
    summary:
      'Log in: a bearer token with the requested scopes, valid for the session lifetime (not idempotency-keyed: storing the answer would store a usable token; a retry opens a second session)',
    auth: 'none',
    body: logInSchema,
    success: { status: 201, description: 'The session token (shown once)' },
    errors: ['invalid_credentials'],
  },
  {
    method: 'delete',
    path: '/v1/sessions/current',
    summary: 'Log out (needs no Idempotency-Key: repeating it changes nothing more)',
    auth: 'customer',
    success: { status: 204, description: 'The token no longer works' },
  },
  {
    method: 'get',
    path: '/v1/accounts/me',
    summary: 'The account and its balance',
    auth: 'customer',
    success: { status: 200, description: 'The account' },
  },
  {
    method: 'get',
    path: '/v1/accounts/me/history',
    summary: 'Ledger entries of the account, newest first (`limit`, `before` a transfer id)',
    auth: 'customer',
    success: { status: 200, description: 'Entries' },
    errors: ['invalid_message'],
  },
  {
    method: 'post',
    path: '/v1/admin/accounts/:name/credit',
    summary: 'Operator: put new money into an account',
    auth: 'admin',
    idempotent: true,
    body: creditSchema,
    success: { status: 200, description: 'The new balance' },
    errors: ['not_found', 'currency_mismatch'],
  },
  {
    method: 'post',
    path: '/v1/admin/merchants',
    summary:
      'Operator: open a merchant account and return its first API key (shown once; not idempotency-keyed, since the bank never stores a key in clear)',
    auth: 'admin',
    body: createMerchantSchema,
    success: { status: 201, description: 'The merchant and its API key' },
    errors: ['account_exists'],
  },
  {
    method: 'post',
    path: '/v1/admin/merchants/:name/api-keys',
    summary:
      'Operator: issue another API key for a merchant (shown once; not idempotency-keyed, since the bank never stores a key in clear)',
    auth: 'admin',
    success: { status: 201, description: 'The new API key' },
    errors: ['not_found'],
  },
];

export function accountRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store, config } = ctx;
  // Spend the same scrypt time on unknown names as on known ones.
  const decoy = hashPassword('decoy password', config.scryptCost);

  app.post(
    '/v1/accounts',
    answeredOnce(
      store,
      { schema: signUpSchema, what: 'sign-up', status: 201, scope: 'public' },
      async ({ name, password, displayName }, claim) =>
        store.createAccount(
          {
            kind: 'customer',
            name,
            displayName: displayName ?? name,
            currency: config.currency,
            passwordHash: await hashPassword(password, config.scryptCost),
            now: ctx.now(),
          },
          accountView,
          claim,
        ),
    ),
  );

  // Log-in is deliberately not idempotency-keyed: storing its answer would store a usable
  // token, and a retried log-in only opens a second session.
  app.post('/v1/sessions', async (c) => {
    const { name, password, scopes } = await readJson(c, logInSchema, 'log-in');
    const account = await store.getAccountByName(name);
    const usable = account?.passwordHash !== undefined && account.kind === 'customer';
    const matches = await verifyPassword(password, usable ? account.passwordHash! : await decoy);
    const valid = usable && matches;
    if (!valid || account === undefined) {
      throw new FarthingError('invalid_credentials', 'wrong name or password');
    }
    const token = newToken(sessionTokenPrefix);
    const now = ctx.now();
    const expiresAt = now + config.sessionTtlMs;
    const granted = scopes ?? allScopes;
    await store.createSession({
      tokenHash: tokenHash(token),
      accountId: account.id,
      scopes: granted,
      expiresAt,
      now,
    });
    return c.json({ token, expiresAt, scopes: granted, account: accountView(account) }, 201, {
      'cache-control': 'no-store',
    });
  });

  app.delete('/v1/sessions/current', requireCustomer(ctx, 'account'), async (c) => {
    const token = c.req.header('authorization')!.slice('Bearer '.length);
    await store.deleteSession(tokenHash(token));
    return c.body(null, 204);
  });

  app.get('/v1/accounts/me', requireCustomer(ctx, 'account'), async (c) => {
    const account = await store.getAccount(c.get('account').id);
    return c.json(accountView(account!));
  });

  app.get('/v1/accounts/me/history', requireCustomer(ctx, 'account'), async (c) => {
    const limit = Number(c.req.query('limit') ?? 50);
    const before = c.req.query('before');
    if (
      !Number.isSafeInteger(limit) ||
      limit < 1 ||
      limit > 500 ||
      (before !== undefined && !/^\d{1,15}$/.test(before))
    ) {
      throw new FarthingError('invalid_message', 'limit must be 1–500 and before a transfer id', {
        details: { field: 'limit' },
      });
    }
    const account = c.get('account');
    const entries = await store.history(account.id, {
      limit,
      ...(before === undefined ? {} : { before: Number(before) }),
    });
    return c.json({
      entries: entries.map((entry) => ({
        transferId: entry.transferId,
        kind: entry.kind,
        reference: entry.reference,
        amount: `${entry.amount < 0 ? '-' : ''}${formatAmount(amount(account.currency, Math.abs(entry.amount)))}`,
        balanceAfter: formatAmount(amount(account.currency, entry.balanceAfter)),
        at: entry.createdAt,
      })),
    });
  });

  app.post('/v1/admin/accounts/:name/credit', requireAdmin(ctx), async (c) => {
    const command = await readCommand(c, creditSchema, 'credit');
    const account = await store.getAccountByName(c.req.param('name'));
    if (account === undefined || account.kind === 'system') {
      throw new FarthingError('not_found', 'no such customer or merchant account');
    }
    const minor = inCurrency(ctx, command.input.amount);
    if (minor <= 0) throw new FarthingError('invalid_amount', 'credit a positive amount');
    const result = await store.issueFunds(
      {
        accountId: account.id,
        amount: minor,
        reference: command.input.reference ?? 'operator credit',
        now: ctx.now(),
      },
      command.claim('admin'),
    );
    return c.json({ balance: formatAmount(amount(account.currency, result.balance)) });
  });

  // Not idempotency-keyed: the answer holds an API key, which the bank never stores in clear.
  // A retry whose first answer was lost gets `account_exists`; the operator then issues a new
  // key with POST /v1/admin/merchants/:name/api-keys.
  app.post('/v1/admin/merchants', requireAdmin(ctx), async (c) => {
    const input = await readJson(c, createMerchantSchema, 'merchant');
    const account = await store.createAccount(
      {
        kind: 'merchant',
        name: input.name,
        displayName: input.displayName,
        currency: config.currency,
        now: ctx.now(),
      },
      (record) => record,
    );
    const apiKey = await issueApiKey(account.id, 'first key');
    return c.json({ merchant: accountView(account), apiKey }, 201, { 'cache-control': 'no-store' });
  });

  app.post('/v1/admin/merchants/:name/api-keys', requireAdmin(ctx), async (c) => {
    const account = await store.getAccountByName(c.req.param('name'));
    if (account === undefined || account.kind !== 'merchant') {
      throw new FarthingError('not_found', 'no such merchant');
    }
    const apiKey = await issueApiKey(account.id, 'additional key');
    return c.json({ apiKey }, 201, { 'cache-control': 'no-store' });
  });

  async function issueApiKey(accountId: number, label: string): Promise<string> {
    const apiKey = newToken(apiKeyPrefix);
    await store.createApiKey({ keyHash: tokenHash(apiKey), accountId, label, now: ctx.now() });
    return apiKey;
  }

  return app;
}
