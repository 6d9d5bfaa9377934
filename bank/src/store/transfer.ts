/**
 * The ledger transfer most money movements are: one amount from one account to another.
 * Both stores post it (sqlite/ledger.ts, postgres/ledger.ts) in the transaction of the state
 * change it pays for.
 */
import type { TransferParams } from './sqlite/ledger.ts';

export function transferBetween(
  kind: string,
  reference: string,
  from: number,
  to: number,
  amount: number,
  now: number,
): TransferParams {
  return {
    kind,
    reference,
    postings: [
      { accountId: from, amount: -amount },
      { accountId: to, amount },
    ],
    now,
  };
}
