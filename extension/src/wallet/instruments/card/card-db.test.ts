import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { type CardRecord, migrations, openWalletDb, type WalletDb } from '../../db/schema.ts';

describe('the card stores (schema version 4)', () => {
  it('opens a version 2 wallet, keeps what it held and adds the card stores', async () => {
    const name = `schema-v2-${Math.random()}`;
    // A database exactly as the previous release left it: version 2, with a setting in it.
    const old = await openDB<WalletDb>(name, 2, {
      upgrade(db, oldVersion, _newVersion, tx) {
        for (let version = oldVersion; version < 2; version++) {
          migrations[version]!(db, tx as never);
        }
      },
    });
    expect([...old.objectStoreNames]).not.toContain('cards');
    await old.put('sites', {
      origin: 'https://shop.example',
      name: 'Shop',
      budget: null,
      blocked: false,
      lastPaidAt: null,
    });
    old.close();

    const db = await openWalletDb(name);
    expect(db.version).toBe(migrations.length);
    expect((await db.get('sites', 'https://shop.example'))?.name).toBe('Shop');
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const card: CardRecord = {
      id: 'reg-1',
      bankUrl: 'https://bank.example',
      status: 'pending',
      lastFour: '0002',
      name: 'A CARDHOLDER',
      sealedCard: { iv: new Uint8Array(12), data: new Uint8Array(40) },
      privateKey: pair.privateKey,
      publicKey: new Uint8Array(32),
      registration: '{}',
      certificates: null,
      createdAt: 1,
      updatedAt: 1,
    };
    await db.put('cards', card);
    const pending = await db.getAllFromIndex('cards', 'status', 'pending');
    expect(pending.map((record) => record.id)).toEqual(['reg-1']);
    // The key stays a non-extractable CryptoKey through the structured clone.
    expect(pending[0]!.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', pending[0]!.privateKey)).rejects.toThrow();
    expect(await db.getAllFromIndex('cardPayments', 'status', 'sent')).toEqual([]);
    db.close();
  });
});
