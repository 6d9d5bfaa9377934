/**
 * Change (DESIGN.md "E-cash", pay: "it first exchanges a larger coin at the mint for smaller
 * ones"): one coin is spent and blinded coins of exactly its value are signed, in one
 * transaction, with no account involved. The coin key authorizes it by signing the change
 * request (protocol/src/coin/change-request.ts). The issuance is kept under the wallet's id,
 * so the same request again returns the same signatures; any other use of the coin is a
 * double spend.
 */
import { formatAmount } from '@farthing/protocol/amount';
import { type ChangeRequest, changeRequests } from '@farthing/protocol/coin/change-request';
import { FarthingError } from '@farthing/protocol/errors';
import type { BankContext } from '../http/context.ts';
import { coinAlreadySpent, type IdempotencyClaim } from '../store/store.ts';
import {
  blindSignCoins,
  type CheckedCoinRequest,
  coinSignedIssuance,
  type IssuanceView,
  issuanceView,
  signingKeys,
  totalValue,
} from './issuance.ts';

export function changeCoin(
  ctx: BankContext,
  request: ChangeRequest,
  proof: unknown,
  claim: IdempotencyClaim,
): Promise<IssuanceView> {
  return coinSignedIssuance(ctx, request, claim, {
    message: changeRequests,
    recorded: async (issuanceId) => {
      const issuance = await ctx.store.getIssuance(issuanceId);
      if (issuance === undefined) return undefined;
      const requestHash = issuance.kind === 'change' ? issuance.requestHash : undefined;
      return { requestHash, view: issuanceView(issuance) };
    },
    issue: (checked) => issueChange(ctx, request, proof, claim, checked),
  });
}

async function issueChange(
  ctx: BankContext,
  request: ChangeRequest,
  proof: unknown,
  claim: IdempotencyClaim,
  { key, requestHash, now }: CheckedCoinRequest,
): Promise<IssuanceView> {
  const { store, mint } = ctx;
  // Signing is the expensive part: a coin known to be spent is refused before it (the write
  // checks again, for a spend that lands in between).
  const spent = await store.getSpentCoin(request.coin.coinPublicKey);
  if (spent !== undefined) throw coinAlreadySpent(spent);
  const keys = signingKeys(mint, request.coins, now);
  const value = key.denomination.value;
  if (
    keys.some((k) => k.denomination.value.currency !== value.currency) ||
    totalValue(keys) !== value.minor
  ) {
    throw new FarthingError(
      'coin_amount_mismatch',
      `the new coins must add up to exactly ${formatAmount(value)}`,
      { details: { field: 'coins', value: formatAmount(value) } },
    );
  }
  const coins = await blindSignCoins(request.coins, keys);
  return store.change(
    {
      issuanceId: request.issuanceId,
      currency: value.currency,
      requestHash,
      spent: {
        coinPub: request.coin.coinPublicKey,
        denominationId: key.id,
        value: value.minor,
        signature: request.signature,
        proof: JSON.stringify(proof),
      },
      coins,
      now,
    },
    issuanceView,
    claim,
  );
}
