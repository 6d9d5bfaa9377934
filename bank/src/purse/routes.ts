/**
 * The purse issuer over HTTP. Handlers read and check the request; the flows are in issuer.ts.
 *
 *   POST /v1/purse/cards                 a customer has the bank certify its card's key
 *   GET  /v1/purse/cards/:cardId         the card's status and shadow balance (its holder)
 *   POST /v1/purse/loads                 a card-signed load request → the load authorization
 *   POST /v1/purse/cards/:cardId/block   the holder reports the card lost
 *   POST /v1/purse/clearings             a merchant uploads a batch of payment proofs
 *   POST /v1/admin/purse/close-blocked   the operator returns blocked cards' money after the window
 */
import { ed25519PublicKeyLength } from '@farthing/protocol/ed25519';
import { FarthingError } from '@farthing/protocol/errors';
import { cardIdPattern } from '@farthing/protocol/purse/card-certificate';
import { maxPurseClearingBatch } from '@farthing/protocol/purse/proof';
import { bytesSchema } from '@farthing/protocol/schema';
import { Hono } from 'hono';
import * as v from 'valibot';
import { requireAdmin, requireCustomer, requireMerchant } from '../http/auth.ts';
import { answeredOnce, readCommand } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import { cardView, clearPurseProofs, issuePurseCard, loadPurse } from './issuer.ts';

export const issueCardSchema = v.strictObject({
  cardId: v.pipe(
    v.string(),
    v.length(16),
    v.regex(cardIdPattern, 'expected 16 lower-case hex digits'),
  ),
  /** The card's Ed25519 key, as its SELECT answer shows it. */
  publicKey: bytesSchema(ed25519PublicKeyLength),
});

export const loadSchema = v.strictObject({
  /** The card's signed load request (`purseLoadRequests.encode`), base64url. */
  loadRequest: v.pipe(v.string(), v.maxLength(2048), bytesSchema()),
});

export const clearingSchema = v.strictObject({
  /** Signed proofs (`purseProofs.encode`), base64url each. */
  proofs: v.pipe(
    v.array(v.pipe(v.string(), v.maxLength(2048), bytesSchema())),
    v.minLength(1),
    v.maxLength(maxPurseClearingBatch),
  ),
});

const emptySchema = v.strictObject({});

export const purseRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/purse/cards',
    summary:
      "Issue a purse card to the calling customer: certify the card's key under the bank's CA and open its shadow account. The answer is what the card's PERSONALISE command takes, besides the PIN",
    auth: 'customer',
    idempotent: true,
    body: issueCardSchema,
    success: {
      status: 201,
      description:
        '{ cardId, status, shadowBalance, certificate: b64u DER, issuerRoot: b64u DER of the CA, issuerLoadKey: b64u, maximum }',
    },
    errors: ['invalid_encoding', 'conflict', 'invalid_argument'],
  },
  {
    method: 'get',
    path: '/v1/purse/cards/:cardId',
    summary: "The holder's card: status, shadow balance (loaded, not yet cleared), refund",
    auth: 'customer',
    success: {
      status: 200,
      description: '{ cardId, status, shadowBalance, blockedAt, refunded, certificate }',
    },
    errors: ['purse_card_unknown'],
  },
  {
    method: 'post',
    path: '/v1/purse/loads',
    summary:
      "Load a card: the card's signed load request (made after its PIN verified) debits the account, credits the card's shadow account and returns the issuer-signed load authorization for the card's LOAD command. The same card and load counter again returns the same authorization",
    auth: 'customer',
    idempotent: true,
    body: loadSchema,
    success: { status: 201, description: '{ cardId, loadCounter, amount, authorization: b64u }' },
    errors: [
      'invalid_encoding',
      'bad_signature',
      'purse_card_unknown',
      'purse_card_blocked',
      'purse_over_maximum',
      'currency_mismatch',
      'insufficient_funds',
      'conflict',
    ],
  },
  {
    method: 'post',
    path: '/v1/purse/cards/:cardId/block',
    summary:
      'Report the card lost: merchants may clear its proofs for the refund window (FARTHING_PURSE_REFUND_WINDOW_S), then the rest of its shadow balance returns to the account',
    auth: 'customer',
    idempotent: true,
    body: emptySchema,
    success: { status: 200, description: 'The card as GET answers it' },
    errors: ['invalid_encoding', 'purse_card_unknown'],
  },
  {
    method: 'post',
    path: '/v1/purse/clearings',
    summary:
      "Clear a batch of payment proofs: each is checked (card certificate, the card's signature, made for this merchant) and credited once per card id + SNo and per merchant + TNo, less the purse fee setting",
    auth: 'merchant',
    idempotent: true,
    body: clearingSchema,
    success: {
      status: 200,
      description:
        '{ items: [{ status: "cleared", cardId, sno, tno, amount, fee } | { status: "rejected", index, code, detail }], cleared, rejected }',
    },
    errors: ['invalid_encoding'],
  },
  {
    method: 'post',
    path: '/v1/admin/purse/close-blocked',
    summary:
      "Operator: close cards blocked longer than the refund window, returning each shadow balance to its holder's account. Idempotent by nature: a closed card is not closed again, so no Idempotency-Key",
    auth: 'admin',
    success: { status: 200, description: '{ closed: number }' },
  },
];

export function purseRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store } = ctx;

  app.post(
    '/v1/purse/cards',
    requireCustomer(ctx, 'account'),
    answeredOnce(
      store,
      { schema: issueCardSchema, what: 'card issuance', status: 201 },
      (card, claim, c) => issuePurseCard(ctx, c.get('account'), card, claim),
    ),
  );

  app.get('/v1/purse/cards/:cardId', requireCustomer(ctx, 'account'), async (c) => {
    const card = await store.getPurseCard(c.req.param('cardId'));
    if (card === undefined || card.accountId !== c.get('account').id) {
      throw new FarthingError('purse_card_unknown', 'no such card on this account');
    }
    return c.json(cardView(card, ctx));
  });

  app.post(
    '/v1/purse/loads',
    requireCustomer(ctx, 'withdraw'),
    answeredOnce(store, { schema: loadSchema, what: 'load', status: 201 }, (load, claim, c) =>
      loadPurse(ctx, c.get('account'), load.loadRequest, claim),
    ),
  );

  app.post('/v1/purse/cards/:cardId/block', requireCustomer(ctx, 'account'), async (c) => {
    const command = await readCommand(c, emptySchema, 'block');
    const account = c.get('account');
    const view = await store.blockPurseCard(
      { cardId: c.req.param('cardId'), accountId: account.id, now: ctx.now() },
      (card) => cardView(card, ctx),
      command.claim(String(account.id)),
    );
    return c.json(view);
  });

  app.post(
    '/v1/purse/clearings',
    requireMerchant(ctx),
    answeredOnce(
      store,
      { schema: clearingSchema, what: 'clearing', status: 200 },
      (batch, claim, c) => clearPurseProofs(ctx, c.get('account'), batch.proofs, claim),
    ),
  );

  app.post('/v1/admin/purse/close-blocked', requireAdmin(ctx), async (c) => {
    const now = ctx.now();
    const closed = await store.closeBlockedPurseCards({
      blockedBefore: now - ctx.config.purseRefundWindowMs,
      now,
    });
    return c.json({ closed });
  });

  return app;
}
