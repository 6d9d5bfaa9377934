/**
 * The PayWord broker (Rivest & Shamir 1996, §4): what its actions share. The broker's key
 * signs user certificates; its verified-commitment cache lets a vendor's incremental
 * redemptions skip the signature checks after the first.
 *
 * A vendor is a merchant account, and its PayWord vendor id (the `V` a commitment names) is
 * the account's name, the same merchant id its signed offers carry.
 */
import { randomBytes } from 'node:crypto';
import type { BankContext } from '../http/context.ts';
import { defaultCommitmentCacheSize, VerifiedCommitmentCache } from './commitment-cache.ts';

export interface Broker {
  readonly ctx: BankContext;
  /** The key that verifies this broker's certificates (`ctx.keys.broker`). */
  readonly publicKey: Uint8Array;
  readonly commitments: VerifiedCommitmentCache;
  /** A fresh certificate serial; injectable so tests can force a collision. */
  readonly randomSerial: () => number;
}

export interface CreateBrokerOptions {
  readonly cacheSize?: number;
  readonly randomSerial?: () => number;
}

/**
 * A uniformly random serial in [1, 2^53 − 1]: a positive safe integer, so it survives JSON
 * and SQLite's INTEGER unchanged, and unguessable, so serials do not reveal how many
 * certificates the broker issued. Collisions are retried by the caller.
 */
export function randomSerial(): number {
  for (;;) {
    const serial = Number(randomBytes(8).readBigUInt64BE(0) >> 11n); // the top 53 bits
    if (serial > 0) return serial;
  }
}

export function createBroker(ctx: BankContext, options: CreateBrokerOptions = {}): Broker {
  return {
    ctx,
    publicKey: ctx.keys.broker.publicKey,
    commitments: new VerifiedCommitmentCache(options.cacheSize ?? defaultCommitmentCacheSize),
    randomSerial: options.randomSerial ?? randomSerial,
  };
}
