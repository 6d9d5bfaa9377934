/**
 * What withdrawals, change and refund refreshes share: blind-signing a list of blinded coins,
 * the checks of a request signed by a coin's key, the hash that identifies a request for
 * crash recovery, and the answer the wallet gets (and gets again).
 */
import { createHash } from 'node:crypto';
import { amount, formatAmount } from '@farthing/protocol/amount';
import { blindSign } from '@farthing/protocol/blind-rsa';
import type { BlindedCoin } from '@farthing/protocol/coin/change-request';
import type { Coin, RsaPssVerify } from '@farthing/protocol/coin/coin';
import type { Denomination } from '@farthing/protocol/coin/denomination';
import type { Ed25519Verify } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import type { IdempotencyClaim, IssuanceRecord, IssuedCoin } from '../store/store.ts';
import type { DenominationKey, Keyring } from './keyring.ts';
import { DeferredSignatureChecks } from './signature-checks.ts';

export interface IssuanceView {
  readonly issuanceId: string;
  /** What the coins are worth together, e.g. `EUR 1.35`. */
  readonly total: string;
  /** RFC 9474 blind signatures, base64url, in the order of the request's coins. */
  readonly signatures: readonly string[];
}

export function issuanceView(issuance: IssuanceRecord): IssuanceView {
  return {
    issuanceId: issuance.id,
    total: formatAmount(amount(issuance.currency, issuance.total)),
    signatures: issuance.coins.map((coin) => toBase64url(coin.blindSignature)),
  };
}

/** Adds the coin's position to a coded error, so the wallet knows which coin was refused. */
export function atCoin(error: unknown, index: number): unknown {
  if (!isFarthingError(error)) return error;
  return new FarthingError(error.code, error.shortMessage, {
    details: { ...error.details, index },
    cause: error,
  });
}

/**
 * The denomination keys for a list of blinded coins, each usable for withdrawal now
 * (`unknown_denomination`, `denomination_expired`, `denomination_not_yet_valid`).
 */
export function signingKeys(
  keyring: Keyring,
  coins: readonly BlindedCoin[],
  now: number,
): DenominationKey[] {
  return coins.map((coin, index) => {
    try {
      return keyring.usable(coin.denominationId, 'withdraw', now);
    } catch (error) {
      throw atCoin(error, index);
    }
  });
}

/** Coins signed between two turns of the event loop, so a large withdrawal never stalls deposits. */
const signingSlice = 16;

/**
 * RFC 9474 §4.3 BlindSign for each coin with the native RSA private operation. Runs before
 * anything is written (store.ts): the write then only records the result.
 */
export async function blindSignCoins(
  coins: readonly BlindedCoin[],
  keys: readonly DenominationKey[],
): Promise<IssuedCoin[]> {
  const issued: IssuedCoin[] = [];
  for (let start = 0; start < coins.length; start += signingSlice) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const end = Math.min(coins.length, start + signingSlice);
    for (let index = start; index < end; index++) {
      const coin = coins[index]!;
      const key = keys[index]!;
      try {
        issued.push({
          denominationId: key.id,
          value: key.denomination.value.minor,
          blindedMessage: coin.blindedMessage,
          blindSignature: blindSign(key.signer, coin.blindedMessage),
        });
      } catch (error) {
        throw atCoin(error, index);
      }
    }
  }
  return issued;
}

export function totalValue(keys: readonly DenominationKey[]): number {
  let total = 0;
  for (const key of keys) total += key.denomination.value.minor;
  return total;
}

/**
 * SHA-256 over who asks, the issuance id and every (denominationId, blindedMessage): equal
 * for a retry of the same withdrawal, different for anything else. The account is part of it
 * so nobody else can claim a withdrawal by repeating its id and coins.
 */
export function withdrawalRequestHash(
  accountId: number,
  issuanceId: string,
  coins: readonly BlindedCoin[],
): Uint8Array {
  const hash = createHash('sha256').update(`farthing/withdrawal\n${accountId}\n${issuanceId}\n`);
  // Fixed lengths (32-byte ids, kLen-byte messages, checked by the schema) keep this unambiguous.
  for (const coin of coins) hash.update(coin.denominationId).update(coin.blindedMessage);
  return new Uint8Array(hash.digest());
}

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

