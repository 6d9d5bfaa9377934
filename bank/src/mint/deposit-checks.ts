/**
 * What the mint checks of the coins handed in for a deposit (DESIGN.md "E-cash", deposit),
 * as a function of the request, the merchant and the denomination keys alone, so it runs in
 * a worker thread (deposit-worker.ts) as well as anywhere else.
 *
 * Order (pinned by deposit.test.ts and the loopback tests): each coin's permission is parsed,
 * its merchant, denomination, window and amount checked, and the same coin twice refused;
 * only when every coin passed that are the signatures checked, the first coin whose check
 * fails naming the refusal, its RSA signature before its Ed25519 one (signature-checks.ts).
 */
import { formatAmount } from '@farthing/protocol/amount';
import type { Denomination } from '@farthing/protocol/coin/denomination';
import {
  depositPermissions,
  maxCoinsPerPayment,
  type VerifyDepositPermissionParameters,
  verifyDepositPermission,
} from '@farthing/protocol/coin/deposit-permission';
import { FarthingError } from '@farthing/protocol/errors';
import { identifierSchema, parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';
import type { SpentCoin } from '../store/store.ts';
import { atCoin } from './issuance.ts';
import { DeferredSignatureChecks, type VerifyKeys } from './signature-checks.ts';

/** Where merchants deposit; part of each deposit's idempotency hash. */
export const depositPath = '/v1/mint/deposits';

/** How the request is read: each permission is validated on its own, keeping its JSON. */
export const depositRequestSchema = v.strictObject({
  depositId: v.optional(identifierSchema),
  coins: v.pipe(
    v.array(v.unknown()),
    v.minLength(1, 'expected at least one coin'),
    v.maxLength(maxCoinsPerPayment, `expected at most ${maxCoinsPerPayment} coins`),
  ),
});

/** The same request as documented (OpenAPI): a list of deposit permissions. */
export const depositRequestDocSchema = v.strictObject({
  depositId: v.optional(identifierSchema),
  coins: v.pipe(
    v.array(depositPermissions.schema),
    v.minLength(1),
    v.maxLength(maxCoinsPerPayment),
  ),
});

export type DepositRequest = v.InferOutput<typeof depositRequestSchema>;

/** The public half of a denomination key: all a deposit check needs. */
export interface DepositKey {
  readonly id: Uint8Array;
  readonly denomination: Denomination;
}

/** The mint's keys as a deposit check sees them (`Keyring`, or a worker's copy). */
export interface DepositKeys extends VerifyKeys {
  find(id: Uint8Array): DepositKey | undefined;
}

export interface CheckDepositCoinsParameters {
  /** The merchant's account name, which every permission must name. */
  readonly merchantId: string;
  /** The request's `coins`, each a deposit permission as wire JSON (not yet validated). */
  readonly coins: readonly unknown[];
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
}

function coinKey(coinPub: Uint8Array): string {
  return Buffer.from(coinPub.buffer, coinPub.byteOffset, coinPub.byteLength).toString('latin1');
}

/** Checks one permission and returns the coin to mark spent. */
function checkCoin(
  keys: DepositKeys,
  merchantId: string,
  wire: unknown,
  checks: VerifyDepositPermissionParameters,
): SpentCoin {
  const permission = parseMessage(depositPermissions.schema, wire, 'deposit permission');
  if (permission.merchantId !== merchantId) {
    throw new FarthingError('merchant_mismatch', 'this coin was given to another merchant', {
      details: { field: 'merchantId' },
    });
  }
  const key = keys.find(permission.coin.denominationId);
  if (key === undefined) {
    throw new FarthingError('unknown_denomination', 'the mint does not know this coin key', {
      details: { field: 'coin.denominationId' },
    });
  }
  const { denomination } = key;
  // Signature failures surface from `DeferredSignatureChecks` once every coin passed this.
  verifyDepositPermission(permission, denomination, checks);
  // The bank spends whole coins only: the wallet makes change first (POST /v1/mint/change).
  if (permission.amount.minor !== denomination.value.minor) {
    throw new FarthingError('coin_amount_mismatch', 'deposit the full value of each coin', {
      details: {
        field: 'amount',
        amount: formatAmount(permission.amount),
        value: formatAmount(denomination.value),
      },
    });
  }
  return {
    coinPub: permission.coin.coinPublicKey,
    denominationId: key.id,
    value: denomination.value.minor,
    signature: permission.signature,
    // The schema is strict, so the JSON as received is exactly the wire form of the proof.
    proof: JSON.stringify(wire),
  };
}

/**
 * Checks every coin of a deposit and returns the coins to mark spent, in order; throws the
 * first refusal as a coded `FarthingError` naming the coin's `index`. Signatures are verified
 * synchronously: the caller is a worker thread, where blocking is the point.
 */
export function checkDepositCoins(
  keys: DepositKeys,
  parameters: CheckDepositCoinsParameters,
): SpentCoin[] {
  const { merchantId, coins, now } = parameters;
  const signatures = new DeferredSignatureChecks(keys);
  const checks: VerifyDepositPermissionParameters = {
    rsaVerify: signatures.rsaVerify,
    ed25519Verify: signatures.ed25519Verify,
    now,
  };
  const spent: SpentCoin[] = new Array(coins.length);
  const seen = coins.length > 1 ? new Set<string>() : undefined;
  for (let index = 0; index < coins.length; index++) {
    let coin: SpentCoin;
    signatures.at(index);
    try {
      coin = checkCoin(keys, merchantId, coins[index], checks);
    } catch (error) {
      throw atCoin(error, index);
    }
    if (seen !== undefined) {
      const pub = coinKey(coin.coinPub);
      if (seen.has(pub)) {
        throw new FarthingError('invalid_message', 'the same coin is listed twice', {
          details: { field: 'coins', index },
        });
      }
      seen.add(pub);
    }
    spent[index] = coin;
  }
  signatures.settleNow();
  return spent;
}
