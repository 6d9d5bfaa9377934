/**
 * The mint's HTTP API (DESIGN.md "E-cash (Chaum, online)"): the signed key set, withdrawals
 * (and fetching one again after a crash), deposits, change and coin status. JSON in and out;
 * failures are RFC 9457 problem details from the thrown `FarthingError`s.
 */
import { changeRequests } from '@farthing/protocol/coin/change-request';
import { fromBase64url } from '@farthing/protocol/encoding';
import { Hono } from 'hono';
import * as v from 'valibot';
import { requireCustomer } from '../http/auth.ts';
import { readBody, readCommand } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { changeCoin } from './change.ts';
import { depositRequestDocSchema } from './deposit-checks.ts';
import { depositRoute } from './deposit-route.ts';
import { fetchWithdrawal, withdrawalRequestSchema, withdrawCoins } from './withdraw.ts';

const windowErrors = [
  'unknown_denomination',
  'denomination_expired',
  'denomination_not_yet_valid',
] as const;

/** What the coins of a deposit are refused for, whoever the payee (deposits, returns). */
export const depositErrors = [
  ...windowErrors,
  'unsupported_version',
  'merchant_mismatch',
  'currency_mismatch',
  'coin_amount_mismatch',
  'coin_invalid',
  'bad_signature',
  'coin_already_spent',
  'conflict',
] as const;

export const mintRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/mint/keys',
    summary:
      'The mint key set: every denomination whose coins can still be deposited (also keys not valid yet), signed by the mint master key',
    auth: 'none',
    success: { status: 200, description: 'MintKeySetWire (protocol/src/coin/mint-key-set.ts)' },
  },
  {
    method: 'post',
    path: '/v1/mint/withdrawals',
    summary:
      'Withdraw: debit the account once and blind-sign each coin. The same issuanceId and coins again return the same signatures',
    auth: 'customer',
    idempotent: true,
    body: withdrawalRequestSchema,
    success: { status: 200, description: '{ issuanceId, total, signatures: [b64u] }' },
    errors: [
      'invalid_encoding',
      ...windowErrors,
      'insufficient_funds',
      'issuance_conflict',
      'blind_rsa_invalid_blinded_message',
    ],
  },
  {
    method: 'get',
    path: '/v1/mint/withdrawals/:issuanceId',
    summary: 'A withdrawal of this account again (crash recovery)',
    auth: 'customer',
    success: { status: 200, description: '{ issuanceId, total, signatures: [b64u] }' },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/v1/mint/deposits',
    summary:
      'Deposit whole coins with their deposit permissions: verify, mark spent and credit the merchant in one transaction',
    auth: 'merchant',
    idempotent: true,
    body: depositRequestDocSchema,
    success: { status: 200, description: '{ depositId, total, coins }' },
    errors: ['invalid_encoding', ...depositErrors],
  },
  {
    method: 'post',
    path: '/v1/mint/change',
    summary:
      'Spend one coin for blind signatures on smaller coins of exactly its value; the coin key signs the request',
    auth: 'none',
    idempotent: true,
    body: changeRequests.schema,
    success: { status: 200, description: '{ issuanceId, total, signatures: [b64u] }' },
    errors: [
      'invalid_encoding',
      ...windowErrors,
      'unsupported_version',
      'coin_amount_mismatch',
      'coin_invalid',
      'bad_signature',
      'coin_already_spent',
      'issuance_conflict',
      'blind_rsa_invalid_blinded_message',
    ],
  },
  {
    method: 'get',
    path: '/v1/mint/coins/:coinPub',
    summary:
      'Whether a coin was spent here ("unspent" means only that: the mint cannot know coins it never saw)',
    auth: 'none',
    success: { status: 200, description: "{ status: 'unspent' | 'spent', kind?, spentAt? }" },
    errors: ['invalid_encoding'],
  },
];

export function mintRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();

  app.get('/v1/mint/keys', async (c) => {
    const json = await ctx.mint.keySetJson();
    // Short caching: a new key appears in the set days before it signs (policy.ts).
    return c.body(json, 200, {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=60',
    });
  });

  app.post('/v1/mint/withdrawals', requireCustomer(ctx, 'withdraw'), async (c) => {
    const command = await readCommand(c, withdrawalRequestSchema, 'withdrawal');
    const account = c.get('account');
    const view = await withdrawCoins(
      ctx,
      account,
      command.input,
      command.claim(String(account.id)),
    );
    return c.json(view);
  });

  app.get('/v1/mint/withdrawals/:issuanceId', requireCustomer(ctx, 'withdraw'), async (c) =>
    c.json(await fetchWithdrawal(ctx, c.get('account'), c.req.param('issuanceId'))),
  );

  // Also served straight from node:http (deposit-http.ts), through the same `depositRoute`.
  const deposit = depositRoute(ctx);
  app.post('/v1/mint/deposits', async (c) => {
    const headers = {
      authorization: c.req.header('authorization'),
      idempotencyKey: c.req.header('idempotency-key'),
      contentType: c.req.header('content-type'),
    };
    return c.json(await deposit(headers, () => readBody(c)));
  });

  // Anonymous, so the request is read as plain JSON and then validated by the protocol's
  // parser, keeping the JSON as the proof shown to anyone who spends the coin again.
  app.post('/v1/mint/change', async (c) => {
    const command = await readCommand(c, v.unknown(), 'change request');
    const request = changeRequests.parse(command.input);
    return c.json(await changeCoin(ctx, request, command.input, command.claim('public')));
  });

  app.get('/v1/mint/coins/:coinPub', async (c) => {
    const coinPub = fromBase64url(c.req.param('coinPub'), 'coinPub', 32);
    const spent = await ctx.store.getSpentCoin(coinPub);
    return c.json(
      spent === undefined
        ? { status: 'unspent' }
        : { status: 'spent', kind: spent.kind, spentAt: spent.spentAt },
    );
  });

  return app;
}
