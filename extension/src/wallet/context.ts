/** What every wallet flow works with: the database, the sealing key, the network and clock. */
import type { WalletDatabase } from './db/schema.ts';
import type { Sealer } from './keys.ts';
import type { WalletPlatform } from './platform.ts';

export interface WalletContext {
  readonly db: WalletDatabase;
  readonly sealer: Sealer;
  readonly platform: WalletPlatform;
}

/**
 * A `Map` per wallet database, made on first use: what the worker remembers of one wallet
 * (caches, recent clicks) goes when its database handle does.
 */
export function perDatabase<K, V>(): (db: WalletDatabase) => Map<K, V> {
  const maps = new WeakMap<WalletDatabase, Map<K, V>>();
  return (db) => {
    let map = maps.get(db);
    if (map === undefined) {
      map = new Map();
      maps.set(db, map);
    }
    return map;
  };
}