export function issuanceConflict(issuanceId: string): FarthingError {
  return new FarthingError(
    'issuance_conflict',
    'this issuance id was already used for a different request',
    { details: { issuanceId } },
  );
}

/**
 * A change request's or refund refresh's coin: its denomination's key at this mint
 * (`unknown_denomination` otherwise) and the request's signatures, checked by its message's
 * `verify` with the mint's batched signature checks at `now`. Returns the key and the hash of the signed
 * bytes, which cover the coin, the issuance id and every blinded coin: equal for a retry,
 * different for any other request under the same issuance id.
 */
async function checkCoinSignedRequest<R extends { readonly coin: Coin }>(
  mint: Keyring,
  request: R,
  now: number,
  message: CoinSignedMessage<R>,
): Promise<{ key: DenominationKey; requestHash: Uint8Array }> {
  const key = mint.find(request.coin.denominationId);
  if (key === undefined) {
    throw new FarthingError('unknown_denomination', 'the mint does not know this coin key', {
      details: { field: 'coin.denominationId' },
    });
  }
  const signatures = new DeferredSignatureChecks(mint);
  const { rsaVerify, ed25519Verify } = signatures;
  message.verify(request, key.denomination, { rsaVerify, ed25519Verify, now });
  await signatures.settle();
  const requestHash = new Uint8Array(
    createHash('sha256').update(message.signingBytes(request)).digest(),
  );
  return { key, requestHash };
}

/** A coin-signed request whose signature checked: the coin's key, the request's hash, the time. */
export interface CheckedCoinRequest {
  readonly key: DenominationKey;
  readonly requestHash: Uint8Array;
  readonly now: number;
}

/** What is recorded under an issuance id: its request's hash and the answer it gave. */
export interface RecordedIssuance {
  /** `undefined` for an issuance of another kind, which every request conflicts with. */
  readonly requestHash: Uint8Array | undefined;
  readonly view: IssuanceView;
}

/** A coin-signed message type as the protocol declares it (`changeRequests`, `refundRefreshes`). */
export interface CoinSignedMessage<R> {
  verify(
    request: R,
    denomination: Denomination,
    checks: { rsaVerify: RsaPssVerify; ed25519Verify: Ed25519Verify; now: number },
  ): void;
  signingBytes(request: R): Uint8Array;
}

/** One kind of coin-signed issuance (change, refund refresh) for `coinSignedIssuance`. */
export interface CoinSignedIssuance<R> {
  /** The request's message type, whose `verify` and `signingBytes` the check uses. */
  readonly message: CoinSignedMessage<R>;
  /** The issuance of this kind already recorded under `issuanceId`, if any. */
  recorded(issuanceId: string): Promise<RecordedIssuance | undefined>;
  /** Signs the new coins and records them with the answer under the idempotency claim. */
  issue(checked: CheckedCoinRequest): Promise<IssuanceView>;
}

/**
 * The one flow of every coin-signed issuance (change, refund refresh): a retried idempotency
 * key gets its stored answer; otherwise the coin's signature over the request is checked; the
 * same request again under its issuance id gets the recorded answer, another request under it
 * `issuance_conflict`; only a new one is issued.
 */
export async function coinSignedIssuance<
  R extends { readonly coin: Coin; readonly issuanceId: string },
>(
  ctx: {
    readonly store: { findIdempotentResult(claim: IdempotencyClaim): Promise<unknown> };
    readonly mint: Keyring;
    now(): number;
  },
  request: R,
  claim: IdempotencyClaim,
  kind: CoinSignedIssuance<R>,
): Promise<IssuanceView> {
  const stored = await ctx.store.findIdempotentResult(claim);
  if (stored !== undefined) return stored as IssuanceView;
  const now = ctx.now();
  const checked = await checkCoinSignedRequest(ctx.mint, request, now, kind.message);
  const recorded = await kind.recorded(request.issuanceId);
  if (recorded !== undefined) {
    if (
      recorded.requestHash === undefined ||
      !sameHash(recorded.requestHash, checked.requestHash)
    ) {
      throw issuanceConflict(request.issuanceId);
    }
    return recorded.view;
  }
  return kind.issue({ ...checked, now });
}
