/**
 * A refund refresh (GNU Taler's "refresh" after a refund): a merchant refunded part of a
 * payment, the mint credited that value back to the coins the payment spent, and the coins'
 * owner now hands in blinded coins worth at most that credit for the mint to sign. No account
 * is involved, so the coin key alone authorizes it, exactly as a change request does
 * (change-request.ts): nothing of this request ties the new coins to the payer's account, and
 * the merchant sees none of it.
 *
 * The issuance id is the wallet's (derived from the seed of the new coins), so after a crash
 * it asks again with the same request and gets the same blind signatures back.
 *
 * Signing bytes: tag `farthing/refund-refresh`, version 1, then the fields of a coin issuance
 * request (coin-issuance-request.ts): coinPublicKey[32], denominationId[32] of the refunded
 * coin, issuanceId, and the list of blinded coins, each denominationId[32] ‖ blindedMessage
 * (u32 length prefix). A separate tag from the change request's, so a signature for one is
 * never accepted as the other.
 *
 * Wire JSON (`RefundRefreshWire`), version 1: the change request's shape.
 */
import type { Ed25519Verify } from '../ed25519.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import type { RsaPssVerify } from './coin.ts';
import {
  type CoinIssuanceRequest,
  type CoinIssuanceRequestWire,
  type CreateCoinIssuanceRequestParameters,
  coinIssuanceRequestType,
} from './coin-issuance-request.ts';
import type { Denomination } from './denomination.ts';

/** The signed message type (tag, version, name), declared once. */
export const refundRefreshType: SignedMessageType<1> = signedMessageType('refundRefresh', 1);
export const refundRefreshVersion = refundRefreshType.version;
const refundRefreshes = coinIssuanceRequestType(refundRefreshType);

/** The coin the refund was credited to, and new coins worth together at most its credit. */
export type RefundRefresh = CoinIssuanceRequest<typeof refundRefreshVersion>;
export type UnsignedRefundRefresh = Omit<RefundRefresh, 'signature'>;
export type RefundRefreshWire = CoinIssuanceRequestWire;

export function refundRefreshSigningBytes(request: UnsignedRefundRefresh): Uint8Array {
  return refundRefreshes.signingBytes(request);
}

/** Signs a refund refresh with the coin's key (deterministic, RFC 8032 §5.1.6). */
export function createRefundRefresh(
  parameters: CreateCoinIssuanceRequestParameters,
): RefundRefresh {
  return refundRefreshes.create(parameters);
}

/**
 * The mint's checks before it signs: `denomination` is the coin's, the denomination's RSA
 * signature over the coin (the coin is real) and the coin key's signature over the request
 * (`bad_signature`). No validity window: a refunded coin was spent, and its credit is the
 * payer's money whatever its denomination's deposit window says now. How much credit the coin
 * has left is the mint's question.
 */
export function verifyRefundRefresh(
  request: RefundRefresh,
  denomination: Denomination,
  parameters: { readonly rsaVerify: RsaPssVerify; readonly ed25519Verify?: Ed25519Verify },
): void {
  refundRefreshes.verify(request, denomination, parameters);
}

export const refundRefreshSchema = refundRefreshes.schema;

export function refundRefreshToWire(request: RefundRefresh): RefundRefreshWire {
  return refundRefreshes.toWire(request);
}

export function parseRefundRefresh(input: unknown): RefundRefresh {
  return refundRefreshes.parse(input);
}
