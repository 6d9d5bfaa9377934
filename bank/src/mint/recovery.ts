/**
 * Lost-coin recovery (seed 004 "Lost Coins"; README "Recovery"):
 *
 * - GET /v1/mint/recovery/withdrawals?page=n: the blind signatures of the account's latest
 *   `recoverableWithdrawals` withdrawals, `recoveryPageSize` per page, to the account's own
 *   session only. The wallet re-derives each coin from its phrase and unblinds them.
 * - POST /v1/mint/returns: "return e-cash to my bank account", the recovered coins or any
 *   others: a deposit whose payee is the customer's own account.
 * - POST /v1/mint/recovery/change: anyone may fetch the change issuances whose id starts with
 *   short prefixes; the wallet knows the ids its phrase makes and picks its own.
 * - POST /v1/mint/recovery/spent: anyone may ask which spent coin keys start with short
 *   prefixes (protocol/src/coin/recovery.ts says why prefixes). It reads and changes nothing,
 *   so it takes no Idempotency-Key; no session either, so it is not tied to an account.
 */
import { amount, formatAmount } from '@farthing/protocol/amount';
import {
  changeSearchSchema,
  maxChangeAnswer,
  maxSpentAnswer,
  recoverableWithdrawals,
  recoveryPageSize,
  spentSearchSchema,
} from '@farthing/protocol/coin/recovery';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { Hono } from 'hono';
import { requireCustomer } from '../http/auth.ts';
import { readBody, readJson } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { idempotencyKeyOf, requireJsonBody } from '../http/request.ts';
import type { AccountRecord, IssuanceRecord } from '../store/store.ts';
import { depositCoins } from './deposit.ts';
import { depositRequestDocSchema } from './deposit-checks.ts';
import { depositErrors } from './routes.ts';

const lastPage = recoverableWithdrawals / recoveryPageSize - 1;

export const recoveryRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/mint/recovery/withdrawals',
    summary: `The blind signatures of this account's last ${recoverableWithdrawals} withdrawals, newest first, ${recoveryPageSize} per page (?page=0..${lastPage}), for recovery from the wallet's phrase`,
    auth: 'customer',
    success: {
      status: 200,
      description:
        '{ withdrawals: [{ issuanceId, createdAt, total, coins: [{ denominationId, signature }] }], nextPage }',
    },
    errors: ['invalid_argument'],
  },
  {
    method: 'post',
    path: '/v1/mint/returns',
    summary:
      "Return e-cash to the own account: whole coins with deposit permissions naming this account (as a merchant's would name the merchant), credited once; the same coins again answer the original deposit, a coin spent before is refused",
    auth: 'customer',
    idempotent: true,
    body: depositRequestDocSchema,
    success: { status: 200, description: '{ depositId, total, coins }' },
    errors: ['invalid_encoding', ...depositErrors],
  },
  {
    method: 'post',
    path: '/v1/mint/recovery/change',
    summary:
      'Change issuances whose id starts with these 3-character prefixes, with their blind signatures (useless without the seed whose hash the id is). Reads only, so not idempotency-keyed',
    auth: 'none',
    body: changeSearchSchema,
    success: {
      status: 200,
      description: '{ issuances: [{ issuanceId, createdAt, total, coins }], more }',
    },
    errors: ['invalid_encoding'],
  },
  {
    method: 'post',
    path: '/v1/mint/recovery/spent',
    summary:
      'Which spent coin keys start with these 2-byte prefixes (the wallet compares its own coins locally; the mint never sees them). Reads only, so not idempotency-keyed: asking again changes nothing',
    auth: 'none',
    body: spentSearchSchema,
    success: { status: 200, description: '{ spent: [b64u coin keys], more }' },
    errors: ['invalid_encoding'],
  },
];

export function recoveredWithdrawalView(issuance: IssuanceRecord) {
  return {
    issuanceId: issuance.id,
    createdAt: issuance.createdAt,
    total: formatAmount(amount(issuance.currency, issuance.total)),
    coins: issuance.coins.map((coin) => ({
      denominationId: toBase64url(coin.denominationId),
      signature: toBase64url(coin.blindSignature),
    })),
  };
}

export async function recentWithdrawals(ctx: BankContext, account: AccountRecord, page: number) {
  const withdrawals = await ctx.store.listWithdrawals(account.id, {
    offset: page * recoveryPageSize,
    limit: recoveryPageSize,
  });
  return {
    withdrawals: withdrawals.map(recoveredWithdrawalView),
    nextPage: page < lastPage && withdrawals.length === recoveryPageSize ? page + 1 : null,
  };
}

function pageOf(text: string | undefined): number {
  const page = text === undefined ? 0 : Number(text);
  if (!/^\d{1,2}$/.test(text ?? '0') || page > lastPage) {
    throw new FarthingError('invalid_argument', `page must be 0 to ${lastPage}`, {
      details: { field: 'page' },
    });
  }
  return page;
}

/**
 * One answer of a prefix search: at most `max` found after `after`, and whether there are
 * more (asking for one more than `max` tells without a count).
 */
async function prefixSearch<P, K, T>(
  request: { readonly prefixes: readonly P[]; readonly after?: K | undefined },
  max: number,
  search: (prefixes: readonly P[], page: { after?: K; limit: number }) => Promise<T[]>,
): Promise<{ found: T[]; more: boolean }> {
  const found = await search(request.prefixes, {
    ...(request.after === undefined ? {} : { after: request.after }),
    limit: max + 1,
  });
  return { found: found.slice(0, max), more: found.length > max };
}

export function recoveryRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();

  app.get('/v1/mint/recovery/withdrawals', requireCustomer(ctx, 'withdraw'), async (c) =>
    c.json(await recentWithdrawals(ctx, c.get('account'), pageOf(c.req.query('page')))),
  );

  // The deposit path with the customer as payee: the same checks and the same books (the
  // coins leave circulation, the account is credited) in one transaction.
  app.post('/v1/mint/returns', requireCustomer(ctx, 'withdraw'), async (c) => {
    const idempotencyKey = idempotencyKeyOf(c.req.header('idempotency-key'));
    requireJsonBody(c.req.header('content-type'));
    const body = await readBody(c);
    return c.json(await depositCoins(ctx, c.get('account'), { body, idempotencyKey }));
  });

  app.post('/v1/mint/recovery/change', async (c) => {
    const request = await readJson(c, changeSearchSchema, 'change search');
    const { found, more } = await prefixSearch(request, maxChangeAnswer, (prefixes, page) =>
      ctx.store.changeIssuancesWithPrefixes(prefixes, page),
    );
    return c.json({ issuances: found.map(recoveredWithdrawalView), more });
  });

  app.post('/v1/mint/recovery/spent', async (c) => {
    const request = await readJson(c, spentSearchSchema, 'spent coin search');
    const { found, more } = await prefixSearch(request, maxSpentAnswer, (prefixes, page) =>
      ctx.store.spentCoinsWithPrefixes(prefixes, page),
    );
    return c.json({ spent: found.map((key) => toBase64url(key)), more });
  });

  return app;
}
