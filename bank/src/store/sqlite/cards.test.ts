import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestBank, startTime, type TestBank } from '../../bank.fixture.ts';
import { cardSystemAccounts } from '../card-store.ts';

let bank: TestBank;
let merchantId: number;
let cardId: number;

const authorization = (transactionId: string, amount: number, capture = false) => ({
  merchantId,
  transactionId,
  pan: '4000000000000002',
  expiry: '2028-12',
  cardholderSerial: 'aa01',
  amount,
  currency: 'EUR',
  oiDigest: new Uint8Array(32).fill(1),
  piDigest: crypto.getRandomValues(new Uint8Array(32)),
  capture,
  now: startTime,
});

beforeEach(async () => {
  bank = await openTestBank({ coinValues: [1] });
  const account = (kind: 'customer' | 'merchant', name: string) =>
    bank.store.createAccount(
      { kind, name, displayName: name, currency: 'EUR', now: startTime },
      (a) => a,
    );
  const customer = await account('customer', 'holder');
  merchantId = (await account('merchant', 'seller')).id;
  cardId = (
    await bank.store.cards.issueCard(
      {
        accountId: customer.id,
        pan: '4000000000000002',
        expiry: '2028-12',
        currency: 'EUR',
        creditLimit: 10_00,
        createdAt: startTime,
      },
      (card) => card,
    )
  ).id;
  await bank.store.cards.insertRegistration(
    {
      id: 'reg-1',
      accountId: customer.id,
      cardId,
      publicKey: new Uint8Array(32),
      serial: 'aa01',
      certificate: new Uint8Array([0x30]),
      notAfter: startTime + 86_400_000,
      createdAt: startTime,
    },
    (r) => r,
  );
});

afterEach(async () => {
  await bank.close();
});

const balance = async (name: string) => (await bank.store.getAccountByName(name))!.balance;

describe('card money in the ledger', () => {
  it('lends into a hold, captures part to the merchant and returns the rest', async () => {
    await bank.store.cards.authorize(authorization('t1', 6_00), (t) => t);
    expect(await balance(cardSystemAccounts.holds)).toBe(6_00);
    expect(await balance(cardSystemAccounts.credit)).toBe(-6_00);
    const captured = await bank.store.cards.operate(
      {
        merchantId,
        transactionId: 't1',
        operation: { type: 'capture', amount: 5_00 },
        now: startTime,
      },
      (t) => t,
    );
    expect(captured).toMatchObject({ status: 'captured', captured: 5_00 });
    expect(await balance('seller')).toBe(5_00);
    expect(await balance(cardSystemAccounts.holds)).toBe(0);
    expect(await balance(cardSystemAccounts.credit)).toBe(-5_00);
    expect((await bank.store.checkInvariants()).problems).toEqual([]);
  });

  it('counts holds and captured money against the limit', async () => {
    await bank.store.cards.authorize(authorization('t1', 6_00, true), (t) => t);
    await bank.store.cards.authorize(authorization('t2', 3_00), (t) => t);
    const error = await bank.store.cards
      .authorize(authorization('t3', 1_01), (t) => t)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'card_over_limit' });
    await bank.store.cards.operate(
      {
        merchantId,
        transactionId: 't1',
        operation: { type: 'credit', creditId: 'c', amount: 2_00 },
        now: startTime,
      },
      (t) => t,
    );
    await bank.store.cards.authorize(authorization('t3', 1_01), (t) => t);
    expect((await bank.store.checkInvariants()).problems).toEqual([]);
  });

  it('lets the books check catch card money that does not add up', async () => {
    await bank.store.cards.authorize(authorization('t1', 4_00), (t) => t);
    const raw = new Database(bank.ctx.config.databasePath);
    raw
      .prepare(
        "UPDATE card_transactions SET authorized = authorized + 1 WHERE transaction_id = 't1'",
      )
      .run();
    raw.close();
    const report = await bank.store.checkInvariants();
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/system:card-holds/);
  });
});
