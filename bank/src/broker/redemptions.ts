/**
 * Vendor redemption (Rivest & Shamir 1996, §4.4): the vendor sends, per commitment, the last
 * payword it received and its index; the broker checks the commitment and that the word hashes
 * to the root, pays the vendor and charges the user (here: from the certificate's hold).
 *
 * Everything that needs no current state (parsing, both signatures, vendor, deadline, hashing)
 * happens here, outside the write; the store then applies each claim against the current
 * state in its own savepoint (only the words beyond the previous redemption are owed, within
 * the certificate's remaining hold). Each item succeeds or fails alone, answered in request
 * order, so one bad commitment does not hold up a vendor's whole batch.
 */
import { amount, formatAmount } from '@farthing/protocol/amount';
import { equalBytes, toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, type ProblemDetails, toProblemDetails } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import {
  type PaywordCommitment,
  paywordCommitments,
  type VerifiedPaywordCommitment,
  verifyPaywordCommitment,
} from '@farthing/protocol/payword/commitment';
import { verifyRedemption } from '@farthing/protocol/payword/redemption';
import type {
  AccountRecord,
  IdempotencyClaim,
  PaywordRedemptionClaim,
  PaywordRedemptionOutcome,
} from '../store/store.ts';
import type { Broker } from './broker.ts';

export const maxRedemptionBatch = 256;
/**
 * Hashes between two yields to the event loop (~30 ms at ~1.6 M hashes/s): a first redemption
 * of a long chain costs one hash per word, and a batch of them must not stall every other
 * request the bank is serving.
 */
const hashesPerSlice = 50_000;

export interface RedemptionRequestItem {
  /** The signed commitment, wire JSON; parsed here so a malformed one fails alone. */
  readonly commitment: unknown;
  readonly index: number;
  readonly word: Uint8Array;
}

export interface RedeemPaywordsParameters {
  readonly vendor: AccountRecord;
  readonly redemptions: readonly RedemptionRequestItem[];
  readonly idempotency?: IdempotencyClaim | undefined;
}

export type RedemptionResult =
  | {
      readonly commitmentId: string;
      readonly status: 'redeemed';
      /** What this call paid: the words beyond the previous redemption, `EUR 0.03`. */
      readonly paid: string;
      readonly index: number;
      /** Everything paid on this commitment so far. */
      readonly totalRedeemed: string;
    }
  | {
      /** Null when the commitment could not even be parsed. */
      readonly commitmentId: string | null;
      readonly status: 'rejected';
      readonly problem: ProblemDetails;
    };

export interface RedeemPaywordsReturnType {
  readonly redemptions: readonly RedemptionResult[];
  /** The sum of `paid` over the items. */
  readonly paid: string;
}

/** Signatures, vendor and certificate, once per commitment; later redemptions hit the cache. */
async function verifiedCommitment(
  broker: Broker,
  vendor: AccountRecord,
  commitment: PaywordCommitment,
  id: string,
): Promise<VerifiedPaywordCommitment> {
  const cached = broker.commitments.get(id);
  // The id covers the signed content, not the signatures: a copy with other signature bytes is
  // verified afresh, so a forged signature is refused whatever the cache holds.
  if (
    cached !== undefined &&
    equalBytes(cached.commitment.signature, commitment.signature) &&
    equalBytes(cached.commitment.certificate.signature, commitment.certificate.signature)
  ) {
    if (cached.commitment.vendorId !== vendor.name) {
      throw new FarthingError(
        'payword_vendor_mismatch',
        'this PayWord chain is for another vendor',
        {
          details: { field: 'vendorId', expected: vendor.name, got: cached.commitment.vendorId },
        },
      );
    }
    return cached;
  }
  // Judged at the commitment's creation: a commitment may not outlive its certificate, so one
  // made while the certificate was valid stays redeemable after both expire, until the
  // redemption deadline checked by the caller.
  const verified = verifyPaywordCommitment(commitment, {
    vendorId: vendor.name,
    brokerPublicKey: broker.publicKey,
    now: commitment.createdAt,
    verify: nodeEd25519Verify,
  });
  const { certificate } = commitment;
  const record = await broker.ctx.store.getPaywordCertificate(certificate.serial);
  if (record === undefined) {
    throw new FarthingError(
      'not_found',
      'this broker issued no PayWord certificate with this serial',
      {
        details: { field: 'certificate.serial', serial: certificate.serial },
      },
    );
  }
  // Our signature with an unknown content under a known serial: a certificate signed but never
  // recorded (and so never held for) must not be redeemed.
  const issued = paywordCertificates.parse(JSON.parse(record.certificate));
  if (!equalBytes(paywordCertificates.id(issued), paywordCertificates.id(certificate))) {
    throw new FarthingError(
      'bad_signature',
      'this is not the certificate the broker issued under this serial',
      {
        details: { field: 'certificate', serial: certificate.serial },
      },
    );
  }
  broker.commitments.set(id, verified);
  return verified;
}

