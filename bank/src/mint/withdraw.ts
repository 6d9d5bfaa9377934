/**
 * Withdrawal (DESIGN.md "E-cash", withdraw): the customer's account is debited once and each
 * blinded coin is blind-signed. The issuance is kept under the id the wallet chose (derived
 * from its withdrawal seed), so a wallet that crashed before storing the signatures asks
 * again — with the same request, or by id — and gets exactly the same signatures without
 * paying twice.
 */
import {
  type BlindedCoin,
  blindedCoinSchema,
  issuanceIdSchema,
  maxCoinsPerWithdrawal,
} from '@farthing/protocol/coin/change-request';
import { FarthingError } from '@farthing/protocol/errors';
import * as v from 'valibot';
import type { BankContext } from '../http/context.ts';
import type { AccountRecord, IdempotencyClaim } from '../store/store.ts';
import {
  blindSignCoins,
  type IssuanceView,
  issuanceConflict,
  issuanceView,
  sameHash,
  signingKeys,
  withdrawalRequestHash,
} from './issuance.ts';

export const withdrawalRequestSchema = v.strictObject({
  issuanceId: issuanceIdSchema,
  coins: v.pipe(
    v.array(blindedCoinSchema),
    v.minLength(1, 'expected at least one blinded coin'),
    v.maxLength(maxCoinsPerWithdrawal, `expected at most ${maxCoinsPerWithdrawal} coins`),
  ),
});

export interface WithdrawalRequest {
  readonly issuanceId: string;
  readonly coins: readonly BlindedCoin[];
}

export async function withdrawCoins(
  ctx: BankContext,
  account: AccountRecord,
  request: WithdrawalRequest,
  claim: IdempotencyClaim,
): Promise<IssuanceView> {
  const { store, mint } = ctx;
  const stored = await store.findIdempotentResult(claim);
  if (stored !== undefined) return stored as IssuanceView;
  const requestHash = withdrawalRequestHash(account.id, request.issuanceId, request.coins);
  // A retry after a crash: answer from the stored issuance instead of signing again, even
  // once the keys have stopped signing (the coins were paid for while they still did).
  const existing = await store.getIssuance(request.issuanceId);
  if (existing !== undefined) {
    if (existing.accountId !== account.id || !sameHash(existing.requestHash, requestHash)) {
      throw issuanceConflict(request.issuanceId);
    }
    return issuanceView(existing);
  }
  const now = ctx.now();
  const keys = signingKeys(mint, request.coins, now);
  for (const key of keys) {
    if (key.denomination.value.currency !== account.currency) {
      throw new FarthingError('currency_mismatch', `the account is kept in ${account.currency}`, {
        details: { expected: account.currency, got: key.denomination.value.currency },
      });
    }
  }
  const coins = await blindSignCoins(request.coins, keys);
  return store.withdraw(
    {
      issuanceId: request.issuanceId,
      accountId: account.id,
      currency: account.currency,
      requestHash,
      coins,
      now,
    },
    issuanceView,
    claim,
  );
}

/** The stored withdrawal, for its owner only: anyone else is told it does not exist. */
export async function fetchWithdrawal(
  ctx: BankContext,
  account: AccountRecord,
  issuanceId: string,
): Promise<IssuanceView> {
  const issuance = v.is(issuanceIdSchema, issuanceId)
    ? await ctx.store.getIssuance(issuanceId)
    : undefined;
  if (
    issuance === undefined ||
    issuance.kind !== 'withdrawal' ||
    issuance.accountId !== account.id
  ) {
    throw new FarthingError('not_found', 'no withdrawal of this account has that id', {
      details: { issuanceId },
    });
  }
  return issuanceView(issuance);
}
