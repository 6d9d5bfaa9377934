/**
 * A change request (DESIGN.md "E-cash", pay: "when it cannot, it first exchanges a larger coin
 * at the mint for smaller ones"): the coin's owner spends one coin at the mint and, in the
 * same request, hands in blinded coins of exactly the same total for the mint to sign. No
 * account is involved, so the coin key alone must authorize it: the request is signed with
 * the coin's Ed25519 key over the coin, the issuance id and every blinded coin, so nobody who
 * sees the request in transit can redirect the new signatures to blinded coins of their own.
 *
 * The issuance id is chosen by the wallet (derived from the seed of the new coins), so after
 * a crash it asks again with the same request and gets the same blind signatures back.
 *
 * Signing bytes: tag `farthing/change-request`, version 1, then the fields of a coin issuance
 * request (coin-issuance-request.ts, where its fields, checks and wire form are declared once):
 * coinPublicKey[32], denominationId[32] of the coin spent, issuanceId, and the list of
 * blinded coins, each denominationId[32] ‖ blindedMessage (u32 length prefix).
 *
 * Wire JSON (`ChangeRequestWire`), version 1: see coin-issuance-request.ts.
 */
import { signedMessageType } from '../signed-message.ts';
import {
  type CoinIssuanceRequest,
  type CoinIssuanceRequestWire,
  type CreateCoinIssuanceRequestParameters,
  coinIssuanceRequestType,
  type VerifyCoinIssuanceRequestParameters,
} from './coin-issuance-request.ts';

export {
  type BlindedCoin,
  type BlindedCoinWire,
  blindedCoinSchema,
  blindedCoinToWire,
  issuanceIdSchema,
  maxChangeCoins,
  maxCoinsPerWithdrawal,
  maxIssuanceIdLength,
} from './coin-issuance-request.ts';

/**
 * Change requests, declared once: tag, version, the fields of a coin issuance request, and the
 * deposit window — spending a coin for change is spending it — which `verify` checks at `now`
 * before the signatures. `create` signs with the coin's key (deterministic, so the same request
 * made again after a crash carries the same signature); `parse` validates a received one,
 * `verify` checks its signatures. Whether the new coins add up, and whether the coin was spent
 * before, are the mint's questions.
 */
export const changeRequests = coinIssuanceRequestType(signedMessageType('changeRequest', 1), {
  denominationUse: 'deposit',
});

/** The coin spent, and the new coins, worth together exactly what the coin is worth. */
export type ChangeRequest = CoinIssuanceRequest<1>;
export type UnsignedChangeRequest = Omit<ChangeRequest, 'signature'>;
export type ChangeRequestWire = CoinIssuanceRequestWire;
export type CreateChangeRequestParameters = CreateCoinIssuanceRequestParameters;
export type VerifyChangeRequestParameters = VerifyCoinIssuanceRequestParameters & {
  readonly now: number;
};
