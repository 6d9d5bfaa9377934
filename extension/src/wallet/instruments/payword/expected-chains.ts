/**
 * Per database and vendor: the open chain as this worker last wrote it, which the next click
 * expects to find unchanged (reservation.ts reserves on it without reading it first, and checks
 * in the same transaction that it was right).
 */
import { perDatabase } from '../../context.ts';
import type { PaywordChainRecord, WalletDatabase } from '../../db/schema.ts';

export const expectedChainsOf = perDatabase<string, PaywordChainRecord>();

/**
 * The chain as a write this worker made leaves it, for the next click to expect. Only an open
 * chain: a late confirmation of a payment on a chain closed since must not make the vendor's
 * next clicks expect the closed one.
 */
export function expectChain(db: WalletDatabase, chain: PaywordChainRecord): void {
  const expected = expectedChainsOf(db);
  if (chain.status === 'open') expected.set(chain.vendorId, chain);
  else if (expected.get(chain.vendorId)?.id === chain.id) expected.delete(chain.vendorId);
}
