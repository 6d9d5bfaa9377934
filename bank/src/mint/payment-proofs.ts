/**
 * Proof of payment with the payer code (protocol/src/coin/payment-statement.ts): shown the
 * coins of a payment and the payer code whose hash their deposit permissions carry, the mint
 * signs "coins C… were deposited by merchant M for offer H at time T". Any mismatch — a wrong
 * code, a coin never deposited, spent as change, or coins of two payments — is the same
 * `payment_not_proven`, so a wrong guess learns nothing about the coins.
 *
 * POST /v1/mint/payment-proofs needs no session: the code is the proof, and the payer may no
 * longer have an account. It writes nothing, so it takes no Idempotency-Key.
 */
import { amount } from '@farthing/protocol/amount';
import { depositPermissions } from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash } from '@farthing/protocol/coin/derivation';
import {
  type PaymentStatementWire,
  paymentProofRequestSchema,
  paymentStatements,
  signPaymentStatement,
} from '@farthing/protocol/coin/payment-statement';
import { FarthingError } from '@farthing/protocol/errors';
import { Hono } from 'hono';
import * as v from 'valibot';
import { readJson } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';

export const paymentProofRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/mint/payment-proofs',
    summary:
      "The mint's signed statement that these coins were deposited by a merchant for an offer, given the payment's payer code. Writes nothing, so not idempotency-keyed",
    auth: 'none',
    body: paymentProofRequestSchema,
    success: {
      status: 200,
      description: 'PaymentStatementWire (protocol/src/coin/payment-statement.ts)',
    },
    errors: ['invalid_encoding', 'payment_not_proven'],
  },
];

const notProven = () =>
  new FarthingError('payment_not_proven', 'these coins were not deposited under this payer code');

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

export async function provePayment(
  ctx: BankContext,
  request: { readonly coins: readonly Uint8Array[]; readonly payerCode: Uint8Array },
): Promise<PaymentStatementWire> {
  const codeHash = payerCodeHash(request.payerCode);
  let merchantId: string | undefined;
  let offerHash: Uint8Array | undefined;
  let currency: string | undefined;
  let total = 0;
  let depositedAt = 0;
  const seen = new Set<string>();
  for (const coin of request.coins) {
    const key = Buffer.from(coin).toString('hex');
    if (seen.has(key)) throw notProven();
    seen.add(key);
    const spent = await ctx.store.getSpentCoin(coin);
    if (spent === undefined || spent.kind !== 'deposit') throw notProven();
    const parsed = v.safeParse(depositPermissions.schema, JSON.parse(spent.proof));
    if (!parsed.success) throw notProven();
    const permission = parsed.output;
    if (
      !sameBytes(permission.payerCodeHash, codeHash) ||
      (merchantId !== undefined && permission.merchantId !== merchantId) ||
      (offerHash !== undefined && !sameBytes(permission.offerHash, offerHash))
    ) {
      throw notProven();
    }
    merchantId = permission.merchantId;
    offerHash = permission.offerHash;
    currency = permission.amount.currency;
    total += permission.amount.minor;
    depositedAt = Math.max(depositedAt, spent.spentAt);
  }
  const statement = await signPaymentStatement(
    {
      version: 1,
      merchantId: merchantId!,
      offerHash: offerHash!,
      payerCodeHash: codeHash,
      coins: request.coins,
      total: amount(currency!, total),
      depositedAt,
      issuedAt: ctx.now(),
    },
    ctx.keys.mintMaster,
  );
  return paymentStatements.signedToWire(statement);
}

export function paymentProofRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  app.post('/v1/mint/payment-proofs', async (c) => {
    const request = await readJson(c, paymentProofRequestSchema, 'payment proof request');
    return c.json(await provePayment(ctx, request));
  });
  return app;
}
