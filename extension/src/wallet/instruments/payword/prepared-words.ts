/**
 * A chain record without its prepared words (PaywordChainRecord.prepared, ./prepared.ts): a
 * pure function, so the reservations, the backup and the sweep at start agree on it.
 */
import type { PaywordChainRecord } from '../../db/schema.ts';

/**
 * The chain as it stands without its prepared words. `taken`: the click's payment
 * (`prepared.paymentId`) is stored, so the words are that payment's and stay reserved; else
 * nothing of them left the wallet, and they go back to the chain (`released` names the journal
 * entry that counted them, which the caller deletes in the same transaction).
 */
export function withoutPreparedWords(
  chain: PaywordChainRecord,
  taken: boolean,
): { readonly chain: PaywordChainRecord; readonly released?: string } {
  const { prepared, ...rest } = chain;
  if (prepared === undefined || taken) return { chain: rest };
  // The prepared words are always the chain's last reserved ones (no word is reserved on a
  // chain without first settling them); should they not be, they stay spoken for, and counted:
  // a word given back below a later one would be spent twice.
  if (chain.reservedIndex !== prepared.index) return { chain: rest };
  return {
    chain: { ...rest, reservedIndex: prepared.index - prepared.words },
    released: prepared.journalId,
  };
}
