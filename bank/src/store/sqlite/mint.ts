/**
 * The mint's state: denominations, issuances (withdrawals and change), deposits, spent coins.
 *
 * Long because the mint's tables are the bank's busiest: withdrawals, change and deposits
 * each keep their statements here, beside the double-spending rule they all rely on.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
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
} from '../store.ts';
import type { Ledger } from './ledger.ts';

const bytes = (value: Uint8Array | Buffer): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

interface DenominationRow {
  readonly id: Buffer;
  readonly currency: string;
  readonly value: number;
  readonly public_n: Buffer;
  readonly public_e: Buffer;
  readonly private_key: Buffer;
  readonly valid_from: number;
  readonly withdraw_until: number;
  readonly deposit_until: number;
  readonly created_at: number;
}

export class MintTables {
  readonly #ledger: Ledger;
  readonly #statements;

  constructor(db: Database.Database, ledger: Ledger) {
    this.#ledger = ledger;
    this.#statements = {
      bankKey: db.prepare('SELECT name, secret, public FROM bank_keys WHERE name = ?'),
      insertBankKey: db.prepare(
        'INSERT OR IGNORE INTO bank_keys (name, secret, public, created_at) VALUES (?, ?, ?, ?)',
      ),
      denominations: db.prepare('SELECT * FROM denominations ORDER BY currency, value, valid_from'),
      insertDenomination: db.prepare(
        `INSERT INTO denominations (id, currency, value, public_n, public_e, private_key, valid_from,
           withdraw_until, deposit_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      issuance: db.prepare('SELECT * FROM issuances WHERE id = ?'),
      issuedCoins: db.prepare(
        'SELECT denomination_id, value, blinded_message, blind_signature FROM issued_coins WHERE issuance_id = ? ORDER BY idx',
      ),
      insertIssuance: db.prepare(
        `INSERT INTO issuances (id, kind, account_id, currency, total, coin_count, request_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertIssuedCoin: db.prepare(
        `INSERT INTO issued_coins (issuance_id, idx, denomination_id, value, blinded_message, blind_signature)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      spentCoin: db.prepare('SELECT * FROM spent_coins WHERE coin_pub = ?'),
      insertSpentCoin: db.prepare(
        `INSERT INTO spent_coins (coin_pub, denomination_id, value, kind, spent_by, proof, signature, spent_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deposit: db.prepare('SELECT * FROM deposits WHERE id = ?'),
      insertDeposit: db.prepare(
        `INSERT INTO deposits (id, merchant_id, currency, total, coin_count, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  bankKey(name: string): BankKeyRecord | undefined {
    const row = this.#statements.bankKey.get(name) as
      | { name: string; secret: Buffer; public: Buffer }
      | undefined;
    return row === undefined
      ? undefined
      : { name: row.name, secret: bytes(row.secret), publicKey: bytes(row.public) };
  }

  ensureBankKey(key: BankKeyRecord & { now: number }): BankKeyRecord {
    this.#statements.insertBankKey.run(key.name, key.secret, key.publicKey, key.now);
    return this.bankKey(key.name)!;
  }

  denominations(): DenominationRecord[] {
    return (this.#statements.denominations.all() as DenominationRow[]).map((row) => ({
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
    }));
  }

  insertDenomination(d: DenominationRecord): void {
    this.#statements.insertDenomination.run(
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
    );
  }

  issuance(id: string): IssuanceRecord | undefined {
    const row = this.#statements.issuance.get(id) as
      | {
          id: string;
          kind: 'withdrawal' | 'change';
          account_id: number | null;
          currency: string;
          total: number;
          request_hash: Buffer;
          created_at: number;
        }
      | undefined;
    if (row === undefined) return undefined;
    const coins = (
      this.#statements.issuedCoins.all(id) as {
        denomination_id: Buffer;
        value: number;
        blinded_message: Buffer;
        blind_signature: Buffer;
      }[]
    ).map((coin) => ({
      denominationId: bytes(coin.denomination_id),
      value: coin.value,
      blindedMessage: bytes(coin.blinded_message),
      blindSignature: bytes(coin.blind_signature),
    }));
    return {
      id: row.id,
      kind: row.kind,
      accountId: row.account_id ?? undefined,
      currency: row.currency,
      total: row.total,
      requestHash: bytes(row.request_hash),
      coins,
      createdAt: row.created_at,
    };
  }

  /**
   * The stored issuance when `id` was already used for exactly this request (a retry after a
   * crash), `issuance_conflict` when it was used for another, undefined when it is new.
   */
  #existingIssuance(id: string, requestHash: Uint8Array): IssuanceRecord | undefined {
    const existing = this.issuance(id);
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

  #insertIssuance(params: {
    id: string;
    kind: 'withdrawal' | 'change';
    accountId: number | null;
    currency: string;
    total: number;
    requestHash: Uint8Array;
    coins: readonly IssuedCoin[];
    now: number;
  }): void {
    this.#statements.insertIssuance.run(
      params.id,
      params.kind,
      params.accountId,
      params.currency,
      params.total,
      params.coins.length,
      params.requestHash,
      params.now,
    );
    params.coins.forEach((coin, index) => {
      this.#statements.insertIssuedCoin.run(
        params.id,
        index,
        coin.denominationId,
        coin.value,
        coin.blindedMessage,
        coin.blindSignature,
      );
    });
  }

  withdraw(params: WithdrawParameters, coinsAccount: number): IssuanceRecord {
    const existing = this.#existingIssuance(params.issuanceId, params.requestHash);
    if (existing !== undefined) return existing;
    const total = sumValues(params.coins);
    this.#insertIssuance({
      id: params.issuanceId,
      kind: 'withdrawal',
      accountId: params.accountId,
      currency: params.currency,
      total,
      requestHash: params.requestHash,
      coins: params.coins,
      now: params.now,
    });
    this.#ledger.post({
      kind: 'withdrawal',
      reference: params.issuanceId,
      postings: [
        { accountId: params.accountId, amount: -total },
        { accountId: coinsAccount, amount: total },
      ],
      now: params.now,
    });
    return this.issuance(params.issuanceId)!;
  }

  spentCoin(coinPub: Uint8Array): SpentCoinRecord | undefined {
    const row = this.#statements.spentCoin.get(coinPub) as
      | {
          coin_pub: Buffer;
          denomination_id: Buffer;
          value: number;
          kind: 'deposit' | 'change';
          spent_by: string;
          proof: string;
          signature: Buffer;
          spent_at: number;
        }
      | undefined;
    if (row === undefined) return undefined;
    return {
      coinPub: bytes(row.coin_pub),
      denominationId: bytes(row.denomination_id),
      value: row.value,
      kind: row.kind,
      spentBy: row.spent_by,
      proof: row.proof,
      signature: bytes(row.signature),
      spentAt: row.spent_at,
    };
  }

  #markSpent(coin: SpentCoin, kind: 'deposit' | 'change', spentBy: string, now: number): void {
    this.#statements.insertSpentCoin.run(
      coin.coinPub,
      coin.denominationId,
      coin.value,
      kind,
      spentBy,
      coin.proof,
      coin.signature,
      now,
    );
  }

  /**
   * Marks the coins spent, records the deposit and credits the merchant. The UNIQUE coin_pub
   * is the double-spending check: each coin is inserted straight away, and only when one
   * collides is the first spend read (`#alreadySpent`), so a deposit of fresh coins costs no
   * lookup. Whatever this throws, the caller's savepoint takes back the coins it inserted.
   */
  deposit(
    params: {
      depositId: string;
      merchantId: number;
      currency: string;
      coins: readonly SpentCoin[];
      now: number;
    },
    coinsAccount: number,
  ): DepositRecord {
    const { coins } = params;
    for (let index = 0; index < coins.length; index++) {
      try {
        this.#markSpent(coins[index]!, 'deposit', params.depositId, params.now);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        return this.#alreadySpent(params, index);
      }
    }
    const total = sumValues(coins);
    try {
      this.#statements.insertDeposit.run(
        params.depositId,
        params.merchantId,
        params.currency,
        total,
        coins.length,
        params.now,
      );
    } catch (error) {
      // Deposit ids are chosen by merchants: one reused for other coins is a coded refusal,
      // not a uniqueness failure surfacing as an internal error.
      if (isUniqueViolation(error)) {
        throw new FarthingError('conflict', 'this deposit id was already used for other coins', {
          details: { field: 'depositId' },
        });
      }
      throw error;
    }
    this.#ledger.post({
      kind: 'deposit',
      reference: params.depositId,
      postings: [
        { accountId: coinsAccount, amount: -total },
        { accountId: params.merchantId, amount: total },
      ],
      now: params.now,
    });
    return {
      id: params.depositId,
      merchantId: params.merchantId,
      currency: params.currency,
      total,
      coinCount: coins.length,
      createdAt: params.now,
    };
  }

  /**
   * `coins[first]` was spent before (its insert collided) and the coins before it were not
   * (theirs did not). A retry that lost its answer — every coin spent by one deposit with the
   * very same signed permission — gets that deposit back; anything else is refused, the first
   * coin spent by something else naming its first spend.
   */
  #alreadySpent(params: { readonly coins: readonly SpentCoin[] }, first: number): DepositRecord {
    const { coins } = params;
    let replayOf: string | undefined;
    let fresh = first;
    for (let index = first; index < coins.length; index++) {
      const coin = coins[index]!;
      const spent = this.spentCoin(coin.coinPub);
      if (spent === undefined) {
        fresh++;
        continue;
      }
      // The very same signed permission deposited again (a retry that lost its answer) is not
      // a double spend: it names the same deposit. Anything else is.
      if (spent.kind === 'deposit' && sameBytes(spent.signature, coin.signature)) {
        if (replayOf === undefined || replayOf === spent.spentBy) {
          replayOf = spent.spentBy;
          continue;
        }
      }
      throw coinAlreadySpent(spent);
    }
    const original = replayOf === undefined ? undefined : this.#deposit(replayOf);
    if (fresh === 0 && original !== undefined && original.coinCount === coins.length) {
      return original;
    }
    // Stored ids are `<merchant account id>:<merchant's id>` (deposit.ts); name the latter.
    const depositId = replayOf?.slice(replayOf.indexOf(':') + 1);
    throw new FarthingError(
      'coin_already_spent',
      'some of these coins were already deposited in another deposit',
      { details: { depositId } },
    );
  }

  #deposit(id: string): DepositRecord | undefined {
    const row = this.#statements.deposit.get(id) as
      | {
          id: string;
          merchant_id: number;
          currency: string;
          total: number;
          coin_count: number;
          created_at: number;
        }
      | undefined;
    return row === undefined
      ? undefined
      : {
          id: row.id,
          merchantId: row.merchant_id,
          currency: row.currency,
          total: row.total,
          coinCount: row.coin_count,
          createdAt: row.created_at,
        };
  }

  change(params: {
    issuanceId: string;
    currency: string;
    requestHash: Uint8Array;
    spent: SpentCoin;
    coins: readonly IssuedCoin[];
    now: number;
  }): IssuanceRecord {
    const existing = this.#existingIssuance(params.issuanceId, params.requestHash);
    if (existing !== undefined) return existing;
    const spent = this.spentCoin(params.spent.coinPub);
    if (spent !== undefined) throw coinAlreadySpent(spent);
    if (sumValues(params.coins) !== params.spent.value) {
      throw new FarthingError('coin_amount_mismatch', 'change must add up to the coin spent', {
        details: { field: 'coins' },
      });
    }
    this.#markSpent(params.spent, 'change', params.issuanceId, params.now);
    // Value moves from one coin to others: system:coins is unchanged, so no ledger entry.
    this.#insertIssuance({
      id: params.issuanceId,
      kind: 'change',
      accountId: null,
      currency: params.currency,
      total: params.spent.value,
      requestHash: params.requestHash,
      coins: params.coins,
      now: params.now,
    });
    return this.issuance(params.issuanceId)!;
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

function sumValues(coins: readonly { value: number }[]): number {
  let total = 0;
  for (const coin of coins) total += coin.value;
  if (!Number.isSafeInteger(total)) throw new Error('coin total overflows');
  return total;
}
