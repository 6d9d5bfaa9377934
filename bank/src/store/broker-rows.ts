/**
 * The PayWord broker's tables as both backends see them: certificate rows turned into the
 * store's record, and what a redemption claim does given the rows read for it
 * (sqlite/broker.ts and postgres/broker.ts keep only their SQL and their locks).
 */

import { FarthingError } from '@farthing/protocol/errors';
import { bytes, sameBytes } from './rows.ts';
import type {
  PaywordCertificateRecord,
  PaywordRedemptionClaim,
  PaywordRedemptionOutcome,
  PaywordRedemptionRecord,
} from './store.ts';
import { type TransferParams, transferBetween } from './transfer.ts';

export interface PaywordCertificateRow {
  serial: number;
  account_id: number;
  user_public: Uint8Array;
  currency: string;
  credit_limit: number;
  redeemed: number;
  released_at: number | null;
  issued_at: number;
  expires_at: number;
  certificate: string;
}

export function toPaywordCertificate(row: PaywordCertificateRow): PaywordCertificateRecord {
  return {
    serial: row.serial,
    accountId: row.account_id,
    userPublicKey: bytes(row.user_public),
    currency: row.currency,
    creditLimit: row.credit_limit,
    redeemed: row.redeemed,
    releasedAt: row.released_at ?? undefined,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    certificate: row.certificate,
  };
}

/** A certificate being issued: what the broker signed, before any redemption. */
export type NewPaywordCertificate = Omit<PaywordCertificateRecord, 'redeemed' | 'releasedAt'>;

/** The values of a new `payword_certificates` row, in the order of `paywordCertificateColumns`. */
export const paywordCertificateColumns =
  'serial, account_id, user_public, currency, credit_limit, issued_at, expires_at, certificate';
export const paywordCertificateValues = (certificate: NewPaywordCertificate): unknown[] => [
  certificate.serial,
  certificate.accountId,
  certificate.userPublicKey,
  certificate.currency,
  certificate.creditLimit,
  certificate.issuedAt,
  certificate.expiresAt,
  certificate.certificate,
];

/** Issuing a certificate holds its whole credit limit, out of the account. */
export const certificateHold = (
  certificate: NewPaywordCertificate,
  holdsAccount: number,
): TransferParams =>
  transferBetween(
    'payword_hold',
    String(certificate.serial),
    certificate.accountId,
    holdsAccount,
    certificate.creditLimit,
    certificate.issuedAt,
  );

export interface PaywordRedemptionRow {
  commitment_id: Uint8Array;
  serial: number;
  vendor_id: number;
  last_index: number;
  last_word: Uint8Array;
  redeemed: number;
  updated_at: number;
}

export function toPaywordRedemption(row: PaywordRedemptionRow): PaywordRedemptionRecord {
  return {
    commitmentId: bytes(row.commitment_id),
    serial: row.serial,
    vendorId: row.vendor_id,
    lastIndex: row.last_index,
    lastWord: bytes(row.last_word),
    redeemed: row.redeemed,
    updatedAt: row.updated_at,
  };
}

type Redeemed = Extract<PaywordRedemptionOutcome, { status: 'redeemed' }>;

/** What one redemption claim does, decided from the rows both backends read for it. */
export type PaywordRedemptionPlan =
  /** The same last word again (a retry): nothing is written, nothing paid twice. */
  | { readonly kind: 'repeat'; readonly outcome: Redeemed }
  /**
   * Pay `owed` from the certificate's hold to the vendor (`transfer`), add it to the
   * certificate's redeemed total, and store the redemption's new row (`redemptionValues`, in
   * the order of the upsert's column list).
   */
  | {
      readonly kind: 'pay';
      readonly owed: number;
      readonly redemptionValues: unknown[];
      readonly transfer: TransferParams;
      readonly outcome: Redeemed;
    };

/**
 * The checks of a redemption against the certificate (held for the rest of the transaction)
 * and the commitment's previous redemption: the certificate is open, the commitment is this
 * vendor's, the words are new (or exactly the last ones again) and within the credit left.
 */
export function planPaywordRedemption(
  vendorId: number,
  claim: PaywordRedemptionClaim,
  held: PaywordCertificateRecord | undefined,
  previous: PaywordRedemptionRecord | undefined,
  holdsAccount: number,
  now: number,
): PaywordRedemptionPlan {
  if (held === undefined || held.releasedAt !== undefined) {
    throw new FarthingError('not_found', 'no open PayWord certificate with this serial', {
      details: { serial: claim.serial },
    });
  }
  if (previous !== undefined && previous.vendorId !== vendorId) {
    throw new FarthingError('payword_vendor_mismatch', 'another vendor redeems this commitment');
  }
  const previousIndex = previous?.lastIndex ?? 0;
  if (previous !== undefined && claim.index <= previousIndex) {
    if (claim.index === previousIndex && sameBytes(claim.word, previous.lastWord)) {
      return {
        kind: 'repeat',
        outcome: {
          status: 'redeemed',
          commitmentId: claim.commitmentId,
          paid: 0,
          index: previous.lastIndex,
          totalRedeemed: previous.redeemed,
        },
      };
    }
    throw new FarthingError('payword_replayed', 'these paywords were already redeemed', {
      details: { redeemedIndex: previousIndex, index: claim.index },
    });
  }
  const owed = (claim.index - previousIndex) * claim.valuePerWord;
  if (!Number.isSafeInteger(owed) || owed <= 0) throw new Error('PayWord amount out of range');
  if (held.redeemed + owed > held.creditLimit) {
    throw new FarthingError(
      'payword_over_limit',
      'the certificate has not enough credit left for these paywords',
      { details: { creditLimit: held.creditLimit, redeemed: held.redeemed, owed } },
    );
  }
  const totalRedeemed = (previous?.redeemed ?? 0) + owed;
  const { commitmentId, serial, index, word } = claim;
  return {
    kind: 'pay',
    owed,
    redemptionValues: [commitmentId, serial, vendorId, index, word, totalRedeemed, now],
    transfer: transferBetween(
      'payword_redemption',
      `${serial}:${Buffer.from(commitmentId).toString('base64url')}:${index}`,
      holdsAccount,
      vendorId,
      owed,
      now,
    ),
    outcome: {
      status: 'redeemed',
      commitmentId: claim.commitmentId,
      paid: owed,
      index: claim.index,
      totalRedeemed,
    },
  };
}
