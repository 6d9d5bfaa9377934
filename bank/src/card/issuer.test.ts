import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPan } from '@farthing/protocol/set/card-account';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  expectProblem,
  expectStatus,
  openCustomer,
  openTestBank,
  startTime,
  type TestBank,
} from '../bank.fixture.ts';
import { demoCard, demoCustomer, seedDemo } from '../seed.ts';
import { cardExpiryFrom, issuerIdentificationNumber, newCardNumber } from './issuer.ts';

let bank: TestBank;
beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
});
afterAll(async () => {
  await bank.close();
});

describe('card issuer', () => {
  it('numbers cards in its range with a valid Luhn digit', () => {
    for (let i = 0; i < 100; i++) {
      const pan = newCardNumber();
      expect(pan).toMatch(new RegExp(`^${issuerIdentificationNumber}\\d{10}$`));
      expect(isPan(pan)).toBe(true);
    }
    expect(cardExpiryFrom(Date.UTC(2026, 10, 30))).toBe('2029-11');
  });

  it('issues a card to a customer, who sees it among its cards', async () => {
    const customer = await openCustomer(bank, 'erin', 0);
    const issued = await expectStatus<{ pan: string; creditLimit: string; expiry: string }>(
      await bank.request('POST', '/v1/admin/cards', {
        token: adminToken,
        body: { account: 'erin', creditLimit: 'EUR 250.00' },
      }),
      201,
    );
    expect(issued).toMatchObject({ creditLimit: 'EUR 250.00', expiry: cardExpiryFrom(startTime) });
    const listed = await expectStatus<{ cards: unknown[] }>(
      await bank.request('GET', '/v1/accounts/me/cards', { token: customer.token }),
      200,
    );
    expect(listed.cards).toEqual([expect.objectContaining({ pan: issued.pan })]);
  });

  it('refuses a card for an account that is not a customer, or in another currency', async () => {
    const nobody = await expectProblem(
      await bank.request('POST', '/v1/admin/cards', {
        token: adminToken,
        body: { account: 'nobody', creditLimit: 'EUR 1.00' },
      }),
      404,
    );
    expect(nobody.code).toBe('not_found');
    await openCustomer(bank, 'frank', 0);
    const dollars = await expectProblem(
      await bank.request('POST', '/v1/admin/cards', {
        token: adminToken,
        body: { account: 'frank', creditLimit: 'USD 1.00' },
      }),
      400,
    );
    expect(dollars.code).toBe('currency_mismatch');
  });

  it('gives the demo customer the demo card and writes it down for npm start', async () => {
    await seedDemo(bank.ctx);
    const customer = await bank.store.getAccountByName(demoCustomer.name);
    const cards = await bank.store.cards.listCards(customer!.id);
    expect(cards).toEqual([
      expect.objectContaining({ pan: demoCard.pan, creditLimit: demoCard.creditLimit }),
    ]);
    const printed = readFileSync(join(bank.ctx.config.dataDir, 'demo-card.txt'), 'utf8');
    expect(printed).toBe(`4000 0000 0000 0002, expires ${cards[0]!.expiry}, limit EUR 500.00\n`);
  });
});
