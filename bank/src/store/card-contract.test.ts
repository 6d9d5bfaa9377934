/**
 * SET card payments' part of the `BankStore` contract (card-store.ts), run against every
 * backend (store-backends.fixture.ts) as store-contract.test.ts runs the rest: card credit
 * lent into holds and captured to the merchant, each card within its limit, a transaction
 * authorized once and captured or reversed once, even when the calls arrive at once (several
 * bank processes on one database), and the books check catching card money that does not add up.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cardSystemAccounts, maxRegistrationsPerCard } from './card-store.ts';
import type { BankStore } from './store.ts';
import {
  customer,
  merchant,
  now,
  openEveryConnection,
  type StoreBackend,
  storeBackends,
} from './store-backends.fixture.ts';

const pan = '4000000000000002';

/** A store with a card (limit EUR 10.00) and its cardholder certificate `aa01`. */
async function withCard(store: BankStore) {
  const holder = await customer(store, 'holder');
  const seller = await merchant(store, 'seller');
  const card = await store.cards.issueCard(
    {
      accountId: holder.id,
      pan,
      expiry: '2028-12',
      currency: 'EUR',
      creditLimit: 10_00,
      createdAt: now,
    },
    (c) => c,
  );
  await store.cards.insertRegistration(
    {
      id: 'reg-1',
      accountId: holder.id,
      cardId: card.id,
      publicKey: new Uint8Array(32),
      serial: 'aa01',
      certificate: new Uint8Array([0x30]),
      notAfter: now + 86_400_000,
      createdAt: now,
    },
    (r) => r,
  );
  const authorize = (transactionId: string, amount: number, capture = false) =>
    store.cards.authorize(
      {
        merchantId: seller.id,
        transactionId,
        pan,
        expiry: '2028-12',
        cardholderSerial: 'aa01',
        amount,
        currency: 'EUR',
        oiDigest: new Uint8Array(32).fill(1),
        piDigest: crypto.getRandomValues(new Uint8Array(32)),
        capture,
        now,
      },
      (t) => t,
    );
  const operate = (
    transactionId: string,
    operation: Parameters<BankStore['cards']['operate']>[0]['operation'],
  ) => store.cards.operate({ merchantId: seller.id, transactionId, operation, now }, (t) => t);
  const balance = async (name: string) => (await store.getAccountByName(name))!.balance;
  return { holder, seller, card, authorize, operate, balance };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? String(error),
  );

