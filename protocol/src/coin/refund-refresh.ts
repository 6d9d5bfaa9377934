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
import { signedMessageType } from '../signed-message.ts';
import {
  type CoinIssuanceRequest,
  type CoinIssuanceRequestWire,
  coinIssuanceRequestType,
} from './coin-issuance-request.ts';

/**
 * Refund refreshes, declared once: tag, version and the fields of a coin issuance request.
 * `create` signs with the coin's key (deterministic, RFC 8032 §5.1.6); `verify` is the mint's
 * check before it signs: the denomination's RSA signature over the coin (the coin is real) and
 * the coin key's signature over the request. No validity window: a refunded coin was spent,
 * and its credit is the payer's money whatever its denomination's deposit window says now. How
 * much credit the coin has left is the mint's question.
 */
export const refundRefreshes = coinIssuanceRequestType(signedMessageType('refundRefresh', 1));

/** The coin the refund was credited to, and new coins worth together at most its credit. */
export type RefundRefresh = CoinIssuanceRequest<1>;
export type UnsignedRefundRefresh = Omit<RefundRefresh, 'signature'>;
export type RefundRefreshWire = CoinIssuanceRequestWire;
