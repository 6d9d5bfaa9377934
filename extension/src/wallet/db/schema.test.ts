import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import {
  migrations,
  openWalletDb,
  type PaymentRecord,
  type WalletDb,
  walletDbVersion,
} from './schema.ts';

/** A payment as version 1 wrote it. */
function paymentV1(id: string, offerHash: string, resource: string): PaymentRecord {
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
    const old = await openDB<WalletDb>(name, 1, {
      upgrade(db, oldVersion, _newVersion, tx) {
        for (let version = oldVersion; version < 1; version++) {
          migrations[version]!(db, tx as never);
        }
      },
    });
    await old.put('payments', paymentV1('p1', 'h1', '/articles/7'));
    await old.put('payments', paymentV1('p2', 'h2', '/articles/7'));
    await old.put('payments', paymentV1('p3', 'h3', '/articles/8'));
    old.close();

    const db = await openWalletDb(name);
    expect(db.version).toBe(walletDbVersion);
    const owned = await db.getAllFromIndex('payments', 'resource', ['gazette', '/articles/7']);
    expect(owned.map((payment) => payment.id).sort()).toEqual(['p1', 'p2']);
    expect(await db.get('payments', 'p3')).toEqual(paymentV1('p3', 'h3', '/articles/8'));
    db.close();
  });
});
