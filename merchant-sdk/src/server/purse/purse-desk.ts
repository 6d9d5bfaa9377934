/**
 * The `purse` instrument on the merchant's side (DESIGN.md "Hardware purse"): the signed
 * challenge (a fresh transaction number TNo and a random nonce), offline verification of the
 * card's proof against the card certificate and the bank's CA, the proof kept durably before
 * anything is served, and clearing with the issuer in batches.
 *
 * `acceptProof` alone is offline: the card certificate, the bank's CA certificate and the
 * card's signature are all it checks, and the issuer's clearing later refuses what it must (a
 * card reported lost, a key the holder made up outside any card, a proof beyond the card's
 * balance), which is then the merchant's loss, as with GeldKarte. The issuer cannot tell a key
 * in a card from one in software (README "The hardware purse"), so the pay endpoint does not
 * serve on the offline check: it clears the one proof with the issuer first (`clearNow`, one
 * round trip to the bank, as an e-cash deposit is) and serves only a proof the issuer cleared.
 */
import { randomUUID } from 'node:crypto';
import { type Amount, formatAmount, parseAmount } from '@farthing/protocol/amount';
import type { Ed25519Signer, Ed25519Verify } from '@farthing/protocol/ed25519';
import { equalBytes, toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { verifyPurseCardCertificate } from '@farthing/protocol/purse/card-certificate';
import { purseChallenges, randomPurseNonce } from '@farthing/protocol/purse/challenge';
import { maxPurseClearingBatch, purseProofs } from '@farthing/protocol/purse/proof';
import * as v from 'valibot';
import { BankClient, type BankClientOptions } from '../bank/bank-client.ts';
import type { PurseProofBatch, PurseStore } from './purse-store.ts';

export const defaultChallengeTtlMs = 5 * 60_000;
/** The issuer's batch limit, under the name this module has always exported it by. */
export { maxPurseClearingBatch as maxClearingBatch };

export interface PurseDeskOptions {
  readonly merchantId: string;
  /** The merchant's offer-signing key, the one its certificate certifies. */
  readonly signer: Ed25519Signer;
  /**
   * The merchant certificate (DER), then its issuer's: what the card authenticates. A function
   * is asked at each challenge (the merchant's renewal schedule replaces the chain).
   */
  readonly merchantChain: readonly Uint8Array[] | (() => readonly Uint8Array[]);
  /** CA certificates of the banks whose cards this merchant takes. */
  readonly trustedRoots: readonly Uint8Array[];
  readonly store: PurseStore;
  /** The issuer's URL and the merchant's API key there. */
  readonly bank: BankClientOptions;
  readonly now?: () => number;
  readonly challengeTtlMs?: number;
  readonly ed25519Verify?: Ed25519Verify;
}

export interface PurseChallengeView {
  readonly tno: number;
  /** `purseChallenges.encode`, base64url: what the wallet hands the reader. */
  readonly challenge: string;
  readonly merchantChain: readonly string[];
  readonly amount: string;
  readonly expiresAt: number;
}

export interface AcceptedPurseProof {
  readonly tno: number;
  readonly cardId: string;
  readonly sno: number;
  readonly amount: Amount;
}

export interface ClearReturnType {
  readonly batches: number;
  readonly cleared: number;
  readonly rejected: number;
}

const clearingAnswer = v.object({
  items: v.array(
    v.variant('status', [
      v.object({ status: v.literal('cleared'), tno: v.number(), fee: v.string() }),
      v.object({ status: v.literal('rejected'), code: v.string() }),
    ]),
  ),
});

function mismatch(message: string, field: string): FarthingError {
  return new FarthingError('offer_mismatch', message, { details: { field } });
}

export class PurseDesk {
  readonly #o: PurseDeskOptions;
  readonly #now: () => number;
  readonly #verify: Ed25519Verify;
  readonly #bank: BankClient;
  #clearing: Promise<ClearReturnType> | undefined;

  constructor(options: PurseDeskOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#verify = options.ed25519Verify ?? nodeEd25519Verify;
    this.#bank = new BankClient(options.bank);
  }

  /**
   * A challenge for `price`, stored before it is handed out so its TNo is never reused. With
   * `offerHash` (the pay endpoint's challenges) its proof pays that offer only
   * (`acceptPayment`).
   */
  async createChallenge(
    price: Amount,
    options: { readonly offerHash?: Uint8Array } = {},
  ): Promise<PurseChallengeView> {
    if (price.minor <= 0) {
      throw new FarthingError('invalid_amount', 'a purse payment is more than zero', {
        details: { field: 'price' },
      });
    }
    const now = this.#now();
    const nonce = randomPurseNonce();
    const expiresAt = now + (this.#o.challengeTtlMs ?? defaultChallengeTtlMs);
    const tno = this.#o.store.insertChallenge({
      nonce,
      currency: price.currency,
      amount: price.minor,
      issuedAt: now,
      expiresAt,
      ...(options.offerHash === undefined ? {} : { offerHash: options.offerHash }),
    });
    const signed = await purseChallenges.sign(
      { merchantId: this.#o.merchantId, tno, amount: price, nonce, issuedAt: now },
      this.#o.signer,
    );
    return {
      tno,
      challenge: toBase64url(purseChallenges.encode(signed)),
      merchantChain: (typeof this.#o.merchantChain === 'function'
        ? this.#o.merchantChain()
        : this.#o.merchantChain
      ).map(toBase64url),
      amount: formatAmount(price),
      expiresAt,
    };
  }

  /**
   * Verifies the card's proof for one of this merchant's open challenges and stores it; serve
   * only after this returns. Refusals: `invalid_encoding`, `merchant_mismatch`,
   * `offer_mismatch` (another challenge, amount or nonce), `offer_expired`,
   * `certificate_*` (card certificate), `purse_wrong_card`, `bad_signature`,
   * `purse_proof_duplicate`.
   */
  acceptProof(input: { proof: Uint8Array; cardCertificate: Uint8Array }): AcceptedPurseProof {
    const proof = purseProofs.decode(input.proof);
    if (proof.merchantId !== this.#o.merchantId) {
      throw new FarthingError('merchant_mismatch', 'the proof pays another merchant', {
        details: { field: 'proof.merchantId' },
      });
    }
    const challenge = this.#o.store.challenge(proof.tno);
    if (challenge === undefined) throw mismatch('no challenge has this TNo', 'proof.tno');
    if (!equalBytes(challenge.nonce, proof.nonce)) {
      throw mismatch('the proof answers another challenge', 'proof.nonce');
    }
    if (proof.amount.currency !== challenge.currency || proof.amount.minor !== challenge.amount) {
      throw mismatch('the proof is for another amount', 'proof.amount');
    }
    const now = this.#now();
    if (challenge.status === 'paid') {
      throw new FarthingError('purse_proof_duplicate', 'this challenge is paid already');
    }
    if (now >= challenge.expiresAt) {
      throw new FarthingError('offer_expired', 'the challenge expired; ask for a new one');
    }
    const card = verifyPurseCardCertificate({
      chain: [input.cardCertificate],
      trustedRoots: this.#o.trustedRoots,
      now,
      ed25519Verify: this.#verify,
    });
    if (card.cardId !== proof.cardId) {
      throw new FarthingError('purse_wrong_card', 'the certificate is for another card');
    }
    purseProofs.verify(proof, card.cardPublicKey, this.#verify);
    const stored = this.#o.store.recordProof(
      {
        tno: proof.tno,
        cardId: proof.cardId,
        sno: proof.sno,
        amount: proof.amount.minor,
        proof: input.proof,
      },
      now,
    );
    if (!stored) throw new FarthingError('purse_proof_duplicate', 'this challenge is paid already');
    return { tno: proof.tno, cardId: proof.cardId, sno: proof.sno, amount: proof.amount };
  }

  /**
   * `acceptProof` for the pay endpoint: the challenge must have been asked for the offer
   * `offerHash` (`offer_mismatch` otherwise), and the very proof already kept for its challenge
   * is accepted again, so a wallet that lost the answer can send its credential once more (the
   * merchant's payment record is written after the proof, in another database).
   */
  acceptPayment(
    input: { proof: Uint8Array; cardCertificate: Uint8Array },
    offerHash: Uint8Array,
  ): AcceptedPurseProof {
    const proof = purseProofs.decode(input.proof);
    const bound = this.#o.store.offerOf(proof.tno);
    if (bound === undefined || !equalBytes(bound, offerHash)) {
      throw mismatch('the proof answers a challenge asked for another offer', 'proof.tno');
    }
    const kept = this.#o.store.proofOf(proof.tno);
    if (kept !== undefined && equalBytes(kept, input.proof)) {
      return { tno: proof.tno, cardId: proof.cardId, sno: proof.sno, amount: proof.amount };
    }
    return this.acceptProof(input);
  }

  /**
   * Sends stored proofs to the issuer: the batch in flight first (same key, same body), then
   * new batches until none is left or the bank stops answering. One run at a time.
   */
  clear(): Promise<ClearReturnType> {
    this.#clearing ??= this.#clearAll().finally(() => {
      this.#clearing = undefined;
    });
    return this.#clearing;
  }

  async #clearAll(): Promise<ClearReturnType> {
    let batches = 0;
    let cleared = 0;
    let rejected = 0;
    for (;;) {
      const batch = this.#o.store.nextBatch(maxPurseClearingBatch, randomUUID(), this.#now());
      if (batch === undefined) break;
      const outcomes = await this.#send(batch);
      for (const { outcome } of outcomes) {
        if (outcome === 'cleared') cleared += 1;
        else rejected += 1;
      }
      batches += 1;
    }
    return { batches, cleared, rejected };
  }

  /** Sends one stored batch under its own Idempotency-Key and stores the per-proof outcomes. */
  async #send(batch: PurseProofBatch) {
    const body = JSON.stringify({ proofs: batch.proofs.map((p) => toBase64url(p.proof)) });
    const answer = v.parse(
      clearingAnswer,
      await this.#bank.post('/v1/purse/clearings', body, { idempotencyKey: batch.id }),
    );
    if (answer.items.length !== batch.proofs.length) {
      throw new FarthingError('bank_unavailable', 'the issuer answered another batch');
    }
    const outcomes = batch.proofs.map((proof, index) => {
      const item = answer.items[index]!;
      return item.status === 'cleared'
        ? { tno: proof.tno, outcome: 'cleared', fee: parseAmount(item.fee).minor }
        : { tno: proof.tno, outcome: item.code, fee: undefined };
    });
    this.#o.store.answerBatch(batch.id, outcomes, this.#now());
    return outcomes;
  }

  /**
   * Clears the proof kept for `tno` with the issuer now, alone (or within the batch that
   * already holds it, sent again with the same key and body), and answers the issuer's outcome:
   * `cleared` or its refusal code. Stored like a batch, so the clearing job never sends it
   * again and a retry after a crash clears it once. `bank_unavailable` when the issuer does not
   * answer (the proof stays kept; the clearing job or the next call sends it).
   */
  async clearNow(tno: number): Promise<string> {
    const batch = this.#o.store.batchOf(tno, randomUUID(), this.#now());
    if (batch === undefined) {
      throw new FarthingError('offer_mismatch', 'no proof is kept for this TNo', {
        details: { field: 'proof.tno' },
      });
    }
    const answered = batch.proofs.find((p) => p.tno === tno)?.outcome;
    if (answered !== undefined) return answered;
    await this.#send(batch);
    const outcome = this.#o.store.proofs({ batchId: batch.id }).find((p) => p.tno === tno)?.outcome;
    if (outcome === undefined) {
      throw new FarthingError('bank_unavailable', 'the issuer did not answer for this proof');
    }
    return outcome;
  }

  /** Clears every `intervalMs` until stopped (the settlement job's purse part). */
  startClearing(options: { intervalMs: number; onError?: (error: unknown) => void }) {
    const timer = setInterval(() => {
      this.clear().catch((error: unknown) => options.onError?.(error));
    }, options.intervalMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await this.#clearing?.catch(() => undefined);
      },
    };
  }
}
