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
 * Signing bytes: tag `farthing/change-request`, version 1, then coinPublicKey[32],
 * denominationId[32] of the coin spent, issuanceId, and the list of blinded coins, each
 * denominationId[32] ‖ blindedMessage (u32 length prefix).
 *
 * Wire JSON (`ChangeRequestWire`), version 1:
 *
 *   { "version": 1, "coin": <CoinWire>, "issuanceId": "<16–128 chars A–Z a–z 0–9 _ ->",
 *     "coins": [ { "denominationId": "<32 bytes b64u>", "blindedMessage": "<256 bytes b64u>" } ],
 *     "signature": "<64 bytes b64u>" }
 */
import * as v from 'valibot';
import {
  type Ed25519Verify,
  ed25519PublicKey,
  ed25519Sign,
  ed25519SignatureLength,
  nobleEd25519Verify,
} from '../ed25519.ts';
import { equalBytes, toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError, invalidArgument } from '../errors.ts';
import { bytesSchema, parseMessage } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import {
  assertCoin,
  type Coin,
  type CoinWire,
  coinPublicKeyLength,
  coinSchema,
  coinToWire,
  type RsaPssVerify,
  verifyCoin,
} from './coin.ts';
import {
  checkDenominationUsable,
  type Denomination,
  denominationId,
  denominationIdLength,
  denominationModulusLength,
} from './denomination.ts';

export const changeRequestVersion = 1;
/** The signed message type (tag, version, name), declared once. */
export const changeRequestType: SignedMessageType<typeof changeRequestVersion> = signedMessageType(
  'changeRequest',
  changeRequestVersion,
  'change request',
);
/** Bounds the signing work one request can cause (as `maxCoinsPerPayment` does for deposits). */
export const maxChangeCoins = 256;
export const maxIssuanceIdLength = 128;

/**
 * Issuance ids name one withdrawal or change at the mint. At least 16 characters of the
 * base64url alphabet, so a wallet can use the encoding of a hash of its seed and ids chosen
 * by different wallets do not collide by accident.
 */
export const issuanceIdSchema = v.pipe(
  v.string(),
  v.maxLength(128),
  v.regex(/^[A-Za-z0-9_-]{16,128}$/, 'expected 16–128 characters of A–Z a–z 0–9 _ -'),
);

/** A coin the wallet wants signed: its blinded message and the denomination to sign it with. */
export interface BlindedCoin {
  readonly denominationId: Uint8Array;
  /** RFC 9474 §4.2 `blinded_msg`, kLen bytes. */
  readonly blindedMessage: Uint8Array;
}

export interface ChangeRequest {
  readonly version: typeof changeRequestVersion;
  /** The coin spent. */
  readonly coin: Coin;
  readonly issuanceId: string;
  /** The new coins, worth together exactly what `coin` is worth. */
  readonly coins: readonly BlindedCoin[];
  /** The coin key's Ed25519 signature over `changeRequestSigningBytes`. */
  readonly signature: Uint8Array;
}

export type UnsignedChangeRequest = Omit<ChangeRequest, 'signature'>;

function assertFields(request: UnsignedChangeRequest): void {
  if (typeof request !== 'object' || request === null) {
    throw invalidArgument('request', 'must be an object');
  }
  changeRequestType.assertVersion(request.version);
  assertCoin(request.coin);
  if (!v.is(issuanceIdSchema, request.issuanceId)) {
    throw invalidArgument('issuanceId', 'must be 16–128 characters of A–Z a–z 0–9 _ -');
  }
  const { coins } = request;
  if (!Array.isArray(coins) || coins.length === 0 || coins.length > maxChangeCoins) {
    throw invalidArgument('coins', `must list 1 to ${maxChangeCoins} blinded coins`);
  }
  for (const [index, coin] of coins.entries()) {
    if (typeof coin !== 'object' || coin === null) {
      throw invalidArgument(`coins.${index}`, 'must be an object');
    }
    assertBytes(coin.denominationId, `coins.${index}.denominationId`, denominationIdLength);
    assertBytes(coin.blindedMessage, `coins.${index}.blindedMessage`);
  }
}

export function changeRequestSigningBytes(request: UnsignedChangeRequest): Uint8Array {
  assertFields(request);
  return changeRequestType.signingBytes((w) =>
    w
      .fixed(request.coin.coinPublicKey, coinPublicKeyLength, 'coin.coinPublicKey')
      .fixed(request.coin.denominationId, denominationIdLength, 'coin.denominationId')
      .string(request.issuanceId, 'issuanceId', maxIssuanceIdLength)
      .list(request.coins, 'coins', (writer, coin, index) =>
        writer
          .fixed(coin.denominationId, denominationIdLength, `coins.${index}.denominationId`)
          .bytes(coin.blindedMessage, `coins.${index}.blindedMessage`),
      ),
  );
}

