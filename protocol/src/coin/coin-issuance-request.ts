/**
 * A request signed by a coin's own key that hands in blinded coins for the mint to sign: the
 * shape shared by a change request (change-request.ts: the coin is spent for smaller ones)
 * and a refund refresh (refund-refresh.ts: the coin's refunded credit comes back as new
 * coins). No account is involved, so the coin key alone authorizes it, over the coin, the
 * issuance id and every blinded coin, so nobody who sees the request in transit can redirect
 * the new signatures to blinded coins of their own.
 *
 * Declared once here, instantiated per signed message type: each type has its own tag, so a
 * signature for one is never accepted as the other.
 *
 * Signing bytes: the type's tag and version, then coinPublicKey[32], denominationId[32] of
 * the coin, issuanceId, and the list of blinded coins, each denominationId[32] ‖
 * blindedMessage (u32 length prefix).
 *
 * Wire JSON, version 1:
 *
 *   { "version": 1, "coin": <CoinWire>, "issuanceId": "<16–128 chars A–Z a–z 0–9 _ ->",
 *     "coins": [ { "denominationId": "<32 bytes b64u>", "blindedMessage": "<256 bytes b64u>" } ],
 *     "signature": "<64 bytes b64u>" }
 */
import * as v from 'valibot';
import type { Ed25519Verify } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, invalidArgument } from '../errors.ts';
import {
  type FieldValues,
  listField,
  type MessageField,
  type MessageValue,
  type SignedMessageFields,
  type SignedMessageValue,
  type SignedMessageWire,
  signedMessageFields,
} from '../message-fields.ts';
import { bytesSchema } from '../schema.ts';
import type { SignedMessageType } from '../signed-message.ts';
import {
  type CoinSecretKeyParameter,
  coinField,
  type RsaPssVerify,
  signWithCoinKey,
  verifyCoinSigned,
} from './coin.ts';
import {
  checkDenominationUsable,
  type Denomination,
  type DenominationUse,
  denominationIdLength,
  denominationModulusLength,
} from './denomination.ts';

/** Bounds the signing work one request can cause (as `maxCoinsPerPayment` does for deposits). */
export const maxChangeCoins = 256;
export const maxIssuanceIdLength = 128;

/**
 * Issuance ids name one withdrawal, change or refresh at the mint. At least 16 characters of
 * the base64url alphabet, so a wallet can use the encoding of a hash of its seed and ids
 * chosen by different wallets do not collide by accident.
 */
export const issuanceIdSchema = v.pipe(
  v.string(),
  v.maxLength(maxIssuanceIdLength),
  v.regex(/^[A-Za-z0-9_-]{16,128}$/, 'expected 16–128 characters of A–Z a–z 0–9 _ -'),
);

/** A coin the wallet wants signed: its blinded message and the denomination to sign it with. */
export interface BlindedCoin {
  readonly denominationId: Uint8Array;
  /** RFC 9474 §4.2 `blinded_msg`, kLen bytes. */
  readonly blindedMessage: Uint8Array;
}

export interface BlindedCoinWire {
  readonly denominationId: string;
  readonly blindedMessage: string;
}

/**
 * Blinded coins the mint signs in one withdrawal (~1 ms of CPU each), so one request cannot ask
 * for unbounded signing work; a wallet splits a larger amount into several withdrawals.
 */
export const maxCoinsPerWithdrawal = 256;

/** RSA-2048 denominations (DESIGN.md): a blinded message is exactly 256 bytes. */
export const blindedCoinSchema = v.strictObject({
  denominationId: bytesSchema(denominationIdLength),
  blindedMessage: bytesSchema(denominationModulusLength),
});

export function blindedCoinToWire(coin: BlindedCoin): BlindedCoinWire {
  return {
    denominationId: toBase64url(coin.denominationId),
    blindedMessage: toBase64url(coin.blindedMessage),
  };
}

const issuanceIdField: MessageField<string, string> = {
  assert(value, field) {
    if (!v.is(issuanceIdSchema, value)) {
      throw invalidArgument(field, 'must be 16–128 characters of A–Z a–z 0–9 _ -');
    }
  },
  write: (writer, value, field) => writer.string(value, field, maxIssuanceIdLength),
  schema: issuanceIdSchema,
  toWire: (value) => value,
};

/** A blinded coin, signed as denominationId[32] ‖ blindedMessage (u32 length prefix). */
const blindedCoinField: MessageField<BlindedCoin, BlindedCoinWire> = {
  assert(coin, field) {
    if (typeof coin !== 'object' || coin === null)
      throw invalidArgument(field, 'must be an object');
    const { denominationId, blindedMessage } = coin as BlindedCoin;
    assertBytes(denominationId, `${field}.denominationId`, denominationIdLength);
    assertBytes(blindedMessage, `${field}.blindedMessage`);
  },
  write: (writer, coin, field) =>
    writer
      .fixed(coin.denominationId, denominationIdLength, `${field}.denominationId`)
      .bytes(coin.blindedMessage, `${field}.blindedMessage`),
  schema: blindedCoinSchema,
  toWire: blindedCoinToWire,
};

