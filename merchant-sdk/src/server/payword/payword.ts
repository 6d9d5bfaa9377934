/**
 * The vendor's side of PayWord (Rivest & Shamir 1996, §4.3; DESIGN.md "PayWord"): verify a
 * chain's commitment once, then each payment with k hashes, and store the new last word
 * before serving.
 *
 * This is the hot path of a priced click, so it does no bank call (the broker's key is fetched
 * once and kept) and one durable write: the compare-and-swap of the chain's last index
 * together with the payment record (store.ts). Two payments spending the same words race to
 * that swap; the loser reads the chain again and is refused as a replay (or, for a later word,
 * accepted on top of the winner).
 *
 * The state each chain was left in by this process's last recorded payment is kept in memory,
 * so the next click does not read it back (a read was ~8% of a payment's event-loop time).
 * The cache only ever proposes the expected index: the store's swap still decides, and
 * refuses when another process moved the chain or settlement closed it; then the chain is
 * read again.
 *
 * The shop sees every chain of a broker certificate that commits to it, and the broker pays
 * all of them together only up to the certificate's credit limit (§4.2). So the store refuses,
 * in the payment's transaction, a payment that would take the certificate's chains here past
 * the limit (`payword_credit_limit_reached`): concurrent payments on two chains of one
 * certificate, in one process or several, cannot both be served on one limit.
 */
import { type Amount, formatAmount } from '@farthing/protocol/amount';
import { type ErrorCode, FarthingError, isErrorCode } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import type { SignedOffer } from '@farthing/protocol/offer';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { paywordCommitments, verifyPaywordCommitment } from '@farthing/protocol/payword/commitment';
import type { PaywordPayment } from '@farthing/protocol/payword/payment';
import {
  acceptPayment,
  initialVendorState,
  type PaywordVendorState,
} from '@farthing/protocol/payword/verifier';
import type { NewPaywordChain, PaymentRecord, PaywordChainRecord } from '../../store/store.ts';
import { brokerKeyAnswer, readBankAnswer } from '../bank/bank-answers.ts';
import type { BankClient } from '../bank/bank-client.ts';
import type { ResolvedConfig } from '../config.ts';

/** Compare-and-swap rounds before giving up: each lost round means another payment won. */
const maxRounds = 32;
/** Chains whose state is kept in memory (~300 bytes each); the least recently paid go first. */
const maxCachedChains = 20_000;

/**
 * Makes the payment record (receipt fields and grant) for the payment being accepted; its
 * receipt is signed meanwhile (payments.ts).
 */
export type IssuePayment = (commitmentId: Uint8Array) => PaymentRecord;

/**
 * The payment stored before under this credential id for the same offer, if any (payments.ts):
 * what a retry is answered with.
 */
export type FindStoredPayment = () => Promise<PaymentRecord | undefined>;

/** The vendor's PayWord state machine over the store (module comment). */
export class PaywordVendor {
  readonly #config: ResolvedConfig;
  readonly #bank: BankClient;
  #brokerKey: Promise<Uint8Array> | undefined;
  /** The tail of the payments queued per chain in this process. */
  readonly #chainQueues = new Map<string, Promise<unknown>>();
  /** Chain states as this process last recorded them (module comment), least recent first. */
  readonly #states = new Map<string, PaywordVendorState>();

  constructor(config: ResolvedConfig, bank: BankClient) {
    this.#config = config;
    this.#bank = bank;
  }

