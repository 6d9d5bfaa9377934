import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openWalletDb } from './db/schema.ts';
import { createUserKey, openSealer, userSigner } from './keys.ts';

describe('wallet keys in IndexedDB', () => {
  it('keeps a non-extractable AES key that opens what it sealed after a reopen', async () => {
    const name = `keys-${Math.random()}`;
    const db = await openWalletDb(name);
    const sealed = await (await openSealer(db)).seal(new Uint8Array([1, 2, 3]));
    db.close();
    const again = await openWalletDb(name);
    const stored = await again.get('keys', 'wallet-key');
    expect(stored !== undefined && 'key' in stored && stored.key.extractable).toBe(false);
    expect(await (await openSealer(again)).open(sealed)).toEqual(new Uint8Array([1, 2, 3]));
    again.close();
  });

  it('stores the PayWord user key as a non-extractable Ed25519 CryptoKey that signs', async () => {
    const db = await openWalletDb(`keys-${Math.random()}`);
    const sealer = await openSealer(db);
    const publicKey = await createUserKey(db, sealer, 'payword-user:1');
    const record = await db.get('keys', 'payword-user:1');
    expect(record).toMatchObject({ type: 'webcrypto' });
    const signer = (await userSigner(db, sealer, 'payword-user:1'))!;
    expect(signer.publicKey).toEqual(publicKey);
    expect(await signer.sign(new Uint8Array(4))).toHaveLength(64);
    db.close();
  });
});
