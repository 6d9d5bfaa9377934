/**
 * Deposit (DESIGN.md "E-cash", deposit): a merchant hands in coins with their deposit
 * permissions; the mint checks both signatures of each, then marks the coins spent and credits
 * the merchant in one transaction. A second spend of a coin is `coin_already_spent` (409)
 * carrying the permission of the first spend as proof; the same signed coins handed in again
 * (a retry that lost its answer) name the original deposit.
 *
 * This is the bank's hot path, so the event loop does only the bookkeeping: the coins are
 * parsed and verified in a worker thread (deposit-verifier.ts, deposit-checks.ts), while the
 * idempotency lookup runs, and the only other `await` is the write.
 */
import { randomUUID } from 'node:crypto';
import { amount, formatAmount } from '@farthing/protocol/amount';
import type { BankContext } from '../http/context.ts';
import type { AccountRecord, DepositRecord, IdempotencyClaim } from '../store/store.ts';

export interface DepositCoinsParameters {
  /** The merchant's own id for the deposit; the bank chooses one if absent. */
  readonly depositId: string | undefined;
  /** The request body as received, validated by `depositRequestSchema`; holds the coins. */
  readonly body: Uint8Array;
}

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

export async function depositCoins(
  ctx: BankContext,
  merchant: AccountRecord,
  parameters: DepositCoinsParameters,
  claim: IdempotencyClaim,
): Promise<DepositView> {
  const now = ctx.now();
  const checked = ctx.depositVerifier.check({
    body: parameters.body,
    merchantId: merchant.name,
    now,
  });
  // A stored answer wins over whatever the check finds, as when the lookup ran first.
  checked.catch(() => undefined);
  const stored = await ctx.store.findIdempotentResult(claim);
  if (stored !== undefined) return stored as DepositView;
  const coins = await checked;
  return ctx.store.deposit(
    {
      depositId: `${merchant.id}:${parameters.depositId ?? randomUUID()}`,
      merchantId: merchant.id,
      currency: merchant.currency,
      coins,
      now,
    },
    depositView,
    claim,
  );
}