function rejected(commitmentId: string | null, error: unknown, broker: Broker): RedemptionResult {
  if (!(error instanceof FarthingError)) {
    broker.ctx.log.error({ err: error, commitmentId }, 'PayWord redemption failed unexpectedly');
  }
  return { commitmentId, status: 'rejected', problem: toProblemDetails(error) };
}

/**
 * Verifies each item, then redeems the good ones in one store call whose result (every item,
 * in request order) is stored under the idempotency claim: a retry gets the same answer even
 * if time has since moved an item past its deadline.
 */
export async function redeemPaywords(
  broker: Broker,
  params: RedeemPaywordsParameters,
): Promise<RedeemPaywordsReturnType> {
  const { ctx } = broker;
  const { vendor } = params;
  const now = ctx.now();
  const results: (RedemptionResult | undefined)[] = [];
  const claims: PaywordRedemptionClaim[] = [];
  const claimSlots: number[] = [];
  let hashed = 0;
  for (const item of params.redemptions) {
    let commitmentId: string | null = null;
    try {
      const commitment = paywordCommitments.parse(item.commitment);
      const id = paywordCommitments.id(commitment);
      commitmentId = toBase64url(id);
      const verified = await verifiedCommitment(broker, vendor, commitment, commitmentId);
      const { certificate, valuePerWord } = verified.commitment;
      const redeemableUntil = certificate.expiresAt + ctx.config.paywordRedeemGraceMs;
      if (now >= redeemableUntil) {
        throw new FarthingError(
          'payword_certificate_expired',
          'the redemption window of this PayWord certificate has closed',
          { details: { expiresAt: certificate.expiresAt, redeemableUntil, now } },
        );
      }
      // Hash down to the last word already paid for, not to the root: that word was itself
      // checked against the root, so a word that reaches it is on the committed chain (what
      // the store trusts), and an incremental redemption costs only its new words.
      const previous = await ctx.store.getPaywordRedemption(id);
      hashed += Math.max(0, item.index - (previous?.lastIndex ?? 0));
      verifyRedemption(verified, {
        previous: previous && { index: previous.lastIndex, word: previous.lastWord },
        next: { index: item.index, word: item.word },
      });
      claimSlots.push(results.length);
      results.push(undefined); // filled in with the store's outcome
      claims.push({
        commitmentId: id,
        serial: certificate.serial,
        index: item.index,
        word: item.word,
        valuePerWord: valuePerWord.minor,
      });
    } catch (error) {
      results.push(rejected(commitmentId, error, broker));
    }
    if (hashed >= hashesPerSlice) {
      hashed = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  const currency = ctx.config.currency;
  const money = (minor: number) => formatAmount(amount(currency, minor));
  return ctx.store.redeemPaywords(
    { vendorId: vendor.id, claims, now },
    (outcomes: readonly PaywordRedemptionOutcome[]) => {
      let paid = 0;
      outcomes.forEach((outcome, k) => {
        const slot = claimSlots[k]!;
        const commitmentId = toBase64url(outcome.commitmentId);
        if (outcome.status === 'redeemed') {
          paid += outcome.paid;
          results[slot] = {
            commitmentId,
            status: 'redeemed',
            paid: money(outcome.paid),
            index: outcome.index,
            totalRedeemed: money(outcome.totalRedeemed),
          };
        } else {
          results[slot] = rejected(commitmentId, outcome.error, broker);
        }
      });
      const missing = new Error('the store returned no outcome for this claim');
      return {
        redemptions: results.map((result) => result ?? rejected(null, missing, broker)),
        paid: money(paid),
      };
    },
    params.idempotency,
  );
}
