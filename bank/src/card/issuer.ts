/**
 * The card issuer: each customer account may hold cards (a Luhn-valid PAN, an expiry, a
 * credit limit in the bank's currency). The operator issues them; a customer lists its own.
 *
 * Numbers come from the issuer identification number below (ISO/IEC 7812-1: the first six
 * digits name the issuer; 400000 is in the range card networks keep for testing, right for a
 * bank that is not on a real network), then nine random digits and the Luhn check digit.
 */
import { randomInt } from 'node:crypto';
import { formatAmount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import { amountSchema, identifierSchema } from '@farthing/protocol/schema';
import { luhnCheckDigit } from '@farthing/protocol/set/card-account';
import { Hono } from 'hono';
import * as v from 'valibot';
import { requireAdmin, requireCustomer } from '../http/auth.ts';
import { readCommand } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import type { CardRecord } from '../store/card-store.ts';

export const issuerIdentificationNumber = '400000';
/** Cards run three years from the month they are issued. */
export const cardValidityYears = 3;

export function newCardNumber(): string {
  let digits = issuerIdentificationNumber;
  while (digits.length < 15) digits += String(randomInt(10));
  return digits + luhnCheckDigit(digits);
}

export function cardExpiryFrom(now: number, years = cardValidityYears): string {
  const date = new Date(now);
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  return `${date.getUTCFullYear() + years}-${month}`;
}

export const issueCardSchema = v.strictObject({
  /** The customer account's name. */
  account: identifierSchema,
  creditLimit: amountSchema,
});

export function cardView(card: CardRecord) {
  return {
    cardId: card.id,
    pan: card.pan,
    expiry: card.expiry,
    creditLimit: formatAmount({ currency: card.currency, minor: card.creditLimit }),
    issuedAt: card.createdAt,
  };
}

export const issuerRouteDocs: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/admin/cards',
    summary: 'Issuer: give a customer account a new card with this credit limit',
    auth: 'admin',
    idempotent: true,
    body: issueCardSchema,
    success: {
      status: 201,
      description: '{ cardId, pan, expiry: YYYY-MM, creditLimit, issuedAt }',
    },
    errors: ['not_found', 'currency_mismatch'],
  },
  {
    method: 'get',
    path: '/v1/accounts/me/cards',
    summary: "The customer's own cards",
    auth: 'customer',
    success: { status: 200, description: '{ cards: [as POST /v1/admin/cards answers] }' },
  },
];

/** Issues a card to `accountId` (the demo seed calls this too). */
export async function issueCard(
  ctx: BankContext,
  params: { accountId: number; creditLimit: number; now: number },
  claim?: Parameters<BankContext['store']['cards']['issueCard']>[2],
) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.store.cards.issueCard(
        {
          accountId: params.accountId,
          pan: newCardNumber(),
          expiry: cardExpiryFrom(params.now),
          currency: ctx.config.currency,
          creditLimit: params.creditLimit,
          createdAt: params.now,
        },
        cardView,
        claim,
      );
    } catch (error) {
      // Nine random digits: a number already issued is rare; draw again.
      const unique = (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
      if (!unique || attempt >= 3) throw error;
    }
  }
}

export function issuerRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  app.post('/v1/admin/cards', requireAdmin(ctx), async (c) => {
    const command = await readCommand(c, issueCardSchema, 'card issue');
    const { account: name, creditLimit } = command.input;
    const account = await ctx.store.getAccountByName(name);
    if (account === undefined || account.kind !== 'customer') {
      throw new FarthingError('not_found', `no customer account "${name}"`);
    }
    if (creditLimit.currency !== ctx.config.currency) {
      throw new FarthingError(
        'currency_mismatch',
        `this bank issues cards in ${ctx.config.currency}`,
      );
    }
    const view = await issueCard(
      ctx,
      { accountId: account.id, creditLimit: creditLimit.minor, now: ctx.now() },
      command.claim('admin'),
    );
    return c.json(view, 201);
  });

  app.get('/v1/accounts/me/cards', requireCustomer(ctx, 'account'), async (c) => {
    const cards = await ctx.store.cards.listCards(c.get('account').id);
    return c.json({ cards: cards.map(cardView) });
  });
  return app;
}
