/**
 * Giving the PayWord credit of a lost wallet back early (issue 20, recovery): a restored wallet
 * cannot spend its old certificate (the user key was a non-extractable key of the lost profile),
 * so the account ends it now instead of at its expiry.
 *
 * Vendors verify words offline under the signed certificate, and the broker learns of a chain
 * only when a vendor first redeems it, so it cannot know what vendors may still claim; releasing
 * the hold at once would bounce honest redemptions. Ending keeps the guarantee vendors already
 * have at a certificate's natural end: the broker's recorded expiry moves to now, vendors redeem
 * what they took for the usual grace (`paywordRedeemGraceMs`) from then, and the housekeeping
 * that releases expired holds (server.ts) returns the rest to the account after that grace
 * rather than after expiry plus grace. No money moves here.
 *
 * Ending is naturally idempotent (the expiry only moves earlier, never later: ending again
 * changes nothing), so it takes no Idempotency-Key.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { Hono } from 'hono';
import { requireCustomer } from '../http/auth.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { userCertificateStatus } from './certificates.ts';

const serialPattern = /^[1-9][0-9]{0,15}$/;

export const earlyReleaseRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/broker/certificates',
    summary:
      "The customer's PayWord certificates, newest first, each with its credit left, expiry and release",
    auth: 'customer',
    success: { status: 200, description: '{ certificates: [the certificate and its state] }' },
  },
  {
    method: 'post',
    path: '/v1/broker/certificates/:serial/end',
    summary:
      "End one of the customer's certificates now (its wallet is lost): vendors redeem for the usual grace from now, then the rest returns to the account. Naturally idempotent: ending again changes nothing",
    auth: 'customer',
    success: {
      status: 200,
      description: 'The certificate and its state, redeemable until now + grace',
    },
    errors: ['not_found'],
  },
];

export function earlyReleaseRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store, config } = ctx;
  const status = (record: Parameters<typeof userCertificateStatus>[0]) =>
    userCertificateStatus(record, config.paywordRedeemGraceMs);

  app.get('/v1/broker/certificates', requireCustomer(ctx, 'payword'), async (c) => {
    const records = await store.listPaywordCertificates(c.get('account').id);
    return c.json({ certificates: records.map(status) });
  });

  app.post('/v1/broker/certificates/:serial/end', requireCustomer(ctx, 'payword'), async (c) => {
    const text = c.req.param('serial');
    const serial = serialPattern.test(text) ? Number(text) : Number.NaN;
    const record = Number.isSafeInteger(serial)
      ? await store.endPaywordCertificate({
          accountId: c.get('account').id,
          serial,
          now: ctx.now(),
        })
      : undefined;
    // Someone else's certificate is answered like a missing one: serials are not for probing.
    if (record === undefined) {
      throw new FarthingError('not_found', 'you hold no PayWord certificate with this serial', {
        details: { field: 'serial' },
      });
    }
    return c.json(status(record));
  });

  return app;
}
