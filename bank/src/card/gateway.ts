/**
 * The payment gateway (SET Book 1 §3.4–3.6): authorization, sale, capture, authorization
 * reversal, capture reversal, credit and credit reversal, each a request signed by the
 * merchant with its certified offer key and answered with the transaction's state signed by
 * the gateway.
 *
 * Authorization checks, in order: the merchant's signature and that it names itself; the PI
 * envelope opens for this transaction and merchant with the gateway's key; PI names this
 * gateway (its key-exchange certificate's fingerprint), this merchant, this transaction and
 * this amount; the envelope's H(OI) is the one the merchant sent; the cardholder certificate
 * chains to this bank and carries the digest of PI's card; the dual signature covers H(PI)
 * and H(OI); then, in the same transaction as the hold, the card (issued here, not expired,
 * the certificate not revoked, within its limit) and that the payment was not authorized
 * before. The gateway never learns what was bought: it sees only H(OI).
 */
import { equalAmounts } from '@farthing/protocol/amount';
import { equalBytes } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { cardAccountDigest } from '@farthing/protocol/set/card-account';
import { cardholderCertificateVerifier } from '@farthing/protocol/set/certificates';
import {
  type SetMessage,
  type SetMessageType,
  setMessageSchema,
  setMessageToWire,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import {
  openPaymentEnvelope,
  paymentInformationDigest,
  verifyDualSignature,
} from '@farthing/protocol/set/purchase';
import { Hono } from 'hono';
import { requireMerchant } from '../http/auth.ts';
import { answeredOnce } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import type { CardOperation, CardTransactionRecord } from '../store/card-store.ts';
import type { AccountRecord, IdempotencyClaim } from '../store/store.ts';
import type { SetAuthority } from './set-authority.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

type GatewayResponseType =
  | 'authorization-response'
  | 'capture-response'
  | 'authorization-reversal-response'
  | 'capture-reversal-response'
  | 'credit-response'
  | 'credit-reversal-response';

/** The operations besides authorization: path, request type, answer type. */
const operations = [
  ['captures', 'capture-request', 'capture-response'],
  ['authorization-reversals', 'authorization-reversal-request', 'authorization-reversal-response'],
  ['capture-reversals', 'capture-reversal-request', 'capture-reversal-response'],
  ['credits', 'credit-request', 'credit-response'],
  ['credit-reversals', 'credit-reversal-request', 'credit-reversal-response'],
] as const;

const authorizationSchema = setMessageSchema('authorization-request');

/** What every SET request to the gateway can be refused for beyond a merchant call's own. */
const commonErrors = [
  'invalid_amount',
  'bad_signature',
  'merchant_mismatch',
  'currency_mismatch',
] as const;

export const gatewayRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/set/gateway',
    summary:
      "The payment gateway's signature and key-exchange certificate chains, and the key-exchange certificate's SHA-256 fingerprint that OI and PI name",
    auth: 'none',
    success: {
      status: 200,
      description:
        '{ gatewayId, signatureChain: [b64u DER, CA], keyExchangeChain: [b64u DER, CA], fingerprint: b64u }',
    },
  },
  {
    method: 'post',
    path: '/v1/set/authorizations',
    summary:
      'Payment authorization (capture: false) or sale (capture: true): holds the amount on the card, or pays the merchant at once',
    auth: 'merchant',
    idempotent: true,
    body: authorizationSchema,
    success: {
      status: 201,
      description:
        'authorization-response signed by the gateway: { transactionId, status: authorized | captured, authorized, captured, credited, respondedAt }',
    },
    errors: [
      ...commonErrors,
      'set_envelope_invalid',
      'set_gateway_mismatch',
      'set_payment_mismatch',
      'set_order_mismatch',
      'set_dual_signature_invalid',
      'set_cardholder_mismatch',
      'set_cardholder_revoked',
      'certificate_expired',
      'certificate_untrusted',
      'card_unknown',
      'card_expired',
      'card_over_limit',
      'set_transaction_replayed',
    ],
  },
  ...operations.map(
    ([path, request, response]): RouteDoc => ({
      method: 'post',
      path: `/v1/set/${path}`,
      summary: `${request} on one of the merchant's card transactions`,
      auth: 'merchant',
      idempotent: true,
      body: setMessageSchema(request),
      success: { status: 200, description: `${response} signed by the gateway` },
      errors: [
        ...commonErrors,
        'set_unknown_transaction',
        'set_capture_exceeds_authorization',
        'set_already_captured',
        'set_not_captured',
        'set_authorization_reversed',
        'set_credit_exceeds_capture',
        'set_credit_reversed',
        'set_payment_mismatch',
        'insufficient_funds',
      ],
    }),
  ),
];

