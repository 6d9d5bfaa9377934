/**
 * "Return e-cash to my bank account": the wallet's spendable coins at a bank are deposited to
 * the user's own account (POST /v1/mint/returns), which the bank credits once.
 *
 * Like a payment, the coins are reserved in a strict transaction before anything is sent,
 * under a return id that is a hash of their keys. The deposit permissions are deterministic
 * (Ed25519, and a payer code and offer hash derived from the return id), so a return that lost
 * its answer is sent again byte for byte and the bank answers with the original deposit.
 * Returning reveals the coins to the mint together with the account: they are gone after it,
 * so nothing later can be linked through them.
 */
import { amount } from '@farthing/protocol/amount';
import {
  createDepositPermission,
  depositPermissions,
  maxCoinsPerPayment,
} from '@farthing/protocol/coin/deposit-permission';
import { deriveCoinSecretKey, payerCodeHash } from '@farthing/protocol/coin/derivation';
import { concatBytes, fromBase64url, toBase64url, utf8Bytes } from '@farthing/protocol/encoding';
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { recordMissing } from '../../messages/failure.ts';
import { loggedInBank } from '../bank/banks.ts';
import type { WalletContext } from '../context.ts';
import { type CoinRecord, moneyTx } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { bankParty, causeOf, requestJson } from '../http.ts';
import { coinOf } from '../instruments/ecash/issuance.ts';

const returnPrefix = 'return:';

const returnAnswer = v.object({ depositId: v.string(), total: v.string(), coins: v.number() });

export interface ReturnResult {
  /** Coins the account was credited for, and their value in minor units. */
  readonly coins: number;
  readonly value: number;
}

export async function returnCoinsToBank(
  ctx: WalletContext,
  bankUrl: string,
): Promise<ReturnResult> {
  const { bank, token } = await loggedInBank(ctx, bankUrl);
  const session = await ctx.db.get('sessions', bank.url);
  if (session === undefined) {
    throw new WalletFailure('not_logged_in', 'Log in to the bank to return e-cash to it.');
  }
  const coins = (await pendingReturn(ctx, bank.url)) ?? (await reserveCoins(ctx, bank.url));
  if (coins.length === 0) return { coins: 0, value: 0 };
  const returnId = coins[0]!.reservedBy!.slice(returnPrefix.length);
  try {
    await requestJson(
      ctx.platform,
      bankParty,
      {
        method: 'POST',
        url: `${bank.url}/v1/mint/returns`,
        token,
        idempotencyKey: returnId,
        body: {
          depositId: returnId,
          coins: await permissionsFor(ctx, coins, session.account, returnId),
        },
      },
      returnAnswer,
    );
  } catch (error) {
    // The deposit is all or nothing: refused, no coin was taken. A coin spent elsewhere is
    // found coin by coin and dropped; the rest go back to spendable for the next try.
    if (causeOf(error) === 'coin_already_spent') await settleSpent(ctx, bank.url, coins);
    throw error;
  }
  await finish(ctx, coins, 'spent');
  return { coins: coins.length, value: coins.reduce((sum, coin) => sum + coin.minor, 0) };
}

/** Coins of a return that was sent but not answered: sent again as they are. */
async function pendingReturn(ctx: WalletContext, bankUrl: string) {
  const reserved = await ctx.db.getAllFromIndex('coins', 'status', 'reserved');
  const pending = reserved.filter(
    (coin) => coin.bankUrl === bankUrl && coin.reservedBy?.startsWith(returnPrefix) === true,
  );
  if (pending.length === 0) return undefined;
  const first = pending[0]!.reservedBy;
  return pending.filter((coin) => coin.reservedBy === first);
}

async function reserveCoins(ctx: WalletContext, bankUrl: string): Promise<CoinRecord[]> {
  const now = ctx.platform.now();
  const tx = moneyTx(ctx.db, ['coins']);
  const store = tx.objectStore('coins');
  const spendable = (await store.index('status').getAll('spendable'))
    .filter((coin) => coin.bankUrl === bankUrl)
    .slice(0, maxCoinsPerPayment);
  const keys = spendable.map((coin) => coin.coinPub).sort();
  const returnId = `return-${toBase64url(sha256(utf8Bytes(keys.join('\n')))).slice(0, 32)}`;
  const reserved = spendable.map((coin) => ({
    ...coin,
    status: 'reserved' as const,
    reservedBy: `${returnPrefix}${returnId}`,
    updatedAt: now,
  }));
  for (const coin of reserved) await store.put(coin);
  await tx.done;
  return reserved;
}

async function permissionsFor(
  ctx: WalletContext,
  coins: readonly CoinRecord[],
  account: string,
  returnId: string,
) {
  // Fixed per return, so the permissions are the same bytes when sent again.
  const offerHash = sha256(utf8Bytes(`farthing-wallet/return-to-account/v1\0${returnId}`));
  const permissions = [];
  for (const record of coins) {
    const source = await ctx.db.get('withdrawals', record.source);
    if (source === undefined) throw recordMissing('coin seed', record.coinPub);
    const seed = await ctx.sealer.open(source.seed);
    const coinSecretKey = deriveCoinSecretKey(seed, record.index);
    seed.fill(0);
    const code = sha256(concatBytes(offerHash, fromBase64url(record.coinPub)));
    permissions.push(
      depositPermissions.signedToWire(
        createDepositPermission({
          coin: coinOf(record),
          coinSecretKey,
          offerHash,
          merchantId: account,
          amount: amount(record.currency, record.minor),
          payerCodeHash: payerCodeHash(code),
        }),
      ),
    );
    coinSecretKey.fill(0);
  }
  return permissions;
}

const coinStatus = v.object({ status: v.picklist(['spent', 'unspent']) });

async function settleSpent(ctx: WalletContext, bankUrl: string, coins: readonly CoinRecord[]) {
  const spent: CoinRecord[] = [];
  const free: CoinRecord[] = [];
  for (const coin of coins) {
    const { status } = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'GET', url: `${bankUrl}/v1/mint/coins/${coin.coinPub}` },
      coinStatus,
    );
    (status === 'spent' ? spent : free).push(coin);
  }
  await finish(ctx, spent, 'spent');
  await finish(ctx, free, 'spendable');
}

async function finish(
  ctx: WalletContext,
  coins: readonly CoinRecord[],
  status: 'spent' | 'spendable',
) {
  const now = ctx.platform.now();
  const tx = moneyTx(ctx.db, ['coins']);
  const store = tx.objectStore('coins');
  for (const coin of coins) {
    const current = await store.get(coin.coinPub);
    if (current?.status === 'reserved' && current.reservedBy === coin.reservedBy) {
      await store.put({ ...current, status, reservedBy: null, updatedAt: now });
    }
  }
  await tx.done;
}
