/**
 * The card's proof of payment {M, MID, SNo, TNo, card id, signature} (the seeds' GeldKarte),
 * plus the challenge's nonce: signed by the card's certified key, verified by the merchant
 * offline against the card certificate and the bank's CA, and uploaded later for clearing,
 * where card id + SNo and MID + TNo each allow one credit.
 */
import type { Amount } from '../amount.ts';
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { signingBytes } from '../encoding.ts';
import { assertBytes, assertInteger, assertString } from '../errors.ts';
import { assertCardId } from './card-certificate.ts';
import { maxMerchantIdLength, purseNonceLength } from './challenge.ts';
import {
  assertSignature,
  decodeSigned,
  encodeSigned,
  positive,
  readCardId,
  readPositiveAmount,
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

export interface SignedPurseProof extends PurseProof {
  readonly signingBytes: Uint8Array;
  readonly signature: Uint8Array;
}

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
  const bytes = signingBytes('purseProof', purseProofVersion, (w) =>
    w
      .string(proof.cardId, 'cardId', 16)
      .u32(proof.sno, 'sno')
      .string(proof.merchantId, 'merchantId', maxMerchantIdLength)
      .u64(proof.tno, 'tno')
      .amount(proof.amount, 'amount')
      .fixed(proof.nonce, purseNonceLength, 'nonce'),
  );
  return { ...proof, signingBytes: bytes, signature: await signer.sign(bytes) };
}

export function encodePurseProof(proof: SignedPurseProof): Uint8Array {
  return encodeSigned(proof);
}

export function decodePurseProof(bytes: Uint8Array): SignedPurseProof {
  const {
    fields,
    signingBytes: raw,
    signature,
  } = decodeSigned(bytes, 'purseProof', purseProofVersion, 'proof', (r) => ({
    cardId: readCardId(r, 'proof'),
    sno: r.u32('proof.sno'),
    merchantId: r.string('proof.merchantId', maxMerchantIdLength),
    tno: r.u64('proof.tno'),
    amount: readPositiveAmount(r, 'proof.amount'),
    nonce: r.fixed(purseNonceLength, 'proof.nonce'),
  }));
  return { ...fields, signingBytes: raw, signature };
}

/** `bad_signature` unless the card key signed the proof. */
export function verifyPurseProofSignature(
  proof: SignedPurseProof,
  cardPublicKey: Uint8Array,
  verify?: Ed25519Verify,
): void {
  assertSignature(proof, cardPublicKey, 'proof', verify);
}
