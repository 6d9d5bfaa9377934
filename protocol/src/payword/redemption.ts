/**
 * The broker's side of redemption (Rivest & Shamir 1996, §4.4): the vendor sends, per
 * commitment, the last payword it received and its index; the broker checks the commitment
 * and that the word hashes to the root, pays the vendor index × value and debits the user.
 *
 * Redemption here is incremental: a vendor may redeem a chain several times as it is spent.
 * The broker keeps the last (index, word) it paid for; a later redemption only has to hash
 * down to that word and is owed only the difference. An equal redemption with the same word is
 * a retry and is owed nothing; a shorter one is a replay.
 */
import { type Amount, multiplyAmount } from '../amount.ts';
import { equalBytes } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import { assertAmount, assertObject } from './arguments.ts';
import { hashWordTimes, maxPaywordChainLength, paywordWordLength } from './chain.ts';
import type { VerifiedPaywordCommitment } from './commitment.ts';

export interface RedeemedPayword {
  readonly index: number;
  /** w_index. */
  readonly word: Uint8Array;
}

export interface VerifyRedemptionParameters {
  /** The last word the broker already paid for on this commitment; none on first redemption. */
  readonly previous?: RedeemedPayword | undefined;
  readonly next: RedeemedPayword;
}

export interface VerifyRedemptionReturnType {
  /** What the broker records as `previous` for the next redemption. */
  readonly redeemed: RedeemedPayword;
  /** Paywords newly owed to the vendor. */
  readonly words: number;
  /** words × value per payword: what to move from the user's account to the vendor's. */
  readonly amount: Amount;
}

function assertRedeemed(value: unknown, field: string, length: number): RedeemedPayword {
  assertObject(value, field);
  const r = value as RedeemedPayword;
  assertInteger(r.index, `${field}.index`, 0, length);
  assertBytes(r.word, `${field}.word`, paywordWordLength);
  return r;
}

/**
 * Throws `payword_replayed` when `next` is behind what was already paid, `payword_mismatch`
 * when it does not hash to the previous word (or to the root), `payword_out_of_range` past the
 * chain's end. The caller stores `redeemed` and the ledger rows in one transaction.
 */
export function verifyRedemption(
  verified: VerifiedPaywordCommitment,
  params: VerifyRedemptionParameters,
): VerifyRedemptionReturnType {
  assertObject(verified, 'verified');
  const { commitment } = verified;
  assertObject(commitment, 'verified.commitment');
  assertObject(params, 'params');
  const { length, root, valuePerWord } = commitment;
  assertInteger(length, 'verified.commitment.length', 1, maxPaywordChainLength);
  assertBytes(root, 'verified.commitment.root', paywordWordLength);
  assertAmount(valuePerWord, 'verified.commitment.valuePerWord');
  const previous =
    params.previous === undefined
      ? { index: 0, word: root }
      : assertRedeemed(params.previous, 'previous', length);
  assertObject(params.next, 'next');
  assertInteger(params.next.index, 'next.index', 1);
  if (params.next.index > length) {
    throw new FarthingError(
      'payword_out_of_range',
      `payword ${params.next.index} is beyond the chain's ${length} words`,
      { details: { field: 'next.index', index: params.next.index, length } },
    );
  }
  const next = assertRedeemed(params.next, 'next', length);

  if (next.index < previous.index) {
    throw new FarthingError(
      'payword_replayed',
      `paywords up to ${previous.index} have already been redeemed`,
      { details: { field: 'next.index', index: next.index, redeemedIndex: previous.index } },
    );
  }
  const words = next.index - previous.index;
  if (!equalBytes(hashWordTimes(next.word, words), previous.word)) {
    throw new FarthingError(
      'payword_mismatch',
      `payword ${next.index} does not hash to the last redeemed word`,
      { details: { field: 'next.word', index: next.index, redeemedIndex: previous.index } },
    );
  }
  return Object.freeze({
    redeemed: Object.freeze({ index: next.index, word: next.word.slice() }),
    words,
    amount: multiplyAmount(valuePerWord, words),
  });
}
