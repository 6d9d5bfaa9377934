import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteBankStore } from './sqlite-store.ts';

const now = Date.UTC(2026, 0, 1);

function tempPath() {
  return join(mkdtempSync(join(tmpdir(), 'farthing-store-')), 'bank.sqlite');
}

async function customer(store: SqliteBankStore, name: string, funds = 0) {
  const account = await store.createAccount(
    { kind: 'customer', name, displayName: name, currency: 'EUR', now },
    (a) => a,
  );
  if (funds > 0)
    await store.issueFunds({ accountId: account.id, amount: funds, reference: 'seed', now });
  return account;
}

const coin = (fill: number, value: number) => ({
  denominationId: new Uint8Array(32).fill(1),
  value,
  blindedMessage: new Uint8Array(256).fill(fill),
  blindSignature: new Uint8Array(256).fill(fill + 1),
});

async function denomination(store: SqliteBankStore) {
  await store.insertDenomination({
    id: new Uint8Array(32).fill(1),
    currency: 'EUR',
    value: 100,
    publicN: new Uint8Array(256),
    publicE: Uint8Array.of(1, 0, 1),
    privateKey: new Uint8Array(8),
    validFrom: now,
    withdrawUntil: now + 1,
    depositUntil: now + 2,
    createdAt: now,
  });
}

// What both backends must do is in ../store-contract.test.ts; this is SQLite's own.
describe('SqliteBankStore', () => {
  const stores: SqliteBankStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  it('acknowledges no deposit before the WAL sync after its commit, and none if it fails', async () => {
    const held: { release: () => void; fail: (error: Error) => void }[] = [];
    let holding = false;
    const store = new SqliteBankStore({
      path: tempPath(),
      currency: 'EUR',
      wrapSync: (sync) => () =>
        holding
          ? new Promise<void>((resolve, reject) => {
              held.push({ release: () => sync().then(resolve, reject), fail: reject });
            })
          : sync(),
    });
    stores.push(store);
    await denomination(store);
    const shop = await customer(store, 'shop');
    const alice = await customer(store, 'alice', 1_000);
    await store.withdraw(
      {
        issuanceId: 'w1',
        accountId: alice.id,
        currency: 'EUR',
        requestHash: new Uint8Array(32),
        coins: [coin(1, 100), coin(3, 100), coin(5, 100)],
        now,
      },
      (issuance) => issuance.total,
    );
    holding = true;
    const deposit = (fill: number) =>
      store.deposit(
        {
          depositId: `d${fill}`,
          merchantId: shop.id,
          currency: 'EUR',
          coins: [
            {
              coinPub: new Uint8Array(32).fill(fill),
              denominationId: new Uint8Array(32).fill(1),
              value: 100,
              signature: new Uint8Array(64),
              proof: '{}',
            },
          ],
          now,
        },
        (view) => view.id,
      );
    let answered = false;
    const first = deposit(9).then((id) => {
      answered = true;
      return id;
    });
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(held).toHaveLength(1); // committed, syncing
    expect(answered).toBe(false);
    held.shift()!.release();
    await expect(first).resolves.toBeDefined();

    const second = deposit(10);
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    held.shift()!.fail(new Error('EIO: i/o error, fdatasync'));
    await expect(second).rejects.toMatchObject({ name: 'StorageLostError' });
    await expect(store.getAccount(shop.id)).rejects.toMatchObject({ name: 'StorageLostError' });
    await expect(deposit(11)).rejects.toMatchObject({ name: 'StorageLostError' });
  });
});
