/**
 * Deposit (DESIGN.md "E-cash", deposit): a merchant hands in coins with their deposit
 * permissions; the mint checks both signatures of each, then marks the coins spent and credits
 * the merchant in one transaction. A second spend of a coin is `coin_already_spent` (409)
 * carrying the permission of the first spend as proof; the same signed coins handed in again
 * (a retry that lost its answer) name the original deposit.
 *
 * This is the bank's hot path, so the per-coin work is synchronous and allocation-light: keys
 * are parsed once in the keyring, the proof stored is the permission's JSON as received
 * (its schema is strict, so that is exactly the wire form), and the only `await` is the write.
 */
import { randomUUID } from 'node:crypto';
import { amount, formatAmount } from '@farthing/protocol/amount';
import {
  depositPermissionSchema,
  maxCoinsPerPayment,
  type VerifyDepositPermissionParameters,
  verifyDepositPermission,
} from '@farthing/protocol/coin/deposit-permission';
import { FarthingError } from '@farthing/protocol/errors';
import { identifierSchema, parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';
import type { BankContext } from '../http/context.ts';
import type { AccountRecord, DepositRecord, IdempotencyClaim, SpentCoin } from '../store/store.ts';
import { atCoin } from './issuance.ts';
import type { Keyring } from './keyring.ts';
import { DeferredSignatureChecks } from './signature-checks.ts';

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
  coins: v.pipe(v.array(depositPermissionSchema), v.minLength(1), v.maxLength(maxCoinsPerPayment)),
});

export type DepositRequest = v.InferOutput<typeof depositRequestSchema>;

export interface DepositView {
  /** The merchant's own id for the deposit, or the one the bank chose. */
  readonly depositId: string;
  readonly total: string;
  /** How many coins the deposit spent. */
  readonly coins: number;
}

/**
 * Deposit ids are the merchant's to choose, so the bank keeps them per merchant: the stored
 * id is `<merchant account id>:<merchant's id>`, and answers carry the merchant's part.
 */
function depositView(deposit: DepositRecord): DepositView {
  return {
    depositId: deposit.id.slice(deposit.id.indexOf(':') + 1),
    total: formatAmount(amount(deposit.currency, deposit.total)),
    coins: deposit.coinCount,
  };
}

function coinKey(coinPub: Uint8Array): string {
  return Buffer.from(coinPub.buffer, coinPub.byteOffset, coinPub.byteLength).toString('latin1');
}

/** Checks one permission and returns the coin to mark spent. */
function checkCoin(
  mint: Keyring,
  merchant: AccountRecord,
  wire: unknown,
  checks: VerifyDepositPermissionParameters,
): SpentCoin {
  const permission = parseMessage(depositPermissionSchema, wire, 'deposit permission');
  if (permission.merchantId !== merchant.name) {
    throw new FarthingError('merchant_mismatch', 'this coin was given to another merchant', {
      details: { field: 'merchantId' },
    });
  }
  const key = mint.find(permission.coin.denominationId);
  if (key === undefined) {
    throw new FarthingError('unknown_denomination', 'the mint does not know this coin key', {
      details: { field: 'coin.denominationId' },
    });
  }
  const { denomination } = key;
  // Signature failures surface from `DeferredSignatureChecks.settle` (signature-checks.ts).
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
    proof: JSON.stringify(wire),
  };
}

export async function depositCoins(
  ctx: BankContext,
  merchant: AccountRecord,
  request: DepositRequest,
  claim: IdempotencyClaim,
): Promise<DepositView> {
  const stored = await ctx.store.findIdempotentResult(claim);
  if (stored !== undefined) return stored as DepositView;
  const now = ctx.now();
  const signatures = new DeferredSignatureChecks(ctx.mint);
  const checks: VerifyDepositPermissionParameters = {
    rsaVerify: signatures.rsaVerify,
    ed25519Verify: signatures.ed25519Verify,
    now,
  };
  const { coins } = request;
  const spent: SpentCoin[] = new Array(coins.length);
  const seen = coins.length > 1 ? new Set<string>() : undefined;
  for (let index = 0; index < coins.length; index++) {
    let coin: SpentCoin;
    signatures.at(index);
    try {
      coin = checkCoin(ctx.mint, merchant, coins[index], checks);
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
  await signatures.settle();
  return ctx.store.deposit(
    {
      depositId: `${merchant.id}:${request.depositId ?? randomUUID()}`,
      merchantId: merchant.id,
      currency: merchant.currency,
      coins: spent,
      now,
    },
    depositView,
    claim,
  );
}
