/**
 * The card's proof of payment {M, MID, SNo, TNo, card id, signature} (the seeds' GeldKarte),
 * plus the challenge's nonce: signed by the card's certified key, verified by the merchant
 * offline against the card certificate and the bank's CA, and uploaded later for clearing,
 * where card id + SNo and MID + TNo each allow one credit.
 */
import type { Amount } from '../amount.ts';
import { signedMessageType } from '../signed-message.ts';
import { maxMerchantIdLength, purseNonceLength } from './challenge.ts';
import { cardId, fixed, positiveAmount, sequenceNumber, text, u64 } from './fields.ts';
import { purseMessage, type SignedBytes } from './signed.ts';

export const purseProofVersion = 1;

export interface PurseProof {
  readonly cardId: string;
  /** The card's sequence number for this payment: 1 for its first, then one more each time. */
  readonly sno: number;
  readonly merchantId: string;
  readonly tno: number;
  readonly amount: Amount;
  /** The challenge's nonce. */
  readonly nonce: Uint8Array;
}

export interface SignedPurseProof extends PurseProof, SignedBytes {}

const proofs = purseMessage<PurseProof, SignedPurseProof>({
  type: signedMessageType('purseProof', purseProofVersion, 'proof'),
  field: 'proof',
  fields: {
    cardId,
    sno: sequenceNumber,
    merchantId: text(maxMerchantIdLength),
    tno: u64,
    amount: positiveAmount,
    nonce: fixed(purseNonceLength),
  },
});

/** Checks the proof (card id, SNo from 1, amount above zero…) and signs it with the card key. */
export const signPurseProof = proofs.sign;
export const encodePurseProof = proofs.encode;
export const decodePurseProof = proofs.decode;
/** `bad_signature` unless the card key signed the proof. */
export const verifyPurseProofSignature = proofs.verify;

/**
 * The most proofs one clearing call takes: the issuer refuses a larger batch (bank
 * purse/routes.ts), and a merchant's purse desk uploads at most this many at a time.
 */
export const maxPurseClearingBatch = 1000;
