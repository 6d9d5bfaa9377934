/**
 * The PayWord broker's HTTP API: its key, user certificates for logged-in customers, and
 * vendor redemption in batches. Handlers only read and check the request; the flows live in
 * `certificates.ts` and `redemptions.ts`.
 */
import { ed25519PublicKeyLength } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { maxPaywordChainLength, paywordWordLength } from '@farthing/protocol/payword/chain';
import { amountSchema, bytesSchema } from '@farthing/protocol/schema';
import { Hono } from 'hono';
import * as v from 'valibot';
import { requireCustomer, requireMerchant } from '../http/auth.ts';
import { answeredOnce } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { type Broker, createBroker } from './broker.ts';
import {
  issueUserCertificate,
  maxValiditySeconds,
  minValiditySeconds,
  userCertificateStatus,
} from './certificates.ts';
import { maxRedemptionBatch, redeemPaywords } from './redemptions.ts';

export const issueCertificateSchema = v.strictObject({
  /** base64url of the Ed25519 key that will sign the user's commitments. */
  userPublicKey: bytesSchema(ed25519PublicKeyLength),
  /** `EUR 5.00`: held from the balance until redeemed or released. */
  creditLimit: amountSchema,
  validForSeconds: v.optional(
    v.pipe(
      v.number(),
      v.safeInteger(),
      v.minValue(minValiditySeconds),
      v.maxValue(maxValiditySeconds),
    ),
  ),
});

export const redemptionItemSchema = v.strictObject({
  /** The signed commitment as the vendor received it (wire JSON), checked item by item. */
  // Its members are checked by the commitment's own schema (bounded, protocol/), item by item.
  commitment: v.pipe(
    v.record(v.pipe(v.string(), v.maxLength(32)), v.unknown()),
    v.maxEntries(16),
    v.description('A signed PayWord commitment (wire JSON, version 1)'),
  ),
  index: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(maxPaywordChainLength)),
  word: bytesSchema(paywordWordLength),
});

export const redeemSchema = v.strictObject({
  redemptions: v.pipe(
    v.array(redemptionItemSchema),
    v.minLength(1),
    v.maxLength(maxRedemptionBatch),
  ),
});

const serialPattern = /^[1-9][0-9]{0,15}$/;

export const brokerRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/broker/key',
    summary: "The broker's id and Ed25519 public key (base64url), to verify user certificates",
    auth: 'none',
    success: { status: 200, description: '{ brokerId, algorithm, publicKey }' },
  },
  {
    method: 'post',
    path: '/v1/broker/certificates',
    summary:
      'Issue a PayWord user certificate; the credit limit is held from the balance until vendors redeem it or it is released after expiry',
    auth: 'customer',
    idempotent: true,
    body: issueCertificateSchema,
    success: { status: 201, description: 'The signed certificate (wire JSON)' },
    errors: ['invalid_amount', 'currency_mismatch', 'insufficient_funds'],
  },
  {
    method: 'get',
    path: '/v1/broker/certificates/:serial',
    summary: "One of the customer's certificates: credit left, redeemed so far, expiry, release",
    auth: 'customer',
    success: { status: 200, description: 'The certificate and its state' },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/v1/broker/redemptions',
    summary:
      'Vendor: redeem up to 256 (commitment, index, word) at once; a later, longer redemption of a commitment pays only the difference. Each item is redeemed or rejected (with a problem object) on its own',
    auth: 'merchant',
    idempotent: true,
    body: redeemSchema,
    success: {
      status: 200,
      description:
        '{ redemptions: [{ commitmentId, status: "redeemed", paid, index, totalRedeemed } | { commitmentId, status: "rejected", problem }], paid }',
    },
  },
];

export function brokerRoutes(ctx: BankContext, broker: Broker = createBroker(ctx)): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store, config } = ctx;
  const key = {
    brokerId: config.bankId,
    algorithm: 'Ed25519',
    publicKey: toBase64url(broker.publicKey),
  };

  app.get('/v1/broker/key', (c) => c.json(key, 200, { 'cache-control': 'public, max-age=3600' }));

  app.post(
    '/v1/broker/certificates',
    requireCustomer(ctx, 'payword'),
    answeredOnce(
      store,
      { schema: issueCertificateSchema, what: 'PayWord certificate request', status: 201 },
      (input, claim, c) =>
        issueUserCertificate(broker, { account: c.get('account'), ...input, idempotency: claim }),
    ),
  );

  app.get('/v1/broker/certificates/:serial', requireCustomer(ctx, 'payword'), async (c) => {
    const text = c.req.param('serial');
    const serial = serialPattern.test(text) ? Number(text) : Number.NaN;
    const record = Number.isSafeInteger(serial)
      ? await store.getPaywordCertificate(serial)
      : undefined;
    // Someone else's certificate is answered like a missing one: serials are not for probing.
    if (record === undefined || record.accountId !== c.get('account').id) {
      throw new FarthingError('not_found', 'you hold no PayWord certificate with this serial', {
        details: { field: 'serial' },
      });
    }
    return c.json(userCertificateStatus(record, config.paywordRedeemGraceMs));
  });

  app.post(
    '/v1/broker/redemptions',
    requireMerchant(ctx),
    answeredOnce(
      store,
      { schema: redeemSchema, what: 'PayWord redemption batch', status: 200 },
      ({ redemptions }, claim, c) =>
        redeemPaywords(broker, { vendor: c.get('account'), redemptions, idempotency: claim }),
    ),
  );

  return app;
}
