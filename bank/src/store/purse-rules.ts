/**
 * What the purse issuer's calls do, decided from the rows both backends read for them
 * (sqlite/purse.ts and postgres/purse.ts keep only their SQL and their locks): which card
 * may be issued, loaded, cleared against or blocked, and the ledger transfer each makes.
 */

import { FarthingError } from '@farthing/protocol/errors';
import {
  maxPurseCardsPerAccount,
  type PurseCardRecord,
  type PurseClearingClaim,
  type PurseClearingOutcome,
  type PurseLoadRecord,
  purseCardLimitReached,
} from './store.ts';
import { type TransferParams, transferBetween } from './transfer.ts';

export const shadowAccountPrefix = 'system:purse-shadow:';
export const purseFeesAccount = 'system:purse-fees';

type LoadParameters = Omit<PurseLoadRecord, 'createdAt'> & { accountId: number; now: number };

export function purseCardIssued(): FarthingError {
  return new FarthingError('conflict', 'this card was issued already', {
    details: { field: 'cardId' },
  });
}

/** A holder may have a few cards open at once (`maxPurseCardsPerAccount`). */
export function assertPurseCardRoom(openCards: number): void {
  if (openCards >= maxPurseCardsPerAccount) throw purseCardLimitReached();
}

/** The shadow account that holds what a card was loaded with. */
export function shadowAccount(cardId: string, currency: string, now: number) {
  return {
    kind: 'system' as const,
    name: `${shadowAccountPrefix}${cardId}`,
    displayName: `Purse card ${cardId} (shadow)`,
    currency,
    now,
  };
}

/** A load made before at this counter: the same amount is a retry, another a conflict. */
export function repeatedLoad<L extends { amount: number }>(existing: L, load: LoadParameters): L {
  if (existing.amount !== load.amount) {
    throw new FarthingError(
      'conflict',
      'this card was authorized another amount at this load counter; load that first',
      { details: { field: 'loadCounter', amount: existing.amount } },
    );
  }
  return existing;
}

/** The card is this holder's (`purse_card_unknown` otherwise, whether or not it exists). */
export function assertOwnCard(
  card: PurseCardRecord | undefined,
  accountId: number,
): asserts card is PurseCardRecord {
  if (card === undefined || card.accountId !== accountId) {
    throw new FarthingError('purse_card_unknown', 'no such card on this account');
  }
}

/** Loading: the holder's own card, still active; the money moves to its shadow account. */
export function purseLoadTransfer(card: PurseCardRecord | undefined, load: LoadParameters) {
  assertOwnCard(card, load.accountId);
  if (card.status !== 'active') {
    throw new FarthingError('purse_card_blocked', 'the card is blocked');
  }
  return transferBetween(
    'purse_load',
    `${load.cardId}/${load.loadCounter}`,
    load.accountId,
    card.shadowAccountId,
    load.amount,
    load.now,
  ) satisfies TransferParams;
}

/**
 * Clearing: a card that is not closed (a blocked card's proofs made before the block still
 * clear); the amount leaves its shadow account, the merchant gets it less the fee.
 */
export function purseClearingTransfer(
  card: PurseCardRecord | undefined,
  claim: PurseClearingClaim,
  accounts: { merchant: number; fees: number },
  now: number,
): TransferParams {
  if (card === undefined) throw new FarthingError('purse_card_unknown', 'unknown card');
  if (card.status === 'closed') {
    throw new FarthingError(
      'purse_card_blocked',
      'the card was blocked and its money returned to the holder',
    );
  }
  const postings = [
    { accountId: card.shadowAccountId, amount: -claim.amount },
    { accountId: accounts.merchant, amount: claim.amount - claim.fee },
  ];
  if (claim.fee > 0) postings.push({ accountId: accounts.fees, amount: claim.fee });
  return {
    kind: 'purse_clearing',
    reference: `${claim.cardId}/${claim.sno}`,
    postings: postings.filter((p) => p.amount !== 0),
    now,
  };
}

export function purseProofDuplicate(): FarthingError {
  return new FarthingError('purse_proof_duplicate', 'this payment was cleared already');
}

/**
 * The ledger's refusal of a clearing, told as the purse's: the shadow account holds what the
 * card was loaded with, so a proof beyond it was not made by a card the bank loaded.
 */
export function clearingRefusal(error: unknown): unknown {
  if (error instanceof FarthingError && error.code === 'insufficient_funds') {
    return new FarthingError(
      'insufficient_funds',
      "the card's shadow account does not cover this proof",
    );
  }
  return error;
}

export function clearedOutcome(claim: PurseClearingClaim): PurseClearingOutcome {
  const { cardId, sno, tno, amount, fee } = claim;
  return { status: 'cleared', cardId, sno, tno, amount, fee };
}

export function rejectedOutcome(claim: PurseClearingClaim, error: unknown): PurseClearingOutcome {
  const { cardId, sno, tno } = claim;
  return { status: 'rejected', cardId, sno, tno, error };
}

/** Closing a blocked card: what is left on its shadow account goes back to the holder. */
export function purseRefundTransfer(
  card: { cardId: string; accountId: number; shadowAccountId: number; shadowBalance: number },
  now: number,
): TransferParams {
  return transferBetween(
    'purse_refund',
    card.cardId,
    card.shadowAccountId,
    card.accountId,
    card.shadowBalance,
    now,
  );
}