  /** The broker's Ed25519 key from `GET /v1/broker/key`, fetched once (again after a failure). */
  brokerKey(): Promise<Uint8Array> {
    if (this.#brokerKey === undefined) {
      this.#brokerKey = this.#bank
        .get('/v1/broker/key', { auth: false })
        .then((body) => readBankAnswer(brokerKeyAnswer, body, 'the broker key').publicKey);
      this.#brokerKey.catch(() => {
        this.#brokerKey = undefined;
      });
    }
    return this.#brokerKey;
  }

  /**
   * Accepts `payment` as exactly the price of `offer` and records it as `issue` makes it.
   * Returns the stored payment (the first one when this credential was stored before).
   */
  accept(
    offer: SignedOffer,
    payment: PaywordPayment,
    issue: IssuePayment,
    findStored: FindStoredPayment,
  ): Promise<PaymentRecord> {
    return this.#oneAtATime(payment.commitmentId, () =>
      this.#accept(offer, payment, issue, findStored),
    );
  }

  /**
   * Payments on one chain run one after another in this process: a wallet's quick second
   * click (word i + 2k) must be judged against the state its first click (i + k) left, not
   * against the state both read before either was stored. The compare-and-swap still decides
   * between processes sharing a store.
   */
  #oneAtATime<T>(commitmentId: Uint8Array, run: () => Promise<T>): Promise<T> {
    const key = chainKey(commitmentId);
    const previous = this.#chainQueues.get(key) ?? Promise.resolve();
    const result = previous.then(run, run);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#chainQueues.set(key, tail);
    void tail.then(() => {
      if (this.#chainQueues.get(key) === tail) this.#chainQueues.delete(key);
    });
    return result;
  }

  async #accept(
    offer: SignedOffer,
    payment: PaywordPayment,
    issue: IssuePayment,
    findStored: FindStoredPayment,
  ): Promise<PaymentRecord> {
    const store = this.#config.store;
    const key = chainKey(payment.commitmentId);
    for (let round = 0; round < maxRounds; round++) {
      const now = this.#config.now();
      let state = this.#states.get(key);
      const cached = state !== undefined;
      let newChain: NewPaywordChain | undefined;
      if (state === undefined) {
        const chain = await store.findPaywordChain(payment.commitmentId);
        if (chain === undefined) {
          ({ state, newChain } = await this.#firstUse(payment, now));
        } else {
          refuseRejected(chain);
          state = chain;
        }
      }
      let accepted: ReturnType<typeof acceptPayment>;
      try {
        const words = wordsForPrice(state, offer.amount, payment.index);
        accepted = acceptPayment(state, payment, { now, maxStep: words });
      } catch (error) {
        // Another process may have moved the chain past what this one remembers.
        if (!cached) throw error;
        this.#states.delete(key);
        continue;
      }
      const record = issue(payment.commitmentId);
      const result = await store.recordPaywordPayment({
        ...(newChain === undefined ? {} : { newChain }),
        commitmentId: payment.commitmentId,
        expectedLastIndex: state.lastIndex,
        lastIndex: accepted.state.lastIndex,
        lastWord: accepted.state.lastWord,
        payment: record,
      });
      if (result === 'recorded') {
        this.#remember(key, accepted.state);
        return record;
      }
      if (result === 'over_limit') {
        throw await this.#overLimit(payment.commitmentId, newChain, offer.amount);
      }
      this.#states.delete(key);
      if (result === 'duplicate') {
        const stored = await findStored();
        if (stored !== undefined) return stored;
      }
    }
    throw new FarthingError('conflict', 'too many payments on this PayWord chain at once; retry');
  }

  async #overLimit(
    commitmentId: Uint8Array,
    newChain: NewPaywordChain | undefined,
    price: Amount,
  ): Promise<FarthingError> {
    const limit =
      newChain?.creditLimit ??
      (await this.#config.store.findPaywordChain(commitmentId))?.creditLimit;
    const shown = limit === undefined ? 'its credit limit' : formatAmount(limit);
    return new FarthingError(
      'payword_credit_limit_reached',
      `this PayWord certificate has reached its credit limit of ${shown} at this shop; pay the ${formatAmount(price)} another way`,
      {
        details: {
          field: 'payment.commitment.certificate.creditLimit',
          ...(limit === undefined ? {} : { creditLimit: formatAmount(limit) }),
          price: formatAmount(price),
        },
      },
    );
  }

  #remember(key: string, state: PaywordVendorState): void {
    this.#states.delete(key);
    if (this.#states.size >= maxCachedChains) {
      this.#states.delete(this.#states.keys().next().value as string);
    }
    this.#states.set(key, state);
  }

  /** §4.3: the commitment's and certificate's signatures, vendor and expiry, checked once. */
  async #firstUse(
    payment: PaywordPayment,
    now: number,
  ): Promise<{ state: PaywordVendorState; newChain: NewPaywordChain }> {
    const { commitment } = payment;
    if (commitment === undefined) {
      throw new FarthingError(
        'payword_commitment_unknown',
        'this shop has not seen this PayWord chain: send its commitment with the payment',
        { details: { field: 'payment.commitment' } },
      );
    }
    const verified = verifyPaywordCommitment(commitment, {
      vendorId: this.#config.merchantId,
      brokerPublicKey: await this.brokerKey(),
      now,
      verify: nodeEd25519Verify,
    });
    const state = initialVendorState(verified);
    return {
      state,
      newChain: {
        commitmentId: state.commitmentId,
        commitment: JSON.stringify(paywordCommitments.toJson(commitment)),
        userId: commitment.certificate.userId,
        length: state.length,
        valuePerWord: state.valuePerWord,
        expiresAt: state.expiresAt,
        lastWord: state.lastWord,
        createdAt: now,
        certificateId: paywordCertificates.id(commitment.certificate),
        creditLimit: commitment.certificate.creditLimit,
      },
    };
  }
}

function chainKey(commitmentId: Uint8Array): string {
  return Buffer.from(commitmentId).toString('latin1');
}

/**
 * The number of paywords that pay `price` exactly: k × value per word must equal the price
 * (the vendor is owed k words, never a fraction, and must not take more than it charges).
 */
export function wordsForPrice(state: PaywordVendorState, price: Amount, index: number): number {
  const value = state.valuePerWord;
  if (value.currency !== price.currency) {
    throw new FarthingError(
      'currency_mismatch',
      `this PayWord chain pays in ${value.currency}, the price is in ${price.currency}`,
      { details: { field: 'payment.commitment.valuePerWord', expected: price.currency } },
    );
  }
  if (price.minor % value.minor !== 0) {
    throw new FarthingError(
      'payword_amount_mismatch',
      `paywords of ${formatAmount(value)} cannot make the price of ${formatAmount(price)}`,
      { details: { field: 'payment.index', price: formatAmount(price) } },
    );
  }
  const words = price.minor / value.minor;
  // An index at or below the last one is a replay; acceptPayment says so with its own code.
  if (index > state.lastIndex && index - state.lastIndex !== words) {
    throw new FarthingError(
      'payword_amount_mismatch',
      `the price of ${formatAmount(price)} is ${words} paywords; this payment spends ${index - state.lastIndex}`,
      {
        details: {
          field: 'payment.index',
          expectedIndex: state.lastIndex + words,
          index,
          price: formatAmount(price),
        },
      },
    );
  }
  return words;
}

/** A chain the broker refused for good is worth nothing to this vendor any more. */
function refuseRejected(chain: PaywordChainRecord): void {
  if (chain.status !== 'rejected') return;
  const code: ErrorCode =
    chain.rejectionCode !== undefined && isErrorCode(chain.rejectionCode)
      ? chain.rejectionCode
      : 'forbidden';
  throw new FarthingError(
    code,
    'the broker no longer pays for this PayWord chain; start a new one',
    {
      details: { field: 'payment.commitmentId' },
    },
  );
}
