import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FarthingError } from '@farthing/protocol/errors';
import Database from 'better-sqlite3';
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

describe('SqliteBankStore', () => {
  const stores: SqliteBankStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  const open = (path = tempPath()) => {
    const store = new SqliteBankStore({ path, currency: 'EUR' });
    stores.push(store);
    return store;
  };

  it('keeps the books balanced through funding, withdrawal and deposit', async () => {
    const store = open();
    await denomination(store);
    const alice = await customer(store, 'alice', 1_000);
    const shop = await store.createAccount(
      { kind: 'merchant', name: 'shop', displayName: 'Shop', currency: 'EUR', now },
      (a) => a,
    );
    await store.withdraw(
      {
        issuanceId: 'w1',
        accountId: alice.id,
        currency: 'EUR',
        requestHash: new Uint8Array(32),
        coins: [coin(1, 100), coin(3, 100)],
        now,
      },
      (issuance) => issuance.total,
    );
    await store.deposit(
      {
        depositId: 'd1',
        merchantId: shop.id,
        currency: 'EUR',
        coins: [
          {
            coinPub: new Uint8Array(32).fill(9),
            denominationId: new Uint8Array(32).fill(1),
            value: 100,
            signature: new Uint8Array(64),
            proof: '{}',
          },
        ],
        now,
      },
      (deposit) => deposit.id,
    );
    expect((await store.getAccount(alice.id))?.balance).toBe(800);
    expect((await store.getAccount(shop.id))?.balance).toBe(100);
    const report = await store.checkInvariants();
    expect(report).toMatchObject({
      ok: true,
      totals: { customers: 900, coins: 100, issued: 1_000 },
    });
  });

  it('refuses an overdraft and changes nothing', async () => {
    const store = open();
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
    await expect(attempt).rejects.toSatisfy(
      (e) => e instanceof FarthingError && e.code === 'insufficient_funds',
    );
    expect((await store.getAccount(alice.id))?.balance).toBe(150);
    expect(await store.getIssuance('w1')).toBeUndefined();
    expect((await store.checkInvariants()).ok).toBe(true);
  });

  it('returns the stored result for a repeated idempotency claim and refuses it for another request', async () => {
    const store = open();
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
    expect((await store.getAccount(alice.id))?.balance).toBe(5);
    await expect(
      store.issueFunds(
        { accountId: alice.id, amount: 5, reference: 'x', now },
        { ...claim, requestHash: new Uint8Array(32) },
      ),
    ).rejects.toSatisfy((e) => e instanceof FarthingError && e.code === 'idempotency_key_reused');
  });

  it('refuses a second account of the same name', async () => {
    const store = open();
    await customer(store, 'alice');
    await expect(customer(store, 'alice')).rejects.toSatisfy(
      (e) => e instanceof FarthingError && e.code === 'account_exists',
    );
  });

  it('detects books that were changed behind its back', async () => {
    const path = tempPath();
    const store = open(path);
    await customer(store, 'alice', 1_000);
    const raw = new Database(path);
    raw.prepare("UPDATE accounts SET balance = balance + 1 WHERE name = 'alice'").run();
    raw.close();
    const report = await store.checkInvariants();
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain(
      'account alice: balance 1001 but entries sum to 1000',
    );
  });

  it('survives reopening: schema migrated once, data kept', async () => {
    const path = tempPath();
    const first = open(path);
    await customer(first, 'alice', 42);
    await first.close();
    stores.splice(stores.indexOf(first), 1);
    const second = open(path);
    expect((await second.getAccountByName('alice'))?.balance).toBe(42);
    expect((await second.checkInvariants()).ok).toBe(true);
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