describe.each(storeBackends.map((make) => [make().name, make] as const))(
  'BankStore card payments on %s',
  (_name, make) => {
    const backend: StoreBackend = make();
    const stores: BankStore[] = [];
    beforeAll(() => backend.setup(), 60_000);
    afterAll(() => backend.teardown(), 60_000);
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });
    const open = async (location?: string) => {
      const store = await backend.open(location ?? (await backend.newDatabase()));
      stores.push(store);
      return store;
    };

    it('lends into a hold, captures part to the merchant and returns the rest', async () => {
      const store = await open();
      const { authorize, operate, balance, card } = await withCard(store);
      expect(await store.cards.findCardByPan(pan)).toEqual(card);
      expect(await store.cards.listCards(card.accountId)).toEqual([card]);
      await authorize('t1', 6_00);
      expect(await balance(cardSystemAccounts.holds)).toBe(6_00);
      expect(await balance(cardSystemAccounts.credit)).toBe(-6_00);
      expect(await operate('t1', { type: 'capture', amount: 5_00 })).toMatchObject({
        status: 'captured',
        captured: 5_00,
      });
      expect(await balance('seller')).toBe(5_00);
      expect(await balance(cardSystemAccounts.holds)).toBe(0);
      expect(await balance(cardSystemAccounts.credit)).toBe(-5_00);
      expect(await codeOf(authorize('t1', 1_00))).toBe('set_transaction_replayed');
      expect((await store.checkInvariants()).problems).toEqual([]);
    });

    it('counts holds and captured money against the limit; credits and their reversal move it back', async () => {
      const store = await open();
      const { authorize, operate, seller } = await withCard(store);
      await authorize('t1', 6_00, true);
      await authorize('t2', 3_00);
      expect(await codeOf(authorize('t3', 1_01))).toBe('card_over_limit');
      await operate('t1', { type: 'credit', creditId: 'c', amount: 2_00 });
      expect(await codeOf(operate('t1', { type: 'credit', creditId: 'c', amount: 1 }))).toBe(
        'conflict',
      );
      await authorize('t3', 1_01);
      expect(
        await codeOf(operate('t1', { type: 'credit-reversal', creditId: 'c', amount: 1_00 })),
      ).toBe('set_payment_mismatch');
      // The refunded 2.00 was lent again (t3): taking the refund back would pass the limit.
      expect(
        await codeOf(operate('t1', { type: 'credit-reversal', creditId: 'c', amount: 2_00 })),
      ).toBe('card_over_limit');
      await operate('t2', { type: 'authorization-reversal', amount: 3_00 });
      await operate('t1', { type: 'credit-reversal', creditId: 'c', amount: 2_00 });
      expect(await store.cards.getTransaction(seller.id, 'nope')).toBeUndefined();
      expect((await store.checkInvariants()).problems).toEqual([]);
    });

    it('keeps at most its number of cardholder certificates in force per card', async () => {
      const store = await open();
      const { card, holder } = await withCard(store);
      const register = (i: number) =>
        store.cards.insertRegistration(
          {
            id: `reg-more-${i}`,
            accountId: holder.id,
            cardId: card.id,
            publicKey: new Uint8Array(32).fill(i),
            serial: `bb${i.toString(16).padStart(2, '0')}`,
            certificate: new Uint8Array([0x30]),
            notAfter: now + 86_400_000,
            createdAt: now,
          },
          (r) => r,
        );
      // withCard registered one already.
      const asked = await Promise.allSettled(
        Array.from({ length: maxRegistrationsPerCard + 3 }, (_, i) => register(i)),
      );
      expect(asked.filter((a) => a.status === 'fulfilled')).toHaveLength(
        maxRegistrationsPerCard - 1,
      );
      expect(await codeOf(register(99))).toBe('card_registration_limit_reached');
      expect(await store.cards.revokeCardholderCertificate('aa01', now)).toBe(true);
      expect(await codeOf(register(100))).toBe('ok');
    });

    it('lets only one of many concurrent authorizations past the limit', async () => {
      const store = await open();
      const { authorize, balance } = await withCard(store);
      await openEveryConnection(store);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => codeOf(authorize(`race-${i}`, 6_00))),
      );
      expect(outcomes.sort()).toEqual([...Array(7).fill('card_over_limit'), 'ok']);
      expect(await balance(cardSystemAccounts.holds)).toBe(6_00);
      expect((await store.checkInvariants()).problems).toEqual([]);
    });

    it('captures or reverses an authorization once when both arrive at once', async () => {
      const store = await open();
      const { authorize, operate, balance, seller } = await withCard(store);
      await authorize('t1', 4_00);
      await openEveryConnection(store);
      const outcomes = await Promise.all([
        ...Array.from({ length: 3 }, () =>
          codeOf(operate('t1', { type: 'capture', amount: 4_00 })),
        ),
        ...Array.from({ length: 3 }, () =>
          codeOf(operate('t1', { type: 'authorization-reversal', amount: 4_00 })),
        ),
      ]);
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
      const { status } = (await store.cards.getTransaction(seller.id, 't1'))!;
      expect(await balance('seller')).toBe(status === 'captured' ? 4_00 : 0);
      expect(await balance(cardSystemAccounts.holds)).toBe(0);
      expect((await store.checkInvariants()).problems).toEqual([]);
    });

    it('refuses a revoked cardholder certificate and lets the books check catch card money that does not add up', async () => {
      const location = await backend.newDatabase();
      const store = await open(location);
      const { authorize } = await withCard(store);
      await authorize('t1', 4_00);
      expect(await store.cards.revokeCardholderCertificate('aa01', now)).toBe(true);
      expect(await store.cards.revokeCardholderCertificate('ffff', now)).toBe(false);
      expect(await codeOf(authorize('t2', 1_00))).toBe('set_cardholder_revoked');
      expect(await store.cards.getRegistration('reg-1')).toMatchObject({ revokedAt: now });
      await backend.exec(
        location,
        "UPDATE card_transactions SET authorized = authorized + 1 WHERE transaction_id = 't1'",
      );
      const report = await store.checkInvariants();
      expect(report.ok).toBe(false);
      expect(report.problems.join('\n')).toMatch(/system:card-holds/);
    });
  },
);
