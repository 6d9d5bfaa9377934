/**
 * Refund routes (issue 20): the merchant's refunds and the list of one receipt's refunds
 * (merchant API key), and, for the holder of a refunded coin, its refund state and the refresh
 * that turns it into fresh coins (no account: the coin key signs).
 */
import { refundRefreshes } from '@farthing/protocol/coin/refund-refresh';
import { fromBase64url } from '@farthing/protocol/encoding';
import { receiptIdLength } from '@farthing/protocol/receipt';
import { refunds } from '@farthing/protocol/refund';
import { Hono } from 'hono';
import * as v from 'valibot';
import { requireMerchant } from '../http/auth.ts';
import { readCommand } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { coinRefundView, refreshRefundedCoin } from './refresh.ts';
import { refundPayment, refundView } from './refund.ts';

export const refundRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/refunds',
    summary:
      'Merchant: refund part or all of an e-cash or PayWord payment with a refund signed by its offer key. E-cash: credited back to the deposited coins; PayWord: to the payer account from the merchant. Same refund id and refund again: the same answer',
    auth: 'merchant',
    idempotent: true,
    body: refunds.schema,
    success: { status: 200, description: '{ refundId, instrument, amount, refund, createdAt }' },
    errors: [
      'invalid_encoding',
      'unsupported_version',
      'bad_signature',
      'merchant_mismatch',
      'currency_mismatch',
      'offer_mismatch',
      'not_found',
      'conflict',
      'refund_exceeds_payment',
      'refund_not_settled',
      'refund_id_reused',
      'insufficient_funds',
    ],
  },
  {
    method: 'get',
    path: '/v1/refunds/receipts/:receiptId',
    summary:
      "Merchant: its refunds of one receipt, oldest first, each with the merchant's signed refund",
    auth: 'merchant',
    success: { status: 200, description: '{ refunds: [RefundView] }' },
    errors: ['invalid_encoding'],
  },
  {
    method: 'get',
    path: '/v1/mint/coins/:coinPub/refund',
    summary:
      "What refunds credited back to a coin, what was refreshed, and what is left (the coin's public key is all it takes, as for its status)",
    auth: 'none',
    success: {
      status: 200,
      description:
        "{ status: 'none' } | { status: 'refreshable' | 'refreshed', refunded, refreshed, left }",
    },
    errors: ['invalid_encoding'],
  },
  {
    method: 'post',
    path: '/v1/mint/refunds/refresh',
    summary:
      "Turn a coin's refunded credit into fresh blind-signed coins, authorized by the coin's key. Same issuanceId and request again: the same signatures",
    auth: 'none',
    idempotent: true,
    body: refundRefreshes.schema,
    success: { status: 200, description: '{ issuanceId, total, signatures: [b64u] }' },
    errors: [
      'invalid_encoding',
      'unsupported_version',
      'unknown_denomination',
      'denomination_expired',
      'denomination_not_yet_valid',
      'coin_invalid',
      'bad_signature',
      'refund_nothing_to_refresh',
      'issuance_conflict',
      'blind_rsa_invalid_blinded_message',
    ],
  },
];

export function refundRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();

  // Read as plain JSON, validated by the protocol's parser: the JSON as received is the
  // signed statement the bank keeps and shows.
  app.post('/v1/refunds', requireMerchant(ctx), async (c) => {
    const command = await readCommand(c, v.unknown(), 'refund');
    const merchant = c.get('account');
    return c.json(
      await refundPayment(ctx, merchant, command.input, command.claim(`refund:${merchant.id}`)),
    );
  });

  app.get('/v1/refunds/receipts/:receiptId', requireMerchant(ctx), async (c) => {
    const receiptId = fromBase64url(c.req.param('receiptId'), 'receiptId', receiptIdLength);
    const refunds = await ctx.store.refunds.listRefunds(c.get('account').id, receiptId);
    return c.json({ refunds: refunds.map(refundView) });
  });

  app.get('/v1/mint/coins/:coinPub/refund', async (c) => {
    const coinPub = fromBase64url(c.req.param('coinPub'), 'coinPub', 32);
    return c.json(coinRefundView(await ctx.store.refunds.coinRefund(coinPub)));
  });

  app.post('/v1/mint/refunds/refresh', async (c) => {
    const command = await readCommand(c, v.unknown(), 'refund refresh');
    const request = refundRefreshes.parse(command.input);
    return c.json(await refreshRefundedCoin(ctx, request, command.claim('refund-refresh')));
  });

  return app;
}
