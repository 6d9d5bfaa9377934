/**
 * The purse credential: what the wallet sends the merchant's pay endpoint after the card paid
 * the merchant's challenge (DESIGN.md "Hardware purse"). The card's signed proof travels as the
 * card produced it (proof.ts bytes), with the card's certificate, so the merchant verifies it
 * offline against the bank's CA; the offer says what the proof buys.
 *
 * Wire JSON, version 1 (inside the credential union of credential.ts):
 *
 *   { "version": 1, "type": "purse", "offer": "<offer token>",
 *     "proof": "<base64url purseProof bytes>", "cardCertificate": "<base64url DER>" }
 *
 * Binding: the proof names the merchant (MID), its transaction number TNo and the challenge's
 * nonce; the merchant issued that challenge for one offer (its store keeps the offer hash per
 * TNo), so the proof pays this offer and no other. The challenge itself is not carried: the
 * merchant holds it.
 */
import * as v from 'valibot';
import { toBase64url } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { checkStatementPaysOffer, type SignedOffer } from '../offer.ts';
import { bytesSchema, codedTransform } from '../schema.ts';
import { maxCertificateLength } from './card-commands.ts';
import { purseProofs, type SignedPurseProof } from './proof.ts';

/** A proof is under 300 bytes; a generous bound against junk. */
export const maxPurseProofBytes = 1024;

export interface PurseCredentialPayment {
  /** The proof as the card signed it (`purseProofs.encode`), kept byte for byte. */
  readonly proofBytes: Uint8Array;
  readonly proof: SignedPurseProof;
  /** The card's X.509 certificate (DER), issued by the bank's CA. */
  readonly cardCertificate: Uint8Array;
}

export interface PurseCredentialWireFields {
  readonly proof: string;
  readonly cardCertificate: string;
}

export const purseCredentialFields = {
  proof: v.pipe(
    bytesSchema(),
    codedTransform((bytes: Uint8Array) => {
      if (bytes.length > maxPurseProofBytes) {
        throw new FarthingError('invalid_message', 'the purse proof is too long', {
          details: { field: 'proof' },
        });
      }
      return { proofBytes: bytes, proof: purseProofs.decode(bytes) };
    }),
  ),
  cardCertificate: v.pipe(
    bytesSchema(),
    v.check((bytes) => bytes.length > 0 && bytes.length <= maxCertificateLength),
  ),
};

export function purseCredentialFieldsToWire(
  payment: PurseCredentialPayment,
): PurseCredentialWireFields {
  return {
    proof: toBase64url(payment.proofBytes),
    cardCertificate: toBase64url(payment.cardCertificate),
  };
}

/**
 * What can be checked of a purse credential without the merchant's records: the proof pays
 * this merchant (`merchant_mismatch`) exactly the offer's amount (`offer_mismatch`). The
 * challenge it answers, the card certificate and the card's signature are the merchant's
 * purse desk's to check.
 */
export function checkPurseProofPaysOffer(
  payment: PurseCredentialPayment,
  offer: SignedOffer,
  merchantId: string,
): void {
  checkStatementPaysOffer(payment.proof, offer, merchantId, {
    what: 'the purse proof',
    field: 'proof',
  });
}
