/**
 * The cardholder CA (SET Book 1 §3.3, cardholder registration and certificate inquiry): a
 * logged-in customer sends its signing key and, sealed to the bank, one of its cards; the CA
 * checks the card with the issuer and certifies the key for that card. The certificate holds
 * only the digest of (PAN, expiry, card secret); the PAN exists in clear only inside the
 * envelope and in the issuer's own table.
 *
 * This CA decides at once, so a registration is never left pending; the certificate query
 * answers for any registration (SET's CertInq), e.g. for a wallet that lost the answer or to
 * learn that the certificate was revoked.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { cardAccountDigest, cardExpiresAt } from '@farthing/protocol/set/card-account';
import { cardholderCertificateTemplate } from '@farthing/protocol/set/certificates';
import {
  setMessageSchema,
  setMessageToWire,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import { openCardEnvelope } from '@farthing/protocol/set/registration';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { signCertificate } from '@farthing/protocol/x509/certificate-builder';
import { Hono } from 'hono';
import * as v from 'valibot';
import { randomSerialNumber } from '../ca/certificate-authority.ts';
import { requireAdmin, requireCustomer } from '../http/auth.ts';
import { answeredOnce, readJson } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import type { CardholderRegistrationRecord } from '../store/card-store.ts';
import type { AccountRecord, IdempotencyClaim } from '../store/store.ts';
import type { SetAuthority } from './set-authority.ts';

/** How far a registration's `requestedAt` may be from the bank's clock. */
export const registrationFreshness = 10 * 60_000;
/** Cardholder certificates live at most this long, and never past the card. */
export const cardholderCertificateValidity = 365 * 86_400_000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const registrationSchema = setMessageSchema('cardholder-registration');
const querySchema = setMessageSchema('certificate-query');

export const cardholderCaRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/set/cardholder-registrations',
    summary:
      "Cardholder registration: certify the key that signed this message for one of the caller's cards, sent sealed to the bank's key-exchange certificate",
    auth: 'customer',
    idempotent: true,
    body: registrationSchema,
    success: {
      status: 201,
      description:
        'cardholder-registration-response signed by the gateway key: { registrationId, status: issued, certificates: [cardholder, CA] }',
    },
    errors: [
      'bad_signature',
      'registration_stale',
      'set_envelope_invalid',
      'card_invalid',
      'card_unknown',
      'card_expired',
      'conflict',
    ],
  },
  {
    method: 'post',
    path: '/v1/set/certificate-queries',
    summary:
      'Certificate query: the state and certificate of a registration, asked by its key (changes nothing, so idempotent without a key)',
    auth: 'none',
    body: querySchema,
    success: {
      status: 200,
      description:
        'certificate-query-response: { registrationId, status: issued | revoked, certificates }',
    },
    errors: ['bad_signature', 'set_registration_unknown'],
  },
  {
    method: 'post',
    path: '/v1/admin/set/cardholder-certificates/:serial/revocation',
    summary:
      'Operator: revoke a cardholder certificate (the gateway refuses it from then on); idempotent by nature, revoking twice keeps the first time',
    auth: 'admin',
    success: { status: 200, description: '{ serial, revoked: true }' },
    errors: ['not_found'],
  },
];

function registrationAnswer(
  authority: SetAuthority,
  type: 'cardholder-registration-response' | 'certificate-query-response',
  record: CardholderRegistrationRecord,
  now: number,
) {
  return setMessageToWire(
    authority.signNow(type, {
      registrationId: record.id,
      status: record.revokedAt === undefined ? 'issued' : 'revoked',
      certificates: [record.certificate, authority.ca.certificate],
      respondedAt: now,
    }),
  );
}

export function cardholderCaRoutes(
  ctx: BankContext,
  authority: () => Promise<SetAuthority>,
): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store } = ctx;

  app.post(
    '/v1/set/cardholder-registrations',
    requireCustomer(ctx, 'account'),
    answeredOnce(
      store,
      { schema: registrationSchema, what: 'cardholder registration', status: 201 },
      (message, claim, c) => register(message, c.get('account'), claim),
    ),
  );

  async function register(
    message: v.InferOutput<typeof registrationSchema>,
    account: AccountRecord,
    claim: IdempotencyClaim,
  ) {
    const { body } = message;
    // Proof of possession: the key being certified signed the request.
    verifySetMessage(message, body.cardholderPublicKey, nodeEd25519Verify);
    const now = ctx.now();
    if (Math.abs(body.requestedAt - now) > registrationFreshness) {
      throw new FarthingError('registration_stale', 'the registration is too old or dated ahead');
    }
    const set = await authority();
    const card = await openCardEnvelope({
      envelope: body.cardEnvelope,
      ca: set.keyExchange,
      caFingerprint: set.fingerprint,
      registrationId: body.registrationId,
      cardholderPublicKey: body.cardholderPublicKey,
    });
    const record = await store.cards.findCardByPan(card.pan);
    // Someone else's card reads as unknown: the answer must not confirm that a number exists.
    if (record === undefined || record.accountId !== account.id) {
      throw new FarthingError('card_unknown', 'no such card on your account');
    }
    if (record.expiry !== card.expiry) {
      throw new FarthingError('card_invalid', 'the expiry does not match the card');
    }
    const cardEnd = cardExpiresAt(card.expiry);
    if (cardEnd <= now) throw new FarthingError('card_expired', 'the card has expired');
    const serialNumber = randomSerialNumber();
    const notBefore = Math.floor(now / 1000) * 1000;
    const certificate = await signCertificate(
      cardholderCertificateTemplate({
        serialNumber,
        notBefore,
        notAfter: Math.min(cardEnd - 1000, notBefore + cardholderCertificateValidity),
        publicKey: body.cardholderPublicKey,
        accountDigest: cardAccountDigest(card),
      }),
      set.ca.issuer,
    );
    card.cardSecret.fill(0);
    return store.cards.insertRegistration(
      {
        id: body.registrationId,
        accountId: account.id,
        cardId: record.id,
        publicKey: body.cardholderPublicKey,
        serial: hex(parseCertificate(certificate).serialNumber),
        certificate,
        notAfter: Math.min(cardEnd - 1000, notBefore + cardholderCertificateValidity),
        createdAt: now,
      },
      (registration) =>
        registrationAnswer(set, 'cardholder-registration-response', registration, now),
      claim,
    );
  }

  app.post('/v1/set/certificate-queries', async (c) => {
    const message = await readJson(c, querySchema, 'certificate query');
    const registration = await store.cards.getRegistration(message.body.registrationId);
    if (registration === undefined) {
      throw new FarthingError('set_registration_unknown', 'no such cardholder registration');
    }
    verifySetMessage(message, registration.publicKey, nodeEd25519Verify);
    const set = await authority();
    return c.json(
      registrationAnswer(set, 'certificate-query-response', registration, ctx.now()),
      200,
    );
  });

  app.post(
    '/v1/admin/set/cardholder-certificates/:serial/revocation',
    requireAdmin(ctx),
    async (c) => {
      const serial = c.req.param('serial');
      if (!v.is(v.pipe(v.string(), v.regex(/^[0-9a-f]{1,40}$/)), serial)) {
        throw new FarthingError('not_found', 'no such certificate');
      }
      if (!(await store.cards.revokeCardholderCertificate(serial, ctx.now()))) {
        throw new FarthingError('not_found', 'no such certificate');
      }
      return c.json({ serial, revoked: true });
    },
  );
  return app;
}
