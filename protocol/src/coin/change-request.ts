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
import type { Ed25519Verify } from '../ed25519.ts';
import { assertInteger } from '../errors.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import type { RsaPssVerify } from './coin.ts';
import {
  type CoinIssuanceRequest,
  type CoinIssuanceRequestWire,
  type CreateCoinIssuanceRequestParameters,
  coinIssuanceRequestType,
} from './coin-issuance-request.ts';
import { checkDenominationUsable, type Denomination } from './denomination.ts';

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

/** The signed message type (tag, version, name), declared once. */
export const changeRequestType: SignedMessageType<1> = signedMessageType('changeRequest', 1);
export const changeRequestVersion = changeRequestType.version;
const changeRequests = coinIssuanceRequestType(changeRequestType);

/** The coin spent, and the new coins, worth together exactly what the coin is worth. */
export type ChangeRequest = CoinIssuanceRequest<typeof changeRequestVersion>;
export type UnsignedChangeRequest = Omit<ChangeRequest, 'signature'>;
export type ChangeRequestWire = CoinIssuanceRequestWire;
export type CreateChangeRequestParameters = CreateCoinIssuanceRequestParameters;

export function changeRequestSigningBytes(request: UnsignedChangeRequest): Uint8Array {
  return changeRequests.signingBytes(request);
}

/**
 * Signs a change request with the coin's key. Ed25519 is deterministic (RFC 8032 §5.1.6), so
 * the same request made again after a crash carries the same signature.
 */
export function createChangeRequest(parameters: CreateChangeRequestParameters): ChangeRequest {
  return changeRequests.create(parameters);
}

export interface VerifyChangeRequestParameters {
  readonly rsaVerify: RsaPssVerify;
  readonly ed25519Verify?: Ed25519Verify;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
}

/**
 * What the mint checks before it spends the coin, cheapest first: that `denomination` is the
 * one the coin names (`invalid_argument` otherwise), its deposit window — spending a coin for
 * change is spending it — (`denomination_not_yet_valid`, `denomination_expired`), the
 * denomination's RSA signature over the coin and then the coin key's signature over the
 * request (`bad_signature`, `details.field` telling which). Whether the new coins add up, and
 * whether the coin was spent before, are the mint's questions.
 */
export function verifyChangeRequest(
  request: ChangeRequest,
  denomination: Denomination,
  parameters: VerifyChangeRequestParameters,
): void {
  const { rsaVerify, ed25519Verify, now }: Partial<VerifyChangeRequestParameters> =
    parameters ?? {};
  assertInteger(now, 'now');
  changeRequests.verify(request, denomination, {
    rsaVerify: rsaVerify as RsaPssVerify,
    ...(ed25519Verify === undefined ? {} : { ed25519Verify }),
    checkDenomination: (checked) => checkDenominationUsable(checked, 'deposit', now),
  });
}

export const changeRequestSchema = changeRequests.schema;

export function changeRequestToWire(request: ChangeRequest): ChangeRequestWire {
  return changeRequests.toWire(request);
}

/** Validates a received change request; `verifyChangeRequest` checks its signatures. */
export function parseChangeRequest(input: unknown): ChangeRequest {
  return changeRequests.parse(input);
}
