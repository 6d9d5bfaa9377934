/**
 * The mint's rows (bank keys, denominations, issuances, deposits, spent coins) as both
 * backends return them, turned into the store's records, and the decisions a withdrawal, a
 * change and a deposit take from them. sqlite/mint.ts and postgres/mint.ts keep only their
 * SQL and call these, so the two cannot answer a retry or a double spend differently.
 */

import { FarthingError } from '@farthing/protocol/errors';
import { bytes, sameBytes } from './rows.ts';
import {
  type BankKeyRecord,
  coinAlreadySpent,
  type DenominationRecord,
  type DepositRecord,
  type IssuanceRecord,
  type IssuedCoin,
  type SpentCoin,
  type SpentCoinRecord,
  type WithdrawParameters,
} from './store.ts';
import { type TransferParams, transferBetween } from './transfer.ts';

export interface BankKeyRow {
  readonly name: string;
  readonly secret: Uint8Array;
  readonly public: Uint8Array;
}

export const bankKeyFromRow = (row: BankKeyRow): BankKeyRecord => ({
  name: row.name,
  secret: bytes(row.secret),
  publicKey: bytes(row.public),
});

export interface DenominationRow {
  readonly id: Uint8Array;
  readonly currency: string;
  readonly value: number;
  readonly public_n: Uint8Array;
  readonly public_e: Uint8Array;
  readonly private_key: Uint8Array;
  readonly valid_from: number;
  readonly withdraw_until: number;
  readonly deposit_until: number;
  readonly created_at: number;
}

export const denominationFromRow = (row: DenominationRow): DenominationRecord => ({
  id: bytes(row.id),
  currency: row.currency,
  value: row.value,
  publicN: bytes(row.public_n),
  publicE: bytes(row.public_e),
  privateKey: bytes(row.private_key),
  validFrom: row.valid_from,
  withdrawUntil: row.withdraw_until,
  depositUntil: row.deposit_until,
  createdAt: row.created_at,
});

/** A denomination's values in the order of `denominationColumns`. */
export const denominationColumns =
  'id, currency, value, public_n, public_e, private_key, valid_from, withdraw_until, deposit_until, created_at';
export const denominationValues = (d: DenominationRecord): unknown[] => [
  d.id,
  d.currency,
  d.value,
  d.publicN,
  d.publicE,
  d.privateKey,
  d.validFrom,
  d.withdrawUntil,
  d.depositUntil,
  d.createdAt,
];

export interface IssuanceRow {
  readonly id: string;
  readonly kind: 'withdrawal' | 'change';
  readonly account_id: number | null;
  readonly currency: string;
  readonly total: number;
  readonly request_hash: Uint8Array;
  readonly created_at: number;
}

export interface IssuedCoinRow {
  readonly denomination_id: Uint8Array;
  readonly value: number;
  readonly blinded_message: Uint8Array;
  readonly blind_signature: Uint8Array;
}

export const issuanceFromRows = (
  row: IssuanceRow,
  coins: readonly IssuedCoinRow[],
): IssuanceRecord => ({
  id: row.id,
  kind: row.kind,
  accountId: row.account_id ?? undefined,
  currency: row.currency,
  total: row.total,
  requestHash: bytes(row.request_hash),
  coins: coins.map((coin) => ({
    denominationId: bytes(coin.denomination_id),
    value: coin.value,
    blindedMessage: bytes(coin.blinded_message),
    blindSignature: bytes(coin.blind_signature),
  })),
  createdAt: row.created_at,
});

/** What the store writes for a new issuance: its row and its coins. */
export interface NewIssuance {
  readonly id: string;
  readonly kind: 'withdrawal' | 'change';
  readonly accountId: number | null;
  readonly currency: string;
  readonly total: number;
  readonly requestHash: Uint8Array;
  readonly coins: readonly IssuedCoin[];
  readonly now: number;
}

/** The `issuances` values of a new issuance, in the order of `issuanceColumns`. */
export const issuanceColumns =
  'id, kind, account_id, currency, total, coin_count, request_hash, created_at';
export const issuanceValues = (i: NewIssuance): unknown[] => [
  i.id,
  i.kind,
  i.accountId,
  i.currency,
  i.total,
  i.coins.length,
  i.requestHash,
  i.now,
];

/**
 * A withdrawal's issuance and the transfer paying for it: the account's money moves to
 * system:coins, where it stays while the coins are out.
 */
export function withdrawal(
  params: WithdrawParameters,
  coinsAccount: number,
): { issuance: NewIssuance; transfer: TransferParams } {
  const total = sumValues(params.coins);
  return {
    issuance: {
      id: params.issuanceId,
      kind: 'withdrawal',
      accountId: params.accountId,
      currency: params.currency,
      total,
      requestHash: params.requestHash,
      coins: params.coins,
      now: params.now,
    },
    transfer: transferBetween(
      'withdrawal',
      params.issuanceId,
      params.accountId,
      coinsAccount,
      total,
      params.now,
    ),
  };
}

export interface ChangeParameters {
  readonly issuanceId: string;
  readonly currency: string;
  readonly requestHash: Uint8Array;
  readonly spent: SpentCoin;
  readonly coins: readonly IssuedCoin[];
  readonly now: number;
}

/**
 * Change's issuance, once its coins add up to the coin spent. Value moves from one coin to
 * others: system:coins is unchanged, so there is no ledger entry.
 */