/** Throws `bad_signature` unless one of the merchant's current certificates' keys signed it. */
async function verifyMerchantSignature(
  ctx: BankContext,
  account: AccountRecord,
  message: SetMessage<SetMessageType>,
  now: number,
): Promise<void> {
  const certificates = await ctx.store.listMerchantCertificates(account.id);
  for (const certificate of certificates) {
    // A revoked certificate signs nothing the gateway takes (ca/revocation-routes.ts).
    if (certificate.notAfter < now || certificate.revokedAt !== undefined) continue;
    try {
      verifySetMessage(message, certificate.offerKey, nodeEd25519Verify);
      return;
    } catch {
      // try the merchant's next key
    }
  }
  throw new FarthingError('bad_signature', `the ${message.type} is not signed by this merchant`, {
    details: { field: 'signature' },
  });
}

/** A card amount: in the bank's currency and more than nothing. */
function assertPayable(amount: { currency: string; minor: number }, currency: string): void {
  if (amount.currency !== currency) {
    throw new FarthingError('currency_mismatch', `this gateway settles in ${currency}`);
  }
  if (amount.minor <= 0) {
    throw new FarthingError('invalid_amount', 'a card amount must be more than zero', {
      details: { field: 'body.amount' },
    });
  }
}

function assertMerchant(merchantId: string, account: AccountRecord): void {
  if (merchantId !== account.name) {
    throw new FarthingError('merchant_mismatch', `this API key belongs to "${account.name}"`, {
      details: { field: 'body.merchantId' },
    });
  }
}

function answer(
  set: SetAuthority,
  type: GatewayResponseType,
  t: CardTransactionRecord,
  currency: string,
  now: number,
) {
  const money = (minor: number) => ({ currency, minor });
  return setMessageToWire(
    set.signNow(type, {
      transactionId: t.transactionId,
      status: t.status,
      authorized: money(t.authorized),
      captured: money(t.captured),
      credited: money(t.credited),
      respondedAt: now,
    }),
  );
}