export interface CreateChangeRequestParameters {
  readonly coin: Coin;
  /** The coin's Ed25519 secret key (from `deriveCoinSecretKey`). */
  readonly coinSecretKey: Uint8Array;
  readonly issuanceId: string;
  readonly coins: readonly BlindedCoin[];
}

/**
 * Signs a change request with the coin's key. Ed25519 is deterministic (RFC 8032 §5.1.6), so
 * the same request made again after a crash carries the same signature.
 */
export function createChangeRequest(parameters: CreateChangeRequestParameters): ChangeRequest {
  const unsigned: UnsignedChangeRequest = {
    version: changeRequestVersion,
    coin: parameters.coin,
    issuanceId: parameters.issuanceId,
    coins: parameters.coins,
  };
  const bytes = changeRequestSigningBytes(unsigned);
  if (!equalBytes(ed25519PublicKey(parameters.coinSecretKey), unsigned.coin.coinPublicKey)) {
    throw invalidArgument('coinSecretKey', 'is not the secret key of this coin');
  }
  return Object.freeze({ ...unsigned, signature: ed25519Sign(bytes, parameters.coinSecretKey) });
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
  const {
    rsaVerify,
    ed25519Verify = nobleEd25519Verify,
    now,
  }: Partial<VerifyChangeRequestParameters> = parameters ?? {};
  if (typeof ed25519Verify !== 'function') {
    throw new FarthingError('invalid_argument', 'expected a function "ed25519Verify"', {
      details: { field: 'ed25519Verify' },
    });
  }
  assertInteger(now, 'now');
  const bytes = changeRequestSigningBytes(request);
  assertBytes(request.signature, 'signature', ed25519SignatureLength);
  if (!equalBytes(denominationId(denomination), request.coin.denominationId)) {
    throw invalidArgument('denomination', 'is not the denomination the coin names');
  }
  checkDenominationUsable(denomination, 'deposit', now);
  verifyCoin(request.coin, denomination, rsaVerify);
  if (!ed25519Verify(request.signature, bytes, request.coin.coinPublicKey)) {
    throw new FarthingError('bad_signature', 'the change request is not signed by the coin', {
      details: { field: 'signature' },
    });
  }
}

// --- wire

export interface BlindedCoinWire {
  readonly denominationId: string;
  readonly blindedMessage: string;
}

export interface ChangeRequestWire {
  readonly version: number;
  readonly coin: CoinWire;
  readonly issuanceId: string;
  readonly coins: readonly BlindedCoinWire[];
  readonly signature: string;
}

/** RSA-2048 denominations (DESIGN.md): a blinded message is exactly 256 bytes. */
export const blindedCoinSchema = v.strictObject({
  denominationId: bytesSchema(denominationIdLength),
  blindedMessage: bytesSchema(denominationModulusLength),
});

export const changeRequestSchema = v.strictObject({
  version: changeRequestType.versionSchema,
  coin: coinSchema,
  issuanceId: issuanceIdSchema,
  coins: v.pipe(
    v.array(blindedCoinSchema),
    v.minLength(1, 'expected at least one blinded coin'),
    v.maxLength(maxChangeCoins, `expected at most ${maxChangeCoins} blinded coins`),
  ),
  signature: bytesSchema(ed25519SignatureLength),
});

export function blindedCoinToWire(coin: BlindedCoin): BlindedCoinWire {
  return {
    denominationId: toBase64url(coin.denominationId),
    blindedMessage: toBase64url(coin.blindedMessage),
  };
}

export function changeRequestToWire(request: ChangeRequest): ChangeRequestWire {
  assertFields(request);
  assertBytes(request.signature, 'signature', ed25519SignatureLength);
  return {
    version: request.version,
    coin: coinToWire(request.coin),
    issuanceId: request.issuanceId,
    coins: request.coins.map(blindedCoinToWire),
    signature: toBase64url(request.signature),
  };
}

/** Validates a received change request; `verifyChangeRequest` checks its signatures. */
export function parseChangeRequest(input: unknown): ChangeRequest {
  const parsed = parseMessage(changeRequestSchema, input, 'change request');
  return Object.freeze({
    ...parsed,
    coin: Object.freeze(parsed.coin),
    coins: Object.freeze(parsed.coins.map((coin) => Object.freeze(coin))),
  });
}
