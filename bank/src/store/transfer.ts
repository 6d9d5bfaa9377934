/**
 * Ledger transfers as both stores post them (sqlite/ledger.ts, postgres/ledger.ts), in the
 * transaction of the state change they pay for: a set of postings that sum to zero, most often
 * one amount from one account to another.
 */

export interface Posting {
  readonly accountId: number;
  /** Minor units; positive credits the account, negative debits it. */
  readonly amount: number;
}

export interface TransferParams {
  readonly kind: string;
  readonly reference: string;
  readonly postings: readonly Posting[];
  readonly now: number;
}

/**
 * Money is neither lost nor created: every posting a whole, non-zero number of minor units, at
 * least two of them, summing to zero. Anything else is a bug in the caller, refused before the
 * ledger is touched.
 */
export function assertBalanced({ kind, reference, postings }: TransferParams): void {
  let sum = 0;
  for (const { amount } of postings) {
    if (!Number.isSafeInteger(amount) || amount === 0) {
      throw new Error(`ledger posting of ${amount} in ${kind} ${reference}`);
    }
    sum += amount;
  }
  if (sum !== 0 || postings.length < 2) {
    throw new Error(`unbalanced transfer ${kind} ${reference}: postings sum to ${sum}`);
  }
}

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
