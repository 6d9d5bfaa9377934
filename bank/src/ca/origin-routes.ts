/**
 * The CA's routes for proving merchant origins and revoking merchant certificates:
 *
 *   POST /v1/merchants/me/origin-challenges                        a challenge for one origin
 *   POST /v1/admin/merchant-certificates/:serial/revocation        the operator revokes
 *   GET  /v1/ca/merchant-revocations                               the signed revocation list
 *
 * How proofs are judged: origin-proof.ts. Wallets fetch the list at most every five minutes
 * and before paying a merchant of this bank when their copy is older (extension
 * wallet/pay/merchant-revocations.ts): a revoked certificate is refused within five minutes.
 */
import { FarthingError } from '@farthing/protocol/errors';
import {
  merchantRevocationsToWire,
  signMerchantRevocations,
} from '@farthing/protocol/x509/merchant-revocations';
import { originChallengeRequestSchema } from '@farthing/protocol/x509/origin-challenge';
import { Hono } from 'hono';
import * as v from 'valibot';
import { requireAdmin, requireMerchant } from '../http/auth.ts';
import { answeredOnce } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { challengeView, newOriginChallenge, originNeedsProof } from './origin-proof.ts';

const serialSchema = v.pipe(v.string(), v.regex(/^[0-9a-f]{2,40}$/));

export const originRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/merchants/me/origin-challenges',
    summary:
      'A challenge proving control of an origin (RFC 8555 §8.3 HTTP-01 in shape): serve keyAuthorization as text at <origin><path>, then register; the registration fetches it. Valid for an hour',
    auth: 'merchant',
    idempotent: true,
    body: originChallengeRequestSchema,
    success: {
      status: 201,
      description:
        '{ origin, merchantId, token, keyAuthorization, path: /.well-known/farthing-challenge/<token>, status: pending, expiresAt }',
    },
    errors: ['origin_loopback_refused', 'origin_taken'],
  },
  {
    method: 'post',
    path: '/v1/admin/merchant-certificates/:serial/revocation',
    summary:
      'Operator: revoke a merchant certificate; wallets refuse it within 5 minutes (they fetch GET /v1/ca/merchant-revocations at least that often before paying), and its origins are free for another merchant. Idempotent by nature: revoking twice keeps the first time',
    auth: 'admin',
    success: { status: 200, description: '{ serial, revokedAt }' },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/v1/ca/merchant-revocations',
    summary:
      "Serials of revoked, unexpired merchant certificates, dated and signed by the bank's CA key (Ed25519 over the canonical bytes tagged farthing/merchant-revocations)",
    auth: 'none',
    success: {
      status: 200,
      description: '{ version: 1, bankId, issuedAt, serials: [hex], signature: b64u }',
    },
  },
];

export function originRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store, ca, config } = ctx;

  app.post(
    '/v1/merchants/me/origin-challenges',
    requireMerchant(ctx),
    answeredOnce(
      store,
      { schema: originChallengeRequestSchema, what: 'origin challenge', status: 201 },
      async ({ origin }, claim, c) => {
        const account = c.get('account');
        const now = ctx.now();
        // Refused early, so a merchant does not serve a challenge that could never be used.
        if (originNeedsProof(origin, config.devMode, 'origin')) {
          await store.assertOriginsFree([origin], account.id, now);
        }
        return store.createOriginChallenge(
          newOriginChallenge(account.id, origin, now),
          (challenge) => challengeView(challenge, account.name, config.bankId),
          claim,
        );
      },
    ),
  );

  app.post('/v1/admin/merchant-certificates/:serial/revocation', requireAdmin(ctx), async (c) => {
    const serial = c.req.param('serial');
    const revoked = v.is(serialSchema, serial)
      ? await store.revokeMerchantCertificate(serial, ctx.now())
      : undefined;
    if (revoked?.revokedAt === undefined) {
      throw new FarthingError('not_found', 'no merchant certificate has this serial number', {
        details: { field: 'serial' },
      });
    }
    ctx.log.info({ serial }, 'merchant certificate revoked');
    return c.json({ serial, revokedAt: revoked.revokedAt });
  });

  app.get('/v1/ca/merchant-revocations', async (c) => {
    const now = ctx.now();
    const list = await signMerchantRevocations(
      {
        bankId: config.bankId,
        issuedAt: now,
        serials: await store.listRevokedMerchantCertificates(now),
      },
      { sign: (data) => ca.issuer.signer.sign(data) },
    );
    return c.json(merchantRevocationsToWire(list), 200, { 'cache-control': 'no-store' });
  });

  return app;
}
