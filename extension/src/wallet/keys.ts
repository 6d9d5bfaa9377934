/**
 * The wallet's keys (DESIGN.md "Signatures and keys"): non-extractable `CryptoKey`s stored in
 * IndexedDB, never in `chrome.storage`.
 *
 * - The wallet key: AES-256-GCM, non-extractable, made on first open. Seeds (withdrawals,
 *   PayWord chains) and session tokens are sealed under it, so a copy of the database files
 *   alone does not spend anything.
 * - PayWord user keys: Ed25519, one per bank, non-extractable where WebCrypto has Ed25519
 *   (Chromium 137+, Node 20). Where it does not, the Ed25519 seed is kept sealed under the
 *   wallet key and signed with in memory (@noble/curves through the protocol).
 */
import { type Ed25519Signer, ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import type { KeyRecord, SealedSecret, WalletDatabase } from './db/schema.ts';

const walletKeyId = 'wallet-key';

/** Seals and opens secrets with the wallet key. */
export interface Sealer {
  seal(secret: Uint8Array): Promise<SealedSecret>;
  open(sealed: SealedSecret): Promise<Uint8Array>;
}

export async function openSealer(db: WalletDatabase): Promise<Sealer> {
  const key = await walletKey(db);
  return {
    async seal(secret) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new Uint8Array(secret)),
      );
      return { iv, data };
    },
    async open(sealed) {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: new Uint8Array(sealed.iv) },
          key,
          new Uint8Array(sealed.data),
        ),
      );
    },
  };
}

async function walletKey(db: WalletDatabase): Promise<CryptoKey> {
  const stored = await db.get('keys', walletKeyId);
  if (stored !== undefined && 'key' in stored) return stored.key;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  // Two first opens racing: `add` lets only one key in, and both then use that one.
  const tx = db.transaction('keys', 'readwrite', { durability: 'strict' });
  const again = await tx.store.get(walletKeyId);
  if (again !== undefined && 'key' in again) {
    await tx.done;
    return again.key;
  }
  await tx.store.add({ id: walletKeyId, key });
  await tx.done;
  return key;
}

let webCryptoEd25519: Promise<boolean> | undefined;

/** Whether this platform's WebCrypto makes and signs with Ed25519 keys. */
export function hasWebCryptoEd25519(): Promise<boolean> {
  webCryptoEd25519 ??= crypto.subtle
    .generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
    .then(
      () => true,
      () => false,
    );
  return webCryptoEd25519;
}

/** Makes the PayWord user key `id` and stores it (no network, so it may precede the request). */
export async function createUserKey(
  db: WalletDatabase,
  sealer: Sealer,
  id: `payword-user:${string}`,
): Promise<Uint8Array> {
  let record: KeyRecord;
  if (await hasWebCryptoEd25519()) {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    record = { id, type: 'webcrypto', privateKey: pair.privateKey, publicKey };
  } else {
    const secret = randomSecretKey();
    const signer = ed25519Signer(secret);
    record = {
      id,
      type: 'sealed',
      secretKey: await sealer.seal(secret),
      publicKey: signer.publicKey,
    };
    secret.fill(0);
  }
  await db.put('keys', record);
  return record.publicKey;
}

export async function userSigner(
  db: WalletDatabase,
  sealer: Sealer,
  id: `payword-user:${string}`,
): Promise<Ed25519Signer | undefined> {
  const record = await db.get('keys', id);
  if (record === undefined || !('type' in record)) return undefined;
  if (record.type === 'webcrypto') {
    const { privateKey, publicKey } = record;
    return {
      publicKey,
      sign: async (message) =>
        new Uint8Array(await crypto.subtle.sign('Ed25519', privateKey, new Uint8Array(message))),
    };
  }
  const secret = await sealer.open(record.secretKey);
  const signer = ed25519Signer(secret);
  secret.fill(0);
  return signer;
}
