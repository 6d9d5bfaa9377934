/** What every wallet flow works with: the database, the sealing key, the network and clock. */
import type { WalletDatabase } from './db/schema.ts';
import type { Sealer } from './keys.ts';
import type { WalletPlatform } from './platform.ts';

export interface WalletContext {
  readonly db: WalletDatabase;
  readonly sealer: Sealer;
  readonly platform: WalletPlatform;
}
