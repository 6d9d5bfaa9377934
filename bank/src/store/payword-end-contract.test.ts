/**
 * Ending a PayWord certificate early (broker/early-release.ts) on both storage backends, as
 * store-contract.test.ts runs the rest of the contract: only the holder's account ends it, the
 * expiry only moves earlier, a released certificate is not touched, and the hold then comes
 * back through the usual release, the books balanced.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BankStore } from './store.ts';
import {
  customer,
  now,
  paywordCertificate,
  type StoreBackend,
  storeBackends,
} from './store-backends.fixture.ts';

describe.each(storeBackends.map((make) => [make().name, make] as const))(
  'ending PayWord certificates on %s',
  (_name, make) => {
    const backend: StoreBackend = make();
    const stores: BankStore[] = [];
    beforeAll(() => backend.setup(), 60_000);
    afterAll(() => backend.teardown(), 60_000);
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    it('ends only the holder’s certificate, only earlier, and releases it as an expired one', async () => {
      const store = await backend.open(await backend.newDatabase());
      stores.push(store);
      const alice = await customer(store, 'alice', 1_000);
      const bob = await customer(store, 'bob', 1_000);
      await store.issuePaywordCertificate(paywordCertificate(7, alice.id, 300), (c) => c.serial);
      await store.issuePaywordCertificate(paywordCertificate(8, alice.id, 200), (c) => c.serial);
      expect((await store.listPaywordCertificates(alice.id)).map((c) => c.serial)).toEqual([8, 7]);
      expect(await store.listPaywordCertificates(bob.id)).toEqual([]);

      expect(await store.endPaywordCertificate({ accountId: bob.id, serial: 7, now })).toBe(
        undefined,
      );
      expect((await store.getPaywordCertificate(7))?.expiresAt).toBe(now + 1_000);
      expect(
        await store.endPaywordCertificate({ accountId: alice.id, serial: 7, now: now + 10 }),
      ).toMatchObject({ serial: 7, expiresAt: now + 10 });
      // Never later: ending again after changes nothing.
      expect(
        await store.endPaywordCertificate({ accountId: alice.id, serial: 7, now: now + 500 }),
      ).toMatchObject({ expiresAt: now + 10 });

      expect(await store.releasePaywordHolds({ expiredBefore: now + 11, now: now + 11 })).toBe(1);
      expect((await store.getAccount(alice.id))?.balance).toBe(800);
      // A released certificate keeps its record as it was.
      expect(
        await store.endPaywordCertificate({ accountId: alice.id, serial: 7, now: now + 1 }),
      ).toMatchObject({ expiresAt: now + 10, releasedAt: now + 11 });
      expect((await store.getPaywordCertificate(8))?.expiresAt).toBe(now + 1_000);
      expect(await store.checkInvariants()).toMatchObject({ ok: true, totals: { holds: 200 } });
    });
  },
);
