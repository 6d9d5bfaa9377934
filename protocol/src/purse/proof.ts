/**
 * The card's proof of payment {M, MID, SNo, TNo, card id, signature} (the seeds' GeldKarte),
 * plus the challenge's nonce: signed by the card's certified key, verified by the merchant
 * offline against the card certificate and the bank's CA, and uploaded later for clearing,
 * where card id + SNo and MID + TNo each allow one credit.
 */
import type { Amount } from '../amount.ts';
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { assertBytes, assertInteger, assertString } from '../errors.ts';
import { signedMessageType } from '../signed-message.ts';
import { assertCardId } from './card-certificate.ts';
import { maxMerchantIdLength, purseNonceLength } from './challenge.ts';
import {
  positive,
  purseMessage,
  readCardId,
  readPositiveAmount,
  type SignedBytes,
} from './signed.ts';

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

const proofs = purseMessage<PurseProof>({
  type: signedMessageType('purseProof', purseProofVersion, 'proof'),
  field: 'proof',
  write: (w, proof) =>
    w
      .string(proof.cardId, 'cardId', 16)
      .u32(proof.sno, 'sno')
      .string(proof.merchantId, 'merchantId', maxMerchantIdLength)
      .u64(proof.tno, 'tno')
      .amount(proof.amount, 'amount')
      .fixed(proof.nonce, purseNonceLength, 'nonce'),
  read: (r) => ({
    cardId: readCardId(r, 'proof'),
    sno: r.u32('proof.sno'),
    merchantId: r.string('proof.merchantId', maxMerchantIdLength),
    tno: r.u64('proof.tno'),
    amount: readPositiveAmount(r, 'proof.amount'),
    nonce: r.fixed(purseNonceLength, 'proof.nonce'),
  }),
});

export async function signPurseProof(
  proof: PurseProof,
  signer: Ed25519Signer,
): Promise<SignedPurseProof> {
  assertCardId(proof.cardId);
  assertInteger(proof.sno, 'sno', 1, 0xffffffff);
  assertString(proof.merchantId, 'merchantId', maxMerchantIdLength);
  assertInteger(proof.tno, 'tno');
  positive(proof.amount, 'amount');
  assertBytes(proof.nonce, 'nonce', purseNonceLength);
  return proofs.sign(proof, signer);
}

export const encodePurseProof: (signed: SignedPurseProof) => Uint8Array = proofs.encode;

export const decodePurseProof: (bytes: Uint8Array) => SignedPurseProof = proofs.decode;

/** `bad_signature` unless the card key signed the proof. */
export const verifyPurseProofSignature: (
  signed: SignedPurseProof,
  cardPublicKey: Uint8Array,
  verify?: Ed25519Verify,
) => void = proofs.verify;
