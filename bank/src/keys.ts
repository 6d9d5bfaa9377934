/**
 * The bank's long-term Ed25519 keys (mint master key, PayWord broker key, purse issuer key), created on first
 * start and kept in the database. The secret stays in the bank's data folder, which the
 * operator must protect like the keys themselves.
 */
import { ed25519PublicKey, randomSecretKey } from '@farthing/protocol/ed25519';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import type { BankKeys } from './http/context.ts';
import type { BankStore } from './store/store.ts';

async function ensureSigner(store: BankStore, name: string, now: number) {
  const secret = randomSecretKey();
  const stored = await store.ensureBankKey({
    name,
    secret,
    publicKey: ed25519PublicKey(secret),
    now,
  });
  secret.fill(0);
  return nodeEd25519Signer(stored.secret);
}

export async function loadBankKeys(store: BankStore, now: number): Promise<BankKeys> {
  return {
    mintMaster: await ensureSigner(store, 'mint-master', now),
    broker: await ensureSigner(store, 'payword-broker', now),
    purseIssuer: await ensureSigner(store, 'purse-issuer', now),
  };
}
