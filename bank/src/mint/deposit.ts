/**
 * Deposit (DESIGN.md "E-cash", deposit): a merchant hands in coins with their deposit
 * permissions; the mint checks both signatures of each, then marks the coins spent and credits
 * the merchant in one transaction. A second spend of a coin is `coin_already_spent` (409)
 * carrying the permission of the first spend as proof; the same signed coins handed in again
 * (a retry that lost its answer) name the original deposit.
 *
 * This is the bank's hot path, so the event loop does only the bookkeeping: the request is
 * read and its coins verified in a worker thread (deposit-verifier.ts, deposit-checks.ts),
 * and the only other `await` is the write, which also finds the answer stored for a retry.
 */
import { randomUUID } from 'node:crypto';
import { amount, formatAmount } from '@farthing/protocol/amount';
import type { BankContext } from '../http/context.ts';
import { requestHashOf } from '../http/request.ts';
import type { AccountRecord, DepositRecord } from '../store/store.ts';
import { depositPath } from './deposit-checks.ts';
import { type CheckedDeposit, isMalformedDeposit } from './deposit-verifier.ts';

export interface DepositCoinsParameters {
  /** The request body as received: `{ depositId?, coins }` JSON, read in a worker thread. */
  readonly body: Uint8Array;
  /** The request's `Idempotency-Key` (http/command.ts `idempotencyKeyOf`). */
  readonly idempotencyKey: string;
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
): Promise<DepositView> {
  const now = ctx.now();
  const { body, idempotencyKey: key } = parameters;
  const scope = String(merchant.id);
  let checked: CheckedDeposit;
  try {
    checked = await ctx.depositVerifier.check({ body, merchantId: merchant.name, now });
  } catch (error) {
    // A retry gets the stored answer whatever the check finds now (a key's deposit window
    // may have closed since); a body that is no deposit request is refused first, as any
    // malformed request is. The write below finds stored answers itself, so this lookup is
    // only paid for refusals.
    if (!isMalformedDeposit(error)) {
      const requestHash = requestHashOf('POST', depositPath, body);
      const stored = await ctx.store.findIdempotentResult({ scope, key, requestHash });
      if (stored !== undefined) return stored as DepositView;
    }
    throw error;
  }
  return ctx.store.deposit(
    {
      depositId: `${merchant.id}:${checked.depositId ?? randomUUID()}`,
      merchantId: merchant.id,
      currency: merchant.currency,
      coins: checked.coins,
      now,
    },
    depositView,
    { scope, key, requestHash: checked.requestHash },
  );
}
