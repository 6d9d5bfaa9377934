/**
 * Shared by the refund tests: the real bank in process with the merchant "shop" over a real
 * SQLite merchant store, paid by a wallet built from the protocol's own code, and the wallet's
 * side of an e-cash refund (asking the mint about a coin, refreshing its refunded credit into
 * fresh coins with the coin's key).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { balanceOf } from '@farthing/bank/bank.fixture';
import {
  fetchKeySet,
  finalizeCoins,
  issuanceIdOf,
  planCoins,
  type WalletCoin,
  withdrawable,
} from '@farthing/bank/mint/mint.fixture';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { refundRefreshes } from '@farthing/protocol/coin/refund-refresh';
import type { Credential } from '@farthing/protocol/credential';
import { toBase64url } from '@farthing/protocol/encoding';
import { expect } from 'vitest';
import {
  openShop,
  openShopWorld,
  payRequest,
  type ShopWorld,
} from '../merchant/merchant.fixture.ts';

export interface RefundWorld {
  readonly world: ShopWorld;
  readonly merchant: Merchant;
  readonly store: SqliteMerchantStore;
  close(): Promise<void>;
}

export async function openRefundWorld(): Promise<RefundWorld> {
  const world = await openShopWorld();
  const dir = mkdtempSync(join(tmpdir(), 'farthing-refunds-'));
  const store = new SqliteMerchantStore({ path: join(dir, 'shop.db') });
  const merchant = openShop(world, store);
  return {
    world,
    merchant,
    store,
    async close() {
      await merchant.close();
      await store.close();
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pays with `credential`; returns the receipt's id. */
export async function paidReceipt(merchant: Merchant, credential: Credential): Promise<string> {
  const response = await merchant.pay(payRequest(credential));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { receipt: { receiptId: string } };
  return body.receipt.receiptId;
}

/** The books balance (`npm run bank -- check` reads the same report). */
export async function expectBooksBalance(world: ShopWorld): Promise<void> {
  const report = await world.bank.store.checkInvariants();
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}

export const shopBalance = (world: ShopWorld) => balanceOf(world.bank, 'shop');
export const carolBalance = (world: ShopWorld) => balanceOf(world.bank, 'carol');

/**
 * Money leaves the merchant's account. The bank has no payout route yet, so this is the same
 * balanced ledger transfer the store posts for issuing funds, in the other direction (back to
 * `system:issued`, i.e. out of the bank).
 */
export async function payOut(world: ShopWorld, minor: number): Promise<void> {
  await world.bank.store.issueFunds({
    accountId: world.account.id,
    amount: -minor,
    reference: 'payout',
    now: world.bank.clock.now,
  });
}

/** `GET /v1/mint/coins/:coinPub/refund`. */
export async function coinRefund(world: ShopWorld, coin: WalletCoin) {
  const response = await world.bank.request(
    'GET',
    `/v1/mint/coins/${toBase64url(coin.coin.coinPublicKey)}/refund`,
  );
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; left?: string; refunded?: string };
}

/**
 * The wallet turns a coin's refunded credit into fresh coins of `values`, signed with the
 * coin's key; returns the response and, on success, the finalized coins.
 */
export async function refreshCoin(
  world: ShopWorld,
  coin: WalletCoin,
  values: readonly number[],
): Promise<{ response: Response; coins: WalletCoin[] }> {
  const keySet = await fetchKeySet(world.bank);
  const seed = randomWithdrawalSeed();
  const planned = planCoins(
    seed,
    values.map((value) => withdrawable(world.bank, keySet, value)),
  );
  const body = refundRefreshes.toWire(
    refundRefreshes.create({
      coin: coin.coin,
      coinSecretKey: coin.secretKey,
      issuanceId: issuanceIdOf(seed, 'refund-refresh'),
      coins: planned.map((p) => p.blinded),
    }),
  );
  const response = await world.bank.request('POST', '/v1/mint/refunds/refresh', { body });
  if (response.status !== 200) return { response, coins: [] };
  return { response, coins: finalizeCoins(planned, await response.clone().json()) };
}
