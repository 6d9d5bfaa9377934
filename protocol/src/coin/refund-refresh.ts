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
 * Signing bytes: tag `farthing/refund-refresh`, version 1, then coinPublicKey[32],
 * denominationId[32] of the refunded coin, issuanceId, and the list of blinded coins, each
 * denominationId[32] ‖ blindedMessage (u32 length prefix). A separate tag from the change
 * request's, so a signature for one is never accepted as the other.
 *
 * Wire JSON (`RefundRefreshWire`), version 1: the change request's shape.
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
import { assertBytes, FarthingError, invalidArgument } from '../errors.ts';
import { bytesSchema, parseMessage } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import {
  type BlindedCoin,
  type BlindedCoinWire,
  blindedCoinSchema,
  blindedCoinToWire,
  issuanceIdSchema,
  maxChangeCoins,
  maxIssuanceIdLength,
} from './change-request.ts';
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
import { type Denomination, denominationId, denominationIdLength } from './denomination.ts';

export const refundRefreshVersion = 1;
export const refundRefreshType: SignedMessageType<typeof refundRefreshVersion> = signedMessageType(
  'refundRefresh',
  refundRefreshVersion,
  'refund refresh',
);

export interface RefundRefresh {
  readonly version: typeof refundRefreshVersion;
  /** The coin the refund was credited to. */
  readonly coin: Coin;
  readonly issuanceId: string;
  /** The new coins, worth together at most the coin's refunded credit. */
  readonly coins: readonly BlindedCoin[];
  readonly signature: Uint8Array;
}

export type UnsignedRefundRefresh = Omit<RefundRefresh, 'signature'>;

function assertFields(request: UnsignedRefundRefresh): void {
  if (typeof request !== 'object' || request === null) {
    throw invalidArgument('request', 'must be an object');
  }
  refundRefreshType.assertVersion(request.version);
  assertCoin(request.coin);
  if (!v.is(issuanceIdSchema, request.issuanceId)) {
    throw invalidArgument('issuanceId', 'must be 16–128 characters of A–Z a–z 0–9 _ -');
  }
  const { coins } = request;
  if (!Array.isArray(coins) || coins.length === 0 || coins.length > maxChangeCoins) {
    throw invalidArgument('coins', `must list 1 to ${maxChangeCoins} blinded coins`);
  }
  for (const [index, coin] of coins.entries()) {
    assertBytes(coin?.denominationId, `coins.${index}.denominationId`, denominationIdLength);
    assertBytes(coin.blindedMessage, `coins.${index}.blindedMessage`);
  }
}

export function refundRefreshSigningBytes(request: UnsignedRefundRefresh): Uint8Array {
  assertFields(request);
  return refundRefreshType.signingBytes((w) =>
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

/** Signs a refund refresh with the coin's key (deterministic, RFC 8032 §5.1.6). */
export function createRefundRefresh(parameters: {
  readonly coin: Coin;
  readonly coinSecretKey: Uint8Array;
  readonly issuanceId: string;
  readonly coins: readonly BlindedCoin[];
}): RefundRefresh {
  const unsigned: UnsignedRefundRefresh = {
    version: refundRefreshVersion,
    coin: parameters.coin,
    issuanceId: parameters.issuanceId,
    coins: parameters.coins,
  };
  const bytes = refundRefreshSigningBytes(unsigned);
  if (!equalBytes(ed25519PublicKey(parameters.coinSecretKey), unsigned.coin.coinPublicKey)) {
    throw invalidArgument('coinSecretKey', 'is not the secret key of this coin');
  }
  return Object.freeze({ ...unsigned, signature: ed25519Sign(bytes, parameters.coinSecretKey) });
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
  const { rsaVerify, ed25519Verify = nobleEd25519Verify } = parameters;
  const bytes = refundRefreshSigningBytes(request);
  assertBytes(request.signature, 'signature', ed25519SignatureLength);
  if (!equalBytes(denominationId(denomination), request.coin.denominationId)) {
    throw invalidArgument('denomination', 'is not the denomination the coin names');
  }
  verifyCoin(request.coin, denomination, rsaVerify);
  if (!ed25519Verify(request.signature, bytes, request.coin.coinPublicKey)) {
    throw new FarthingError('bad_signature', 'the refund refresh is not signed by the coin', {
      details: { field: 'signature' },
    });
  }
}

// --- wire

export interface RefundRefreshWire {
  readonly version: number;
  readonly coin: CoinWire;
  readonly issuanceId: string;
  readonly coins: readonly BlindedCoinWire[];
  readonly signature: string;
}

export const refundRefreshSchema = v.strictObject({
  version: refundRefreshType.versionSchema,
  coin: coinSchema,
  issuanceId: issuanceIdSchema,
  coins: v.pipe(
    v.array(blindedCoinSchema),
    v.minLength(1, 'expected at least one blinded coin'),
    v.maxLength(maxChangeCoins, `expected at most ${maxChangeCoins} blinded coins`),
  ),
  signature: bytesSchema(ed25519SignatureLength),
});

export function refundRefreshToWire(request: RefundRefresh): RefundRefreshWire {
  assertFields(request);
  return {
    version: request.version,
    coin: coinToWire(request.coin),
    issuanceId: request.issuanceId,
    coins: request.coins.map(blindedCoinToWire),
    signature: toBase64url(request.signature),
  };
}

export function parseRefundRefresh(input: unknown): RefundRefresh {
  const parsed = parseMessage(refundRefreshSchema, input, 'refund refresh');
  return Object.freeze({ ...parsed, coins: Object.freeze(parsed.coins) });
}