/** The fields of every coin issuance request, in signing and wire order. */
const requestFields = {
  /** The coin that pays for the new coins (spent, or refunded). */
  coin: coinField,
  issuanceId: issuanceIdField,
  coins: listField(blindedCoinField, { max: maxChangeCoins, items: 'blinded coins' }),
};
type RequestFields = typeof requestFields;

/** `signature`: the coin key's Ed25519 signature over the type's signing bytes. */
export type CoinIssuanceRequest<V extends number> = SignedMessageValue<V, RequestFields>;
export type CoinIssuanceRequestWire = SignedMessageWire<RequestFields>;

/** The request's fields, and the key of the coin that pays for the new coins. */
export type CreateCoinIssuanceRequestParameters = FieldValues<RequestFields> &
  CoinSecretKeyParameter;

export type CoinIssuanceRequestSchema<V extends number> = SignedMessageFields<
  V,
  RequestFields
>['schema'];

/** What `verify` needs: the mint's verifiers, and the time for a type with a usable window. */
export interface VerifyCoinIssuanceRequestParameters {
  readonly rsaVerify: RsaPssVerify;
  readonly ed25519Verify?: Ed25519Verify;
  /** Milliseconds since the Unix epoch; required by a type declared with `denominationUse`. */
  readonly now?: number;
}

/** A signed message type of this shape, declared once: see `coinIssuanceRequestType`. */
export interface CoinIssuanceRequestType<V extends number> {
  readonly type: SignedMessageType<V>;
  /** Checks the fields (`invalid_argument`, `unsupported_version`), then the signed bytes. */
  signingBytes(request: MessageValue<V, RequestFields>): Uint8Array;
  /** Signs with the coin's key; Ed25519 is deterministic (RFC 8032 §5.1.6), so the same
   * request made again after a crash carries the same signature. */
  create(parameters: CreateCoinIssuanceRequestParameters): CoinIssuanceRequest<V>;
  /**
   * What the mint checks before it signs, cheapest first: that `denomination` is the one the
   * coin names (`invalid_argument`), the type's `denominationUse` window at `now`
   * (`denomination_not_yet_valid`, `denomination_expired`), the denomination's RSA signature
   * over the coin and the coin key's signature over the request (`bad_signature`,
   * `details.field` telling which). What the new coins may be worth is the mint's question.
   */
  verify(
    request: CoinIssuanceRequest<V>,
    denomination: Denomination,
    parameters: VerifyCoinIssuanceRequestParameters,
  ): void;
  /** The wire schema (for the HTTP edge and its OpenAPI description). */
  readonly schema: CoinIssuanceRequestSchema<V>;
  toWire(request: CoinIssuanceRequest<V>): CoinIssuanceRequestWire;
  /** Validates a received request (`invalid_message`); `verify` checks its signatures. */
  parse(input: unknown): CoinIssuanceRequest<V>;
}

export interface CoinIssuanceRequestOptions {
  /** The window the coin's denomination must be in at `now` (`checkDenominationUsable`). */
  readonly denominationUse?: DenominationUse;
}

export function coinIssuanceRequestType<V extends number>(
  type: SignedMessageType<V>,
  { denominationUse }: CoinIssuanceRequestOptions = {},
): CoinIssuanceRequestType<V> {
  const requests = signedMessageFields(type, requestFields, { argument: 'request' });
  const { signingBytes } = requests;
  const requestType: CoinIssuanceRequestType<V> = {
    type,
    signingBytes,
    create(parameters: CreateCoinIssuanceRequestParameters): CoinIssuanceRequest<V> {
      const unsigned = requests.create(parameters);
      return signWithCoinKey(unsigned, signingBytes(unsigned), parameters.coinSecretKey);
    },
    verify(request, denomination, parameters) {
      const { rsaVerify, ed25519Verify, now }: Partial<VerifyCoinIssuanceRequestParameters> =
        parameters ?? {};
      if (denominationUse !== undefined) assertInteger(now, 'now');
      verifyCoinSigned(type, request, signingBytes(request), denomination, {
        rsaVerify: rsaVerify as RsaPssVerify,
        ...(ed25519Verify === undefined ? {} : { ed25519Verify }),
        ...(denominationUse === undefined
          ? {}
          : {
              checkDenomination: (checked: Denomination) =>
                checkDenominationUsable(checked, denominationUse, now as number),
            }),
      });
    },
    schema: requests.schema,
    toWire: requests.signedToWire,
    parse(input: unknown): CoinIssuanceRequest<V> {
      const parsed = requests.parse(input);
      return Object.freeze({
        ...parsed,
        coin: Object.freeze(parsed.coin),
        coins: Object.freeze(parsed.coins.map((coin) => Object.freeze(coin))),
      });
    },
  };
  return Object.freeze(requestType);
}
