/**
 * What every route module receives: configuration, storage, keys, clock and logger, and the
 * Hono environment type (who is calling, once authenticated).
 */
import type { IncomingMessage } from 'node:http';
import type { Ed25519Signer } from '@farthing/protocol/ed25519';
import type { CertificateAuthority } from '../ca/certificate-authority.ts';
import type { BankConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { DepositVerifier } from '../mint/deposit-verifier.ts';
import type { Keyring } from '../mint/keyring.ts';
import type { AccountRecord, BankStore } from '../store/store.ts';

export interface BankKeys {
  /** Signs the mint's key sets. */
  readonly mintMaster: Ed25519Signer;
  /** Signs PayWord user certificates. */
  readonly broker: Ed25519Signer;
  /** Signs hardware purse load authorizations (purse/). */
  readonly purseIssuer: Ed25519Signer;
}

export interface BankContext {
  readonly config: BankConfig;
  readonly store: BankStore;
  readonly log: Logger;
  readonly keys: BankKeys;
  /** The mint's denomination keys (mint/keyring.ts). */
  readonly mint: Keyring;
  /** Checks the coins of deposits in worker threads (mint/deposit-verifier.ts). */
  readonly depositVerifier: DepositVerifier;
  /** The bank's certificate authority, loaded from storage (ca/bank-authority.ts). */
  readonly ca: CertificateAuthority;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly now: () => number;
}

export type Scope = 'account' | 'withdraw' | 'payword';
export const allScopes: readonly Scope[] = ['account', 'withdraw', 'payword'];

export interface BankEnv {
  /** Set by @hono/node-server; absent when a test calls `app.request` directly. */
  Bindings: { incoming?: IncomingMessage };
  Variables: {
    /** Set by the auth middleware. */
    account: AccountRecord;
    scopes: readonly string[];
    requestId: string;
    /** The request body as received, for the idempotency hash. */
    rawBody: Uint8Array;
  };
}
