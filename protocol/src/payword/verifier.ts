/**
 * The vendor's side of PayWord (Rivest & Shamir 1996, §4.3): after verifying a commitment
 * once, each payment (w_i, i) costs k = i − lastIndex hashes and no signature. The vendor
 * keeps only the last word it accepted and its index; that is all it needs to verify the next
 * payment and to redeem (§4.4).
 *
 * On a chain's first use the payment carries the commitment: the caller parses it, runs
 * `verifyPaywordCommitment`, stores `initialVendorState(verified)`, then calls `acceptPayment`.
 *
 * Pure and in memory: `acceptPayment` returns a new state and never touches its input, so the
 * caller decides when the state is durable. It must store the returned state before serving,
 * or a crash lets the same paywords pay twice.
 */
import { type Amount, multiplyAmount } from '../amount.ts';
import { equalBytes } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import { assertAmount, assertObject } from './arguments.ts';
import { hashWordTimes, maxPaywordChainLength, paywordWordLength } from './chain.ts';
import type { VerifiedPaywordCommitment } from './commitment.ts';
import { assertPaywordPayment, type PaywordPayment, paywordCommitmentIdLength } from './payment.ts';

export interface PaywordVendorState {
  readonly commitmentId: Uint8Array;
  readonly length: number;
  readonly valuePerWord: Amount;
  readonly expiresAt: number;
  /** Index of the last accepted word; 0 before any payment. */
  readonly lastIndex: number;
  /** w_lastIndex; the root w_0 before any payment. */
  readonly lastWord: Uint8Array;
}

/** The state of a chain nobody has paid from yet. */
export function initialVendorState(verified: VerifiedPaywordCommitment): PaywordVendorState {
  assertObject(verified, 'verified');
  const { commitmentId, commitment } = verified;
  assertBytes(commitmentId, 'verified.commitmentId', paywordCommitmentIdLength);
  assertObject(commitment, 'verified.commitment');
  return {
    commitmentId: commitmentId.slice(),
    length: commitment.length,
    valuePerWord: commitment.valuePerWord,
    expiresAt: commitment.expiresAt,
    lastIndex: 0,
    lastWord: commitment.root.slice(),
  };
}

function assertVendorState(state: unknown): asserts state is PaywordVendorState {
  assertObject(state, 'state');
  const s = state as PaywordVendorState;
  assertBytes(s.commitmentId, 'state.commitmentId', paywordCommitmentIdLength);
  assertInteger(s.length, 'state.length', 1, maxPaywordChainLength);
  assertAmount(s.valuePerWord, 'state.valuePerWord');
  assertInteger(s.expiresAt, 'state.expiresAt');
  assertInteger(s.lastIndex, 'state.lastIndex', 0, s.length);
  assertBytes(s.lastWord, 'state.lastWord', paywordWordLength);
}

export interface AcceptPaymentOptions {
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
  /**
   * The most paywords one payment may spend: bounds the hashing a payment can make the
   * vendor do (an attacker naming i = n costs n hashes) to what its prices need.
   */
  readonly maxStep: number;
}

export interface AcceptPaymentReturnType {
  readonly state: PaywordVendorState;
  /** k: the number of paywords this payment spent. */
  readonly words: number;
  /** k × value per payword. */
  readonly amount: Amount;
}

/**
 * Verifies one payment against the vendor's state. Throws `offer_mismatch` for another
 * commitment, `payword_commitment_expired`, `payword_replayed` for an index already paid,
 * `payword_out_of_range` past the chain's end or beyond `maxStep`, `payword_mismatch` when
 * H^k(w_i) ≠ w_lastIndex.
 */
export function acceptPayment(
  state: PaywordVendorState,
  payment: Pick<PaywordPayment, 'commitmentId' | 'index' | 'word'>,
  options: AcceptPaymentOptions,
): AcceptPaymentReturnType {
  assertVendorState(state);
  assertPaywordPayment(payment);
  assertObject(options, 'options');
  const { now, maxStep } = options;
  assertInteger(now, 'options.now');
  assertInteger(maxStep, 'options.maxStep', 1, maxPaywordChainLength);

  if (!equalBytes(payment.commitmentId, state.commitmentId)) {
    throw new FarthingError('offer_mismatch', 'this payword draws on another PayWord commitment', {
      details: { field: 'commitmentId' },
    });
  }
  if (now >= state.expiresAt) {
    throw new FarthingError(
      'payword_commitment_expired',
      'this PayWord chain has expired: the wallet must commit to a new one',
      { details: { field: 'expiresAt', expiresAt: state.expiresAt, now } },
    );
  }
  const { index } = payment;
  if (index <= state.lastIndex) {
    throw new FarthingError('payword_replayed', `payword ${index} has already been spent`, {
      details: { field: 'index', index, lastIndex: state.lastIndex },
    });
  }
  if (index > state.length) {
    throw new FarthingError(
      'payword_out_of_range',
      `payword ${index} is beyond the chain's ${state.length} words`,
      { details: { field: 'index', index, length: state.length } },
    );
  }
  const words = index - state.lastIndex;
  if (words > maxStep) {
    throw new FarthingError(
      'payword_out_of_range',
      `payword ${index} spends ${words} paywords at once, more than ${maxStep}`,
      { details: { field: 'index', index, lastIndex: state.lastIndex, maxStep } },
    );
  }
  if (!equalBytes(hashWordTimes(payment.word, words), state.lastWord)) {
    throw new FarthingError(
      'payword_mismatch',
      `payword ${index} does not hash to the last accepted word`,
      { details: { field: 'word', index, lastIndex: state.lastIndex } },
    );
  }
  // Plain literals, not spread or `Object.freeze`: freezing cost ~1 µs per call in V8 here,
  // as much as the hash itself.
  const next: PaywordVendorState = {
    commitmentId: state.commitmentId,
    length: state.length,
    valuePerWord: state.valuePerWord,
    expiresAt: state.expiresAt,
    lastIndex: index,
    lastWord: payment.word.slice(),
  };
  return { state: next, words, amount: multiplyAmount(state.valuePerWord, words) };
}
