/**
 * The hardware purse issuer's part of the `BankStore` contract, run against every backend
 * (store-backends.fixture.ts) as store-contract.test.ts runs the rest: cards with shadow
 * accounts, loads claimed once per (card, counter), proofs cleared once, blocked cards refunded
 * once, even when the same call arrives at once (several bank processes on one database).
 */
import type { FarthingError } from '@farthing/protocol/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BankStore, maxPurseCardsPerAccount, type PurseClearingClaim } from './store.ts';
import {
  coded,
  customer,
  merchant,
  now,
  openEveryConnection,
  type StoreBackend,
  storeBackends,
} from './store-backends.fixture.ts';

const issue = (store: BankStore, cardId: string, accountId: number) =>
  store.issuePurseCard(
    {
      cardId,
      accountId,
      publicKey: new Uint8Array(65).fill(4),
      certificate: new Uint8Array(100).fill(7),
      now,
    },
    (card) => card,
  );

const load = (
  store: BankStore,
  cardId: string,
  accountId: number,
  loadCounter: number,
  amount: number,
) =>
  store.loadPurse(
    {
      cardId,
      accountId,
      loadCounter,
      amount,
      loadId: new Uint8Array(16).fill(loadCounter + 1),
      authorization: new Uint8Array(64).fill(loadCounter),
      now,
    },
    (record) => record,
  );

const claim = (cardId: string, sno: number, amount: number, fee = 0): PurseClearingClaim => ({
  cardId,
  sno,
  tno: 1_000 + sno,
  amount,
  fee,
  proof: new Uint8Array(64).fill(sno),
});

describe.each(storeBackends.map((make) => [make().name, make] as const))(
  'BankStore purse issuer on %s',
  (_name, make) => {
    const backend: StoreBackend = make();
    const stores: BankStore[] = [];
    beforeAll(() => backend.setup(), 60_000);
    afterAll(() => backend.teardown(), 60_000);
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });
    const open = async () => {
      const store = await backend.open(await backend.newDatabase());
      stores.push(store);
      return store;
    };

    it('issues a card with its shadow account once and refuses the same card again', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      const card = await issue(store, 'card-1', alice.id);
      expect(card).toMatchObject({ cardId: 'card-1', status: 'active', shadowBalance: 0 });
      await expect(issue(store, 'card-1', alice.id)).rejects.toSatisfy(coded('conflict'));
      expect(await store.getPurseCard('card-1')).toEqual(card);
      expect(await store.getPurseCard('card-2')).toBeUndefined();
    });

    it('issues an account at most its number of cards, also when they are asked for at once', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      const bob = await customer(store, 'bob', 1_000);
      const asked = await Promise.allSettled(
        Array.from({ length: maxPurseCardsPerAccount + 5 }, (_, i) =>
          issue(store, `alice-${i}`, alice.id),
        ),
      );
      const refused = asked.filter((a) => a.status === 'rejected');
      expect(asked.length - refused.length).toBe(maxPurseCardsPerAccount);
      for (const r of refused) {
        expect(r.status === 'rejected' && r.reason).toSatisfy(coded('purse_card_limit_reached'));
      }
      // Another account is not held back by the first one's cards.
      expect(await issue(store, 'bob-1', bob.id)).toMatchObject({ status: 'active' });
      expect((await store.checkInvariants()).problems).toEqual([]);
    });

    it('loads a card from the account once per counter, even when the load arrives at once', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      await issue(store, 'card-1', alice.id);
      await openEveryConnection(store);
      const loads = await Promise.all(
        Array.from({ length: 6 }, () => load(store, 'card-1', alice.id, 0, 300)),
      );
      expect(new Set(loads.map((l) => l.createdAt))).toEqual(new Set([now]));
      await expect(load(store, 'card-1', alice.id, 0, 200)).rejects.toSatisfy(coded('conflict'));
      expect((await store.getAccount(alice.id))?.balance).toBe(700);
      expect(await store.getPurseCard('card-1')).toMatchObject({ shadowBalance: 300 });
      const bob = await customer(store, 'bob', 1_000);
      await expect(load(store, 'card-1', bob.id, 1, 100)).rejects.toSatisfy(
        coded('purse_card_unknown'),
      );
      await expect(load(store, 'card-1', alice.id, 1, 5_000)).rejects.toSatisfy(
        coded('insufficient_funds'),
      );
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('clears each proof once, each claim alone, fees to the fee account', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      const shop = await merchant(store);
      await issue(store, 'card-1', alice.id);
      await load(store, 'card-1', alice.id, 0, 300);
      const clear = (claims: PurseClearingClaim[]) =>
        store.clearPurseProofs(
          { merchantAccountId: shop.id, merchantId: 'shop', claims, now },
          (outcomes) =>
            outcomes.map((o) =>
              o.status === 'cleared' ? 'cleared' : (o.error as FarthingError).code,
            ),
        );
      expect(
        await clear([claim('card-1', 1, 100, 2), claim('card-1', 2, 500), claim('nope', 3, 1)]),
      ).toEqual(['cleared', 'insufficient_funds', 'purse_card_unknown']);
      await openEveryConnection(store);
      const again = await Promise.all(
        Array.from({ length: 6 }, () => clear([claim('card-1', 4, 50)])),
      );
      expect(again.flat().sort()).toEqual([
        'cleared',
        'purse_proof_duplicate',
        'purse_proof_duplicate',
        'purse_proof_duplicate',
        'purse_proof_duplicate',
        'purse_proof_duplicate',
      ]);
      expect(await clear([claim('card-1', 1, 100, 2)])).toEqual(['purse_proof_duplicate']);
      expect((await store.getAccount(shop.id))?.balance).toBe(148);
      expect(await store.getPurseCard('card-1')).toMatchObject({ shadowBalance: 150 });
      expect(await store.getAccountByName('system:purse-fees')).toMatchObject({ balance: 2 });
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('blocks a card, then refunds its shadow balance once when every process closes at once', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      await issue(store, 'card-1', alice.id);
      await load(store, 'card-1', alice.id, 0, 300);
      const block = () =>
        store.blockPurseCard({ cardId: 'card-1', accountId: alice.id, now }, (c) => c);
      expect(await block()).toMatchObject({ status: 'blocked', blockedAt: now });
      expect(await block()).toMatchObject({ status: 'blocked', blockedAt: now });
      await expect(load(store, 'card-1', alice.id, 1, 10)).rejects.toSatisfy(
        coded('purse_card_blocked'),
      );
      expect(await store.closeBlockedPurseCards({ blockedBefore: now, now })).toBe(0);
      await openEveryConnection(store);
      const closed = await Promise.all(
        Array.from({ length: 4 }, () =>
          store.closeBlockedPurseCards({ blockedBefore: now + 1, now: now + 1 }),
        ),
      );
      expect(closed.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await store.getPurseCard('card-1')).toMatchObject({
        status: 'closed',
        refunded: 300,
        shadowBalance: 0,
      });
      expect((await store.getAccount(alice.id))?.balance).toBe(1_000);
      expect((await store.checkInvariants()).ok).toBe(true);
    });
  },
);