export function change(params: ChangeParameters): NewIssuance {
  if (sumValues(params.coins) !== params.spent.value) {
    throw new FarthingError('coin_amount_mismatch', 'change must add up to the coin spent', {
      details: { field: 'coins' },
    });
  }
  return {
    id: params.issuanceId,
    kind: 'change',
    accountId: null,
    currency: params.currency,
    total: params.spent.value,
    requestHash: params.requestHash,
    coins: params.coins,
    now: params.now,
  };
}

/**
 * The stored issuance when `id` was already used for exactly this request (a retry after a
 * crash), `issuance_conflict` when it was used for another, undefined when it is new.
 */
export function issuanceRetry(
  existing: IssuanceRecord | undefined,
  id: string,
  requestHash: Uint8Array,
): IssuanceRecord | undefined {
  if (existing === undefined) return undefined;
  if (!sameBytes(existing.requestHash, requestHash)) {
    throw new FarthingError(
      'issuance_conflict',
      'this issuance id was already used for a different request',
      { details: { issuanceId: id } },
    );
  }
  return existing;
}

export interface SpentCoinRow {
  readonly coin_pub: Uint8Array;
  readonly denomination_id: Uint8Array;
  readonly value: number;
  readonly kind: 'deposit' | 'change';
  readonly spent_by: string;
  readonly proof: string;
  readonly signature: Uint8Array;
  readonly spent_at: number;
}

export const spentCoinFromRow = (row: SpentCoinRow): SpentCoinRecord => ({
  coinPub: bytes(row.coin_pub),
  denominationId: bytes(row.denomination_id),
  value: row.value,
  kind: row.kind,
  spentBy: row.spent_by,
  proof: row.proof,
  signature: bytes(row.signature),
  spentAt: row.spent_at,
});

export interface DepositRow {
  readonly id: string;
  readonly merchant_id: number;
  readonly currency: string;
  readonly total: number;
  readonly coin_count: number;
  readonly created_at: number;
}

export const depositFromRow = (row: DepositRow): DepositRecord => ({
  id: row.id,
  merchantId: row.merchant_id,
  currency: row.currency,
  total: row.total,
  coinCount: row.coin_count,
  createdAt: row.created_at,
});

export interface DepositParameters {
  readonly depositId: string;
  readonly merchantId: number;
  readonly currency: string;
  readonly coins: readonly SpentCoin[];
  readonly now: number;
}

/** The record of a deposit of fresh coins. */
export const newDeposit = (params: DepositParameters): DepositRecord => ({
  id: params.depositId,
  merchantId: params.merchantId,
  currency: params.currency,
  total: sumValues(params.coins),
  coinCount: params.coins.length,
  createdAt: params.now,
});

/** The transfer crediting the merchant with a deposit's coins, out of system:coins. */
export const depositTransfer = (d: DepositRecord, coinsAccount: number): TransferParams =>
  transferBetween('deposit', d.id, coinsAccount, d.merchantId, d.total, d.createdAt);

/** `deposits` values of a new deposit, in the order of `depositColumns`. */
export const depositColumns = 'id, merchant_id, currency, total, coin_count, created_at';
export const depositValues = (d: DepositRecord): unknown[] => [
  d.id,
  d.merchantId,
  d.currency,
  d.total,
  d.coinCount,
  d.createdAt,
];

/** Deposit ids are chosen by merchants: one reused for other coins is a coded refusal. */
export const depositIdTaken = (): FarthingError =>
  new FarthingError('conflict', 'this deposit id was already used for other coins', {
    details: { field: 'depositId' },
  });

/**
 * Some of a deposit's coins were spent before (`spent[i]`, undefined for a coin that was not).
 * The very same signed permissions deposited again (a retry that lost its answer) are not a
 * double spend: they name one deposit, whose id this returns. Anything else is refused, the
 * first coin spent by something else naming its first spend.
 */
export function replayedDeposit(
  coins: readonly SpentCoin[],
  spent: readonly (SpentCoinRecord | undefined)[],
): string | undefined {
  let replayOf: string | undefined;
  for (let index = 0; index < coins.length; index++) {
    const first = spent[index];
    if (first === undefined) continue;
    if (first.kind === 'deposit' && sameBytes(first.signature, coins[index]!.signature)) {
      if (replayOf === undefined || replayOf === first.spentBy) {
        replayOf = first.spentBy;
        continue;
      }
    }
    throw coinAlreadySpent(first);
  }
  return replayOf;
}

/**
 * The original deposit when every coin was spent by it (`replayedDeposit`'s answer, read
 * back); otherwise `coin_already_spent` naming the deposit that spent some of them.
 */
export function depositReplay(
  coins: readonly SpentCoin[],
  spent: readonly (SpentCoinRecord | undefined)[],
  replayOf: string | undefined,
  original: DepositRecord | undefined,
): DepositRecord {
  if (!spent.includes(undefined) && original?.coinCount === coins.length) return original;
  // Stored ids are `<merchant account id>:<merchant's id>` (deposit.ts); name the latter.
  const depositId = replayOf?.slice(replayOf.indexOf(':') + 1);
  throw new FarthingError(
    'coin_already_spent',
    'some of these coins were already deposited in another deposit',
    { details: { depositId } },
  );
}

export function sumValues(coins: readonly { value: number }[]): number {
  let total = 0;
  for (const coin of coins) total += coin.value;
  if (!Number.isSafeInteger(total)) throw new Error('coin total overflows');
  return total;
}
