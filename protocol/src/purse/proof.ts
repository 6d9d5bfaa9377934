/**
 * The card's proof of payment {M, MID, SNo, TNo, card id, signature} (the seeds' GeldKarte),
 * plus the challenge's nonce: signed by the card's certified key, verified by the merchant
 * offline against the card certificate and the bank's CA, and uploaded later for clearing,
 * where card id + SNo and MID + TNo each allow one credit.
 */
import { maxMerchantIdLength, purseNonceLength } from './challenge.ts';
import {
  cardId,
  fixed,
  type PurseValue,
  positiveAmount,
  sequenceNumber,
  text,
  u64,
} from './fields.ts';
import { purseMessage, type SignedPurseValue } from './signed.ts';

const proofFields = {
  cardId,
  /** The card's sequence number for this payment: 1 for its first, then one more each time. */
  sno: sequenceNumber,
  merchantId: text(maxMerchantIdLength),
  tno: u64,
  amount: positiveAmount,
  /** The challenge's nonce. */
  nonce: fixed(purseNonceLength),
};

export type PurseProof = PurseValue<typeof proofFields>;
export type SignedPurseProof = SignedPurseValue<typeof proofFields>;

/**
 * Proofs: `sign` checks one (card id, SNo from 1, amount above zero…) and signs it with the
 * card key; `verify` throws `bad_signature` unless the card key signed it.
 */
export const purseProofs = purseMessage('purseProof', 1, proofFields);

/**
 * The most proofs one clearing call takes: the issuer refuses a larger batch (bank
 * purse/routes.ts), and a merchant's purse desk uploads at most this many at a time.
 */
export const maxPurseClearingBatch = 1000;
