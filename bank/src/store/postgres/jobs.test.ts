/**
 * Background jobs run by several bank processes on one PostgreSQL database at once, each item
 * done once: mint key rotation (`BankStore.exclusively`) makes each window's key once however
 * many processes rotate together. (Hold release and closing blocked purse cards are in the
 * contract suites: ../store-contract.test.ts, ../purse-contract.test.ts.)
 */
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../log.ts';
import { Keyring } from '../../mint/keyring.ts';
import { defaultMintTiming } from '../../mint/policy.ts';
import { PostgresBankStore } from './postgres-store.ts';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);
afterAll(() => cluster?.stop(), 60_000);

describe('background jobs in several bank processes', () => {
  it('make each mint key once when every process rotates at the same moment', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all(
      Array.from({ length: 3 }, () =>
        PostgresBankStore.open({ url, currency: 'EUR', poolSize: 3 }),
      ),
    );
    try {
      const now = Date.UTC(2026, 0, 1);
      const keyrings = await Promise.all(
        stores.map((store) =>
          Keyring.open({
            store,
            log: createLogger({ logLevel: 'silent' }),
            masterKey: ed25519Signer(randomSecretKey()),
            currency: 'EUR',
            now: () => now,
            policy: { ...defaultMintTiming, values: [5] },
          }),
        ),
      );
      const made = await stores[0]!.listDenominations();
      // The policy's windows for one value, once: not once per process.
      expect(made.length).toBeGreaterThan(0);
      expect(new Set(made.map((d) => d.validFrom)).size).toBe(made.length);
      // Rotating again everywhere at once makes nothing new; every process knows every key.
      expect(await Promise.all(keyrings.map((keyring) => keyring.rotate()))).toEqual([0, 0, 0]);
      expect(await stores[2]!.listDenominations()).toHaveLength(made.length);
      for (const keyring of keyrings) {
        for (const d of made) expect(keyring.find(d.id)).toBeDefined();
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  }, 120_000);

  it('lets one process at a time run a job, the others after it', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all(
      Array.from({ length: 3 }, () =>
        PostgresBankStore.open({ url, currency: 'EUR', poolSize: 2 }),
      ),
    );
    try {
      let inside = 0;
      let most = 0;
      await Promise.all(
        stores.map((store) =>
          store.exclusively('test-job', async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 50));
            inside--;
          }),
        ),
      );
      expect(most).toBe(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