export function gatewayRoutes(
  ctx: BankContext,
  authority: () => Promise<SetAuthority>,
): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store, config } = ctx;
  let verifyCardholder: ReturnType<typeof cardholderCertificateVerifier> | undefined;

  app.get('/v1/set/gateway', async (c) => {
    const set = await authority();
    return c.json({
      gatewayId: set.gatewayId,
      signatureChain: [b64(set.signatureCertificate), b64(set.ca.certificate)],
      keyExchangeChain: [b64(set.keyExchangeCertificate), b64(set.ca.certificate)],
      fingerprint: b64(set.fingerprint),
    });
  });

  app.post(
    '/v1/set/authorizations',
    requireMerchant(ctx),
    answeredOnce(
      store,
      { schema: authorizationSchema, what: 'authorization request', status: 201 },
      (message, claim, c) => authorize(message, c.get('account'), claim),
    ),
  );

  async function authorize(
    message: SetMessage<'authorization-request'>,
    account: AccountRecord,
    claim: IdempotencyClaim,
  ) {
    const now = ctx.now();
    const request = message.body;
    assertMerchant(request.merchantId, account);
    await verifyMerchantSignature(ctx, account, message, now);
    assertPayable(request.amount, config.currency);
    const set = await authority();
    const { pi, oiDigest } = await openPaymentEnvelope({
      envelope: request.piEnvelope,
      gateway: set.keyExchange,
      gatewayFingerprint: set.fingerprint,
      transactionId: request.transactionId,
      merchantId: request.merchantId,
    });
    if (!equalBytes(pi.gatewayFingerprint, set.fingerprint)) {
      throw new FarthingError(
        'set_gateway_mismatch',
        'the payment was made out to another gateway',
      );
    }
    if (
      pi.merchantId !== request.merchantId ||
      pi.transactionId !== request.transactionId ||
      !equalAmounts(pi.amount, request.amount)
    ) {
      throw new FarthingError(
        'set_payment_mismatch',
        'the cardholder authorized another merchant, order or amount',
        { details: { field: 'body.amount' } },
      );
    }
    if (!equalBytes(oiDigest, request.oiDigest)) {
      throw new FarthingError('set_order_mismatch', 'the payment was signed for another order');
    }
    verifyCardholder ??= cardholderCertificateVerifier({
      trustedRoots: [set.ca.certificate],
      ed25519Verify: nodeEd25519Verify,
    });
    const cardholder = verifyCardholder(
      request.cardholderCertificates,
      now,
      'body.cardholderCertificates',
    );
    if (!equalBytes(cardholder.accountDigest, cardAccountDigest(pi))) {
      throw new FarthingError(
        'set_cardholder_mismatch',
        'the cardholder certificate was issued for another card',
      );
    }
    const piDigest = paymentInformationDigest(pi);
    verifyDualSignature({
      dualSignature: request.dualSignature,
      piDigest,
      oiDigest,
      cardholderPublicKey: cardholder.publicKey,
      ed25519Verify: nodeEd25519Verify,
    });
    return store.cards.authorize(
      {
        merchantId: account.id,
        transactionId: request.transactionId,
        pan: pi.pan,
        expiry: pi.expiry,
        cardholderSerial: cardholder.serialNumber,
        amount: request.amount.minor,
        currency: request.amount.currency,
        oiDigest,
        piDigest,
        capture: request.capture,
        now,
      },
      (t) => answer(set, 'authorization-response', t, config.currency, now),
      claim,
    );
  }

  for (const [path, requestType, responseType] of operations) {
    const operate = async (
      message: SetMessage<typeof requestType>,
      account: AccountRecord,
      claim: IdempotencyClaim,
    ) => {
      const now = ctx.now();
      const body = message.body as SetMessage<'credit-request'>['body'] &
        SetMessage<'capture-request'>['body'];
      assertMerchant(body.merchantId, account);
      await verifyMerchantSignature(ctx, account, message, now);
      assertPayable(body.amount, config.currency);
      const amount = body.amount.minor;
      const operation: CardOperation =
        requestType === 'credit-request' || requestType === 'credit-reversal-request'
          ? {
              type: requestType === 'credit-request' ? 'credit' : 'credit-reversal',
              creditId: body.creditId,
              amount,
            }
          : {
              type:
                requestType === 'capture-request'
                  ? 'capture'
                  : requestType === 'authorization-reversal-request'
                    ? 'authorization-reversal'
                    : 'capture-reversal',
              amount,
            };
      const set = await authority();
      return store.cards.operate(
        { merchantId: account.id, transactionId: body.transactionId, operation, now },
        (t) => answer(set, responseType, t, config.currency, now),
        claim,
      );
    };
    app.post(
      `/v1/set/${path}`,
      requireMerchant(ctx),
      answeredOnce(
        store,
        { schema: setMessageSchema(requestType), what: requestType, status: 200 },
        (message, claim, c) => operate(message, c.get('account'), claim),
      ),
    );
  }
  return app;
}
