/**
 * Refund refresh (GNU Taler's refresh of a refunded coin): the owner of a coin the mint
 * credited a refund to hands in blinded coins worth at most that credit, signed with the
 * coin's key (protocol/src/coin/refund-refresh.ts), and gets them blind-signed. No account,
 * no merchant: the new coins are as unlinkable to the payer as withdrawn ones are to a
 * purchase. The issuance is kept under the wallet's id, so the same request again returns the
 * same signatures.
 */
import { amount, formatAmount } from '@farthing/protocol/amount';
import { type RefundRefresh, refundRefreshes } from '@farthing/protocol/coin/refund-refresh';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import type { BankContext } from '../http/context.ts';
import {
  blindSignCoins,
  type CheckedCoinRequest,
  coinSignedIssuance,
  type IssuanceView,
  signingKeys,
  totalValue,
} from '../mint/issuance.ts';
import type { CoinRefundState, RefundRefreshRecord } from '../store/refund-store.ts';
import type { IdempotencyClaim } from '../store/store.ts';

export function refreshView(refresh: RefundRefreshRecord): IssuanceView {
  return {
    issuanceId: refresh.id,
    total: formatAmount(amount(refresh.currency, refresh.total)),
    signatures: refresh.coins.map((coin) => toBase64url(coin.blindSignature)),
  };
}

/** `GET /v1/mint/coins/:coinPub/refund`: what was credited back to a coin and what is left. */
export function coinRefundView(state: CoinRefundState | undefined) {
  if (state === undefined) return { status: 'none' as const };
  const of = (minor: number) => formatAmount(amount(state.currency, minor));
  return {
    status: state.refunded > state.refreshed ? ('refreshable' as const) : ('refreshed' as const),
    refunded: of(state.refunded),
    refreshed: of(state.refreshed),
    left: of(state.refunded - state.refreshed),
  };
}

export function refreshRefundedCoin(
  ctx: BankContext,
  request: RefundRefresh,
  claim: IdempotencyClaim,
): Promise<IssuanceView> {
  return coinSignedIssuance(ctx, request, claim, {
    message: refundRefreshes,
    recorded: async (issuanceId) => {
      const refresh = await ctx.store.refunds.getRefundRefresh(issuanceId);
      return refresh && { requestHash: refresh.requestHash, view: refreshView(refresh) };
    },
    issue: (checked) => issueRefresh(ctx, request, claim, checked),
  });
}

async function issueRefresh(
  ctx: BankContext,
  request: RefundRefresh,
  claim: IdempotencyClaim,
  { key, requestHash, now }: CheckedCoinRequest,
): Promise<IssuanceView> {
  const { store, mint } = ctx;
  // Signing is the expensive part: a coin with nothing left is refused before it (the write
  // checks again, for a refresh that lands in between).
  const state = await store.refunds.coinRefund(request.coin.coinPublicKey);
  const left = state === undefined ? 0 : state.refunded - state.refreshed;
  const keys = signingKeys(mint, request.coins, now);
  const currency = key.denomination.value.currency;
  if (keys.some((k) => k.denomination.value.currency !== currency) || totalValue(keys) > left) {
    throw new FarthingError(
      'refund_nothing_to_refresh',
      'the new coins are worth more than the refunded value left on this coin',
      { details: { left: formatAmount(amount(currency, left)) } },
    );
  }
  const coins = await blindSignCoins(request.coins, keys);
  return store.refunds.refreshRefundedCoin(
    {
      issuanceId: request.issuanceId,
      coinPub: request.coin.coinPublicKey,
      currency,
      requestHash,
      coins,
      now,
    },
    refreshView,
    claim,
  );
}
