/**
 * The `BankStore` contract, run against every backend (store-backends.fixture.ts): SQLite in
 * a temporary file and PostgreSQL on a throwaway server. What one backend must do, the other
 * must do the same way. Backend-specific behaviour stays in each backend's own tests.
 *
 * Long because it is the one contract every backend must meet; splitting it would let a backend
 * run part of it.
 */
import type { FarthingError } from '@farthing/protocol/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BankStore } from './store.ts';
import {
  coded,
  coin,
  customer,
  denomination,
  deposit,
  funded,
  merchant,
  now,
  openEveryConnection,
  paywordCertificate,
  paywordClaim,
  type StoreBackend,
  spent,
  storeBackends,
} from './store-backends.fixture.ts';

describe.each(storeBackends.map((make) => [make().name, make] as const))(
  'BankStore on %s',
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

    it('keeps the books balanced through funding, withdrawal and deposit', async () => {
      const store = await open();
      const { alice, shop } = await funded(store, 1_000, 2);
      await deposit(store, shop.id, 'd1', [spent(9)]);
      expect((await store.getAccount(alice.id))?.balance).toBe(800);
      expect((await store.getAccount(shop.id))?.balance).toBe(100);
      expect(await store.checkInvariants()).toMatchObject({
        ok: true,
        totals: { customers: 900, coins: 100, issued: 1_000, signed: 200, spent: 100 },
      });
      const history = await store.history(alice.id, { limit: 10 });
      expect(history.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
        ['withdrawal', -200, 800],
        ['issue', 1_000, 1_000],
      ]);
    });

    it('refuses an overdraft and changes nothing', async () => {
      const store = await open();
      await denomination(store);
      const alice = await customer(store, 'alice', 150);
      const attempt = store.withdraw(
        {
          issuanceId: 'w1',
          accountId: alice.id,
          currency: 'EUR',
          requestHash: new Uint8Array(32),
          coins: [coin(1, 100), coin(3, 100)],
          now,
        },
        (issuance) => issuance,
      );
      await expect(attempt).rejects.toSatisfy(coded('insufficient_funds'));
      expect((await store.getAccount(alice.id))?.balance).toBe(150);
      expect(await store.getIssuance('w1')).toBeUndefined();
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('returns a stored withdrawal for its issuance id and refuses the id for another request', async () => {
      const store = await open();
      const { alice } = await funded(store, 1_000);
      const params = {
        issuanceId: 'w1',
        accountId: alice.id,
        currency: 'EUR',
        requestHash: new Uint8Array(32).fill(7),
        coins: [coin(1, 100)],
        now,
      };
      const first = await store.withdraw(params, (issuance) => issuance);
      const again = await store.withdraw({ ...params, now: now + 5 }, (issuance) => issuance);
      expect(again).toEqual(first);
      expect(await store.getIssuance('w1')).toEqual(first);
      expect((await store.getAccount(alice.id))?.balance).toBe(900);
      await expect(
        store.withdraw({ ...params, requestHash: new Uint8Array(32) }, (i) => i),
      ).rejects.toSatisfy(coded('issuance_conflict'));
    });

    it('refuses a second spend of a coin with the first spend as proof, and changes nothing', async () => {
      const store = await open();
      const { shop } = await funded(store, 1_000, 3);
      const other = await merchant(store, 'other');
      await deposit(store, shop.id, 'd1', [spent(9, 1)]);
      const attempt = deposit(store, other.id, 'd2', [spent(10, 2), spent(9, 3)]);
      await expect(attempt).rejects.toSatisfy(
        (e) =>
          coded('coin_already_spent')(e) &&
          (e as FarthingError).details.proof !== undefined &&
          JSON.stringify((e as FarthingError).details.proof) === JSON.stringify({ permission: 1 }),
      );
      // The fresh coin of the refused deposit was not kept.
      expect(await store.getSpentCoin(new Uint8Array(32).fill(10))).toBeUndefined();
      expect((await store.getAccount(other.id))?.balance).toBe(0);
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('answers a retried deposit of the same signed coins with the original deposit', async () => {
      const store = await open();
      const { shop } = await funded(store, 1_000, 3);
      const first = await deposit(store, shop.id, 'd1', [spent(9, 1), spent(10, 1)]);
      expect(await deposit(store, shop.id, 'd1', [spent(9, 1), spent(10, 1)])).toEqual(first);
      await expect(deposit(store, shop.id, 'd2', [spent(11, 1)])).resolves.toMatchObject({
        total: 100,
      });
      await expect(deposit(store, shop.id, 'd1', [spent(12, 1)])).rejects.toSatisfy(
        coded('conflict'),
      );
      expect((await store.getAccount(shop.id))?.balance).toBe(300);
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('accepts exactly one of many concurrent deposits of one coin', async () => {
      const store = await open();
      const { shop } = await funded(store, 1_000, 1);
      await openEveryConnection(store);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => deposit(store, shop.id, `d${i}`, [spent(9, i)])),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toSatisfy(coded('coin_already_spent'));
        }
      }
      expect((await store.getAccount(shop.id))?.balance).toBe(100);
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('spends a coin for change once and keeps the value in circulation', async () => {
      const store = await open();
      await funded(store, 1_000, 1);
      const params = {
        issuanceId: 'c1',
        currency: 'EUR',
        requestHash: new Uint8Array(32).fill(3),
        spent: spent(9, 1),
        coins: [coin(20, 50), coin(22, 50)],
        now,
      };
      const issued = await store.change(params, (i) => i.total);
      expect(issued).toBe(100);
      expect(await store.change(params, (i) => i.total)).toBe(100);
      await expect(store.change({ ...params, issuanceId: 'c2' }, (i) => i.total)).rejects.toSatisfy(
        coded('coin_already_spent'),
      );
      expect((await store.getSpentCoin(params.spent.coinPub))?.kind).toBe('change');
      expect(await store.checkInvariants()).toMatchObject({ ok: true, totals: { coins: 100 } });
    });

    it('returns the stored result for a repeated idempotency claim and refuses it for another request', async () => {
      const store = await open();
      const alice = await customer(store, 'alice');
      const claim = { scope: 'admin', key: 'k', requestHash: new Uint8Array(32).fill(1) };
      const first = await store.issueFunds(
        { accountId: alice.id, amount: 5, reference: 'x', now },
        claim,
      );
      const again = await store.issueFunds(
        { accountId: alice.id, amount: 5, reference: 'x', now },
        claim,
      );
      expect(again).toEqual(first);
      expect(await store.findIdempotentResult(claim)).toEqual(first);
      expect((await store.getAccount(alice.id))?.balance).toBe(5);
      await expect(
        store.issueFunds(
          { accountId: alice.id, amount: 5, reference: 'x', now },
          { ...claim, requestHash: new Uint8Array(32) },
        ),
      ).rejects.toSatisfy(coded('idempotency_key_reused'));
    });

    it('moves money once for concurrent calls under one idempotency claim', async () => {
      const store = await open();
      const alice = await customer(store, 'alice');
      const claim = { scope: 'admin', key: 'k', requestHash: new Uint8Array(32).fill(1) };
      await openEveryConnection(store);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.issueFunds({ accountId: alice.id, amount: 5, reference: 'x', now }, claim),
        ),
      );
      expect(new Set(answers.map((a) => a.balance))).toEqual(new Set([5]));
      expect((await store.getAccount(alice.id))?.balance).toBe(5);
    });

    it('refuses a second account of the same name', async () => {
      const store = await open();
      await customer(store, 'alice');
      await expect(customer(store, 'alice')).rejects.toSatisfy(coded('account_exists'));
    });

    it('finds sessions and API keys by their hash until they are gone', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 7);
      const token = new Uint8Array(32).fill(4);
      await store.createSession({
        tokenHash: token,
        accountId: alice.id,
        scopes: ['account', 'withdraw'],
        expiresAt: now + 1_000,
        now,
      });
      expect(await store.findSession(token)).toMatchObject({
        account: { name: 'alice', balance: 7 },
        scopes: ['account', 'withdraw'],
        expiresAt: now + 1_000,
      });
      await store.deleteSession(token);
      expect(await store.findSession(token)).toBeUndefined();
      const key = new Uint8Array(32).fill(5);
      await store.createApiKey({ keyHash: key, accountId: alice.id, label: 'shop', now });
      expect((await store.findApiKeyAccount(key))?.id).toBe(alice.id);
      expect(await store.findApiKeyAccount(new Uint8Array(32))).toBeUndefined();
    });

    it('keeps the first bank key of a name and every denomination', async () => {
      const store = await open();
      const first = { name: 'mint', secret: Uint8Array.of(1), publicKey: Uint8Array.of(2), now };
      expect(await store.ensureBankKey(first)).toEqual({
        name: 'mint',
        secret: Uint8Array.of(1),
        publicKey: Uint8Array.of(2),
      });
      await store.ensureBankKey({ ...first, secret: Uint8Array.of(9) });
      expect((await store.getBankKey('mint'))?.secret).toEqual(Uint8Array.of(1));
      await denomination(store);
      const [stored] = await store.listDenominations();
      expect(stored).toMatchObject({ value: 100, publicE: Uint8Array.of(1, 0, 1) });
    });

    it('records merchant certificates per account', async () => {
      const store = await open();
      const shop = await merchant(store);
      const certificate = {
        serial: '0a',
        accountId: shop.id,
        origins: ['https://shop.example'],
        offerKey: new Uint8Array(32).fill(3),
        der: Uint8Array.of(48, 0),
        notAfter: now + 1,
        createdAt: now,
      };
      await store.insertMerchantCertificate(certificate, (c) => c.serial);
      expect(await store.listMerchantCertificates(shop.id)).toEqual([certificate]);
    });

    it('certifies an origin to one merchant at a time, even when two ask at once', async () => {
      const store = await open();
      const [one, two] = [await merchant(store, 'one'), await merchant(store, 'two')];
      const certificate = (serial: string, accountId: number) => ({
        serial,
        accountId,
        origins: ['https://shop.example'],
        offerKey: new Uint8Array(32).fill(3),
        der: Uint8Array.of(48, 0),
        notAfter: now + 1_000,
        createdAt: now,
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          store.insertExclusiveMerchantCertificate(
            certificate(`c${i}`, i % 2 === 0 ? one.id : two.id),
            ['https://shop.example'],
            (c) => c.accountId,
          ),
        ),
      );
      const holders = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])));
      expect(holders.size).toBe(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toSatisfy(coded('origin_taken'));
      }
      const [holder] = [...holders];
      const other = holder === one.id ? two.id : one.id;
      await expect(store.assertOriginsFree(['https://shop.example'], other, now)).rejects.toSatisfy(
        coded('origin_taken'),
      );
      // Revoking every certificate of the holder frees the origin; the list names them.
      const serials = (await store.listMerchantCertificates(holder!)).map((c) => c.serial);
      for (const serial of serials) {
        expect(await store.revokeMerchantCertificate(serial, now + 5)).toMatchObject({
          serial,
          revokedAt: now + 5,
        });
        // A second revocation keeps the first time.
        expect(await store.revokeMerchantCertificate(serial, now + 9)).toMatchObject({
          revokedAt: now + 5,
        });
      }
      expect(await store.revokeMerchantCertificate('unknown', now)).toBeUndefined();
      expect(await store.listRevokedMerchantCertificates(now + 10)).toEqual([...serials].sort());
      expect(await store.listRevokedMerchantCertificates(now + 2_000)).toEqual([]);
      await expect(
        store.assertOriginsFree(['https://shop.example'], other, now + 10),
      ).resolves.toBeUndefined();
    });

    it('keeps origin challenges until they expire, valid ones first', async () => {
      const store = await open();
      const shop = await merchant(store);
      const challenge = (token: string, createdAt: number) => ({
        token,
        accountId: shop.id,
        origin: 'https://shop.example',
        status: 'pending' as const,
        createdAt,
        expiresAt: createdAt + 100,
      });
      await store.createOriginChallenge(challenge('t1', now), (c) => c.token);
      await store.createOriginChallenge(challenge('t2', now + 1), (c) => c.token);
      await store.createOriginChallenge(challenge('t3', now + 2), (c) => c.token);
      await store.settleOriginChallenge('t1', 'valid', now + 3);
      await store.settleOriginChallenge('t3', 'invalid', now + 3);
      // Settled once: a later settlement does not change it.
      await store.settleOriginChallenge('t1', 'invalid', now + 4);
      const open_ = await store.openOriginChallenges(shop.id, 'https://shop.example', now + 5);
      expect(open_.map((c) => [c.token, c.status])).toEqual([
        ['t1', 'valid'],
        ['t2', 'pending'],
      ]);
      expect(open_[0]).toMatchObject({ checkedAt: now + 3 });
      expect(await store.openOriginChallenges(shop.id, 'https://shop.example', now + 101)).toEqual(
        [],
      );
    });

    it('holds PayWord credit, pays only the words beyond the last redemption and releases the rest', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      const vendor = await merchant(store, 'vendor');
      const other = await merchant(store, 'other');
      await store.issuePaywordCertificate(paywordCertificate(7, alice.id, 300), (c) => c.serial);
      expect((await store.getAccount(alice.id))?.balance).toBe(700);
      const redeem = (vendorId: number, index: number, word = index) =>
        store.redeemPaywords(
          { vendorId, claims: [paywordClaim(7, index, word)], now },
          (outcomes) =>
            outcomes.map((o) =>
              o.status === 'redeemed' ? o.paid : (o.error as FarthingError).code,
            ),
        );
      expect(await redeem(vendor.id, 3)).toEqual([30]);
      expect(await redeem(vendor.id, 3)).toEqual([0]);
      expect(await redeem(vendor.id, 3, 99)).toEqual(['payword_replayed']);
      expect(await redeem(vendor.id, 2)).toEqual(['payword_replayed']);
      expect(await redeem(vendor.id, 10)).toEqual([70]);
      expect(await redeem(vendor.id, 40)).toEqual(['payword_over_limit']);
      expect(await redeem(other.id, 12)).toEqual(['payword_vendor_mismatch']);
      expect(await store.getPaywordRedemption(paywordClaim(7, 0).commitmentId)).toMatchObject({
        lastIndex: 10,
        redeemed: 100,
      });
      expect(await store.releasePaywordHolds({ expiredBefore: now + 2_000, now })).toBe(1);
      expect(await store.releasePaywordHolds({ expiredBefore: now + 2_000, now })).toBe(0);
      expect(await redeem(vendor.id, 11)).toEqual(['not_found']);
      expect((await store.getAccount(alice.id))?.balance).toBe(900);
      expect((await store.getAccount(vendor.id))?.balance).toBe(100);
      expect(await store.getPaywordCertificate(7)).toMatchObject({
        redeemed: 100,
        releasedAt: now,
      });
      expect(await store.checkInvariants()).toMatchObject({ ok: true, totals: { holds: 0 } });
    });

    it('pays concurrent redemptions of one commitment once and releases a hold once', async () => {
      const store = await open();
      const alice = await customer(store, 'alice', 1_000);
      const vendor = await merchant(store, 'vendor');
      await store.issuePaywordCertificate(paywordCertificate(8, alice.id, 300), (c) => c.serial);
      await openEveryConnection(store);
      for (const index of [5, 10, 15]) {
        const paid = await Promise.all(
          Array.from({ length: 8 }, () =>
            store.redeemPaywords(
              { vendorId: vendor.id, claims: [paywordClaim(8, index)], now },
              (o) => (o[0]?.status === 'redeemed' ? o[0].paid : -1),
            ),
          ),
        );
        expect(paid.sort((a, b) => b - a)).toEqual([50, 0, 0, 0, 0, 0, 0, 0]);
      }
      expect((await store.getAccount(vendor.id))?.balance).toBe(150);
      const released = await Promise.all(
        Array.from({ length: 4 }, () =>
          store.releasePaywordHolds({ expiredBefore: now + 2_000, now }),
        ),
      );
      expect(released.reduce((a, b) => a + b, 0)).toBe(1);
      expect((await store.getAccount(alice.id))?.balance).toBe(850);
      expect((await store.checkInvariants()).ok).toBe(true);
    });

    it('detects books that were changed behind its back', async () => {
      const location = await backend.newDatabase();
      const store = await open(location);
      await customer(store, 'alice', 1_000);
      await backend.exec(
        location,
        "UPDATE accounts SET balance = balance + 1 WHERE name = 'alice'",
      );
      const report = await store.checkInvariants();
      expect(report.ok).toBe(false);
      expect(report.problems.join('\n')).toContain(
        'account alice: balance 1001 but entries sum to 1000',
      );
    });

    it('survives reopening: schema migrated once, data kept', async () => {
      const location = await backend.newDatabase();
      const first = await backend.open(location);
      await customer(first, 'alice', 42);
      await first.close();
      const second = await open(location);
      expect((await second.getAccountByName('alice'))?.balance).toBe(42);
      expect((await second.checkInvariants()).ok).toBe(true);
    });

    // The wallet's recovery (mint/recovery.ts).
    it('lists an account’s withdrawals newest first, a page at a time, and only its own', async () => {
      const store = await open();
      const { alice } = await funded(store, 1_000);
      const bob = await customer(store, 'bob', 1_000);
      for (const [id, account] of [
        ['w1', alice],
        ['w2', bob],
        ['w3', alice],
        ['w4', alice],
      ] as const) {
        await store.withdraw(
          {
            issuanceId: id,
            accountId: account.id,
            currency: 'EUR',
            requestHash: new Uint8Array(32),
            coins: [coin(7, 100)],
            now,
          },
          (issuance) => issuance.id,
        );
      }
      const firstPage = await store.listWithdrawals(alice.id, { offset: 0, limit: 2 });
      expect(firstPage.map((w) => w.id)).toEqual(['w4', 'w3']);
      expect(firstPage[0]!.coins[0]!.blindSignature).toEqual(new Uint8Array(256).fill(8));
      expect(
        (await store.listWithdrawals(alice.id, { offset: 2, limit: 2 })).map((w) => w.id),
      ).toEqual(['w1']);
      expect(
        (await store.listWithdrawals(bob.id, { offset: 0, limit: 4 })).map((w) => w.id),
      ).toEqual(['w2']);
    });

    it('finds spent coin keys by prefix, in key order, from a given key on', async () => {
      const store = await open();
      const { shop } = await funded(store, 1_000, 4);
      const key = (first: number, second: number, rest: number) => {
        const pub = new Uint8Array(32).fill(rest);
        pub[0] = first;
        pub[1] = second;
        return pub;
      };
      const keys = [key(0, 0, 0), key(0, 0, 255), key(0, 1, 0), key(255, 255, 255)];
      await deposit(
        store,
        shop.id,
        'd1',
        keys.map((coinPub, i) => ({ ...spent(0, i), coinPub })),
      );
      const search = (prefixes: number[][], page: { after?: Uint8Array; limit: number }) =>
        store.spentCoinsWithPrefixes(
          prefixes.map((p) => Uint8Array.from(p)),
          page,
        );
      expect(
        await search(
          [
            [255, 255],
            [0, 0],
          ],
          { limit: 10 },
        ),
      ).toEqual([keys[0], keys[1], keys[3]]);
      expect(
        await search(
          [
            [0, 0],
            [255, 255],
          ],
          { limit: 2 },
        ),
      ).toEqual([keys[0], keys[1]]);
      expect(
        await search(
          [
            [0, 0],
            [255, 255],
          ],
          { after: keys[1]!, limit: 2 },
        ),
      ).toEqual([keys[3]]);
      expect(await search([[0, 2]], { limit: 10 })).toEqual([]);
    });

    it('finds change issuances by id prefix, in id order, and never a withdrawal', async () => {
      const store = await open();
      const { alice } = await funded(store, 1_000, 4);
      const ids = ['abcX1', 'abcY2', 'abd00', 'zz_99'];
      for (const [i, id] of ids.entries()) {
        await store.change(
          {
            issuanceId: id,
            currency: 'EUR',
            requestHash: new Uint8Array(32),
            spent: spent(2 * i + 1, i),
            coins: [coin(40 + i, 100)],
            now,
          },
          (issuance) => issuance.id,
        );
      }
      await store.withdraw(
        {
          issuanceId: 'abcW0',
          accountId: alice.id,
          currency: 'EUR',
          requestHash: new Uint8Array(32),
          coins: [coin(60, 100)],
          now,
        },
        (issuance) => issuance.id,
      );
      const search = async (prefixes: string[], page: { after?: string; limit: number }) =>
        (await store.changeIssuancesWithPrefixes(prefixes, page)).map((issuance) => issuance.id);
      expect(await search(['zz_', 'abc'], { limit: 10 })).toEqual(['abcX1', 'abcY2', 'zz_99']);
      expect(await search(['abc', 'zz_'], { after: 'abcX1', limit: 1 })).toEqual(['abcY2']);
      const [found] = await store.changeIssuancesWithPrefixes(['zz_'], { limit: 1 });
      expect(found?.coins[0]?.blindSignature).toEqual(new Uint8Array(256).fill(44));
    });
  },
);
