import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { migrations, openWalletDb, type WalletDb, walletDbVersion } from './schema.ts';

/** A database exactly as an earlier release left it: every migration step up to `version`. */
function openAtVersion(name: string, version: number) {
  return openDB<WalletDb>(name, version, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let step = oldVersion; step < version; step++) {
        migrations[step]!(db, tx as never);
      }
    },
  });
}

/** Puts a record as an older version wrote it, whatever today's types say it must be. */
function putOld(db: Awaited<ReturnType<typeof openAtVersion>>, record: Record<string, unknown>) {
  return db.put('payments', record as never);
}

/** A payment as versions 1–6 wrote it (flat; e-cash fields optional, here without them). */
function paymentV1(id: string, offerHash: string, resource: string) {
  return {
    id,
    offerHash,
    offerToken: 'token',
    origin: 'https://shop.example',
    resource,
    navigateTo: `https://shop.example${resource}`,
    title: 'Why farthings',
    merchantId: 'gazette',
    merchantName: 'The Farthing Gazette',
    offerPublicKey: new Uint8Array(32),
    payEndpoint: 'https://shop.example/farthing/pay',
    bankUrl: 'https://bank.example',
    instrument: 'ecash',
    price: { currency: 'EUR', minor: 5 },
    status: 'confirmed',
    taskId: `task-${id}`,
    createdAt: 1,
    receiptId: `receipt-${id}`,
    grantExpiresAt: 2,
  };
}

describe('the wallet database', () => {
  it('carries version 1 payments over and finds them by merchant and resource', async () => {
    const name = `schema-v1-${Math.random()}`;
    // A database exactly as the previous release left it: version 1, with payments in it.
    const old = await openAtVersion(name, 1);
    await putOld(old, paymentV1('p1', 'h1', '/articles/7'));
    await putOld(old, paymentV1('p2', 'h2', '/articles/7'));
    await putOld(old, paymentV1('p3', 'h3', '/articles/8'));
    old.close();

    const db = await openWalletDb(name);
    expect(db.version).toBe(migrations.length);
    const owned = await db.getAllFromIndex('payments', 'resource', ['gazette', '/articles/7']);
    expect(owned.map((payment) => payment.id).sort()).toEqual(['p1', 'p2']);
    expect(await db.get('payments', 'p3')).toMatchObject({
      ...paymentV1('p3', 'h3', '/articles/8'),
      coins: [],
    });
    db.close();
  });

  it('opens a version 2 database with its payments into one that keeps purse readers and proofs', async () => {
    const name = `schema-v2-${Math.random()}`;
    const old = await openAtVersion(name, 2);
    await putOld(old, paymentV1('p1', 'h1', '/articles/7'));
    expect(old.objectStoreNames.contains('purseProofs')).toBe(false);
    old.close();

    const db = await openWalletDb(name);
    expect(db.version).toBe(migrations.length);
    expect(await db.get('payments', 'p1')).toMatchObject(paymentV1('p1', 'h1', '/articles/7'));
    await db.put('purseProofs', {
      paymentId: 'p2',
      cardId: '0011223344556677',
      tno: 4,
      challenge: new Uint8Array([1, 2]),
      merchantChain: [new Uint8Array([3])],
      status: 'challenged',
      createdAt: 5,
    });
    expect(await db.getAllFromIndex('purseProofs', 'status', 'challenged')).toHaveLength(1);
    expect(await db.get('purseReaders', 'reader')).toBeUndefined();
    db.close();
  });

  it('carries version 6 payments over as records of their instrument, with its fields only', async () => {
    const name = `schema-v6-${Math.random()}`;
    const old = await openAtVersion(name, 6);
    const payerCode = new Uint8Array(32).fill(7);
    const ecash = {
      ...paymentV1('cash', 'h1', '/articles/1'),
      coins: ['coinA', 'coinB'],
      payerCode,
      credential: '{"type":"ecash"}',
    };
    // Version 6 wrote `firstUse` only when true, and nothing stopped a stray field of another
    // instrument from riding along.
    const firstWord = {
      ...paymentV1('word1', 'h2', '/articles/2'),
      instrument: 'payword',
      chainId: 'chain-1',
      index: 1,
      firstUse: true,
    };
    const laterWord = {
      ...paymentV1('word2', 'h3', '/articles/3'),
      instrument: 'payword',
      status: 'sent',
      chainId: 'chain-1',
      index: 2,
      coins: [],
    };
    const purse = { ...paymentV1('purse', 'h4', '/articles/4'), instrument: 'purse' };
    for (const record of [ecash, firstWord, laterWord, purse]) await putOld(old, record);
    old.close();

    const db = await openWalletDb(name);
    expect(db.version).toBe(walletDbVersion);
    expect(await db.get('payments', 'cash')).toEqual(ecash);
    expect(await db.get('payments', 'word1')).toEqual(firstWord);
    const { coins: _stray, ...laterWithoutStray } = laterWord;
    expect(await db.get('payments', 'word2')).toEqual({ ...laterWithoutStray, firstUse: false });
    expect(await db.get('payments', 'purse')).toEqual(purse);
    expect(await db.getAllFromIndex('payments', 'status', 'sent')).toHaveLength(1);
    expect(
      (await db.getAllFromIndex('payments', 'resource', ['gazette', '/articles/2'])).map(
        (p) => p.id,
      ),
    ).toEqual(['word1']);
    db.close();
  });

  it('gives a version 6 e-cash payment that lacks its payer code a fresh one, so it reads as one', async () => {
    const name = `schema-v6-nocode-${Math.random()}`;
    const old = await openAtVersion(name, 6);
    await putOld(old, { ...paymentV1('bare', 'h1', '/articles/1'), status: 'reserved' });
    old.close();
    const db = await openWalletDb(name);
    const payment = await db.get('payments', 'bare');
    expect(payment?.instrument).toBe('ecash');
    if (payment?.instrument !== 'ecash') throw new Error('expected an e-cash payment');
    expect(payment.coins).toEqual([]);
    expect(payment.payerCode).toHaveLength(32);
    db.close();
  });
});
