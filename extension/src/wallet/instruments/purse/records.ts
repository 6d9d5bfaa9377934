/**
 * The purse's IndexedDB records (schema.ts names the stores, migration 3): the reader the user
 * paired with the card in it, and the journal of each purse payment's challenge and proof.
 *
 * The proof journal is the purse's part of the wallet's journal guarantee: a challenge is stored
 * (strict) before the card is asked, and the card's proof (strict) the moment a page hands it
 * over, before anything else; the credential is built from the stored proof and resent from it,
 * so a proof obtained is never lost and a card is never asked to pay one challenge twice (a
 * proof lost on the way is signed again by the card's PROOF AGAIN, which moves no money).
 */
import type { Money } from '../../money.ts';

/** The paired reader and the card in it (one at a time), as last read from the card. */
export interface PurseReaderRecord {
  readonly id: 'reader';
  /** What picks the reader again among granted HID devices (WebHID has no serial number). */
  readonly vendorId: number;
  readonly productId: number;
  readonly productName: string;
  readonly cardId: string;
  /** The card's X.509 certificate (DER); what merchants verify its proofs against. */
  readonly certificate: Uint8Array;
  readonly bankUrl: string;
  readonly balance: Money;
  readonly maximum: Money;
  readonly state: 'active' | 'pin-blocked';
  /** The card's log as last read, newest first. */
  readonly log: readonly PurseLogLine[];
  /** Pay with the purse wherever a site takes it (the user's setting). */
  readonly preferred: boolean;
  readonly pairedAt: number;
  readonly readAt: number;
}

export interface PurseLogLine {
  readonly type: 'load' | 'pay';
  readonly amount: Money;
  readonly at: number;
  readonly sno?: number;
  readonly merchantId?: string;
  readonly tno?: number;
}

export type PurseProofStatus =
  /** The challenge is stored; the card has not (as far as the wallet knows) answered it. */
  | 'challenged'
  /** The card's proof is stored; the credential carries it. */
  | 'proved'
  /** The card refused or the holder cancelled: nothing was paid. */
  | 'refused';

/** One purse payment's challenge and, once the card signed it, its proof. */
export interface PurseProofRecord {
  readonly paymentId: string;
  readonly cardId: string;
  readonly tno: number;
  /** `purseChallenges.encode` bytes as the merchant signed them. */
  readonly challenge: Uint8Array;
  /** The merchant's certificate chain (DER), for the card to authenticate the merchant. */
  readonly merchantChain: readonly Uint8Array[];
  readonly status: PurseProofStatus;
  /** `refused`: whether the holder cancelled or the card refused. */
  readonly refusal?: 'purse_cancelled' | 'purse_card_refused';
  /** The card's signed proof, byte for byte. */
  readonly proof?: Uint8Array;
  /** The card's sequence number for this payment (history shows it). */
  readonly sno?: number;
  readonly createdAt: number;
}
