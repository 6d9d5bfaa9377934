/**
 * The mint's state: denominations, issuances (withdrawals and change), deposits, spent coins.
 * Only the SQL lives here: rows become records, and retries and double spends are decided, in
 * ../mint-rows.ts, which the PostgreSQL store shares.
 */
import type Database from 'better-sqlite3';
import * as mintRows from '../mint-rows.ts';
import {
  type BankKeyRecord,
  coinAlreadySpent,
  type DenominationRecord,
  type DepositRecord,
  type IssuanceRecord,
  type SpentCoin,
  type SpentCoinRecord,
  type WithdrawParameters,
} from '../store.ts';
import { isConstraintError } from './database.ts';
import type { Ledger } from './ledger.ts';

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
        `INSERT INTO denominations (${mintRows.denominationColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      issuance: db.prepare('SELECT * FROM issuances WHERE id = ?'),
      issuedCoins: db.prepare(
        'SELECT denomination_id, value, blinded_message, blind_signature FROM issued_coins WHERE issuance_id = ? ORDER BY idx',
      ),
      insertIssuance: db.prepare(
        `INSERT INTO issuances (${mintRows.issuanceColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
        `INSERT INTO deposits (${mintRows.depositColumns}) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  bankKey(name: string): BankKeyRecord | undefined {
    const row = this.#statements.bankKey.get(name) as mintRows.BankKeyRow | undefined;
    return row === undefined ? undefined : mintRows.bankKeyFromRow(row);
  }

  ensureBankKey(key: BankKeyRecord & { now: number }): BankKeyRecord {
    this.#statements.insertBankKey.run(key.name, key.secret, key.publicKey, key.now);
    return this.bankKey(key.name)!;
  }

  denominations(): DenominationRecord[] {
    return (this.#statements.denominations.all() as mintRows.DenominationRow[]).map(
      mintRows.denominationFromRow,
    );
  }

  insertDenomination(d: DenominationRecord): void {
    this.#statements.insertDenomination.run(...mintRows.denominationValues(d));
  }

  issuance(id: string): IssuanceRecord | undefined {
    const row = this.#statements.issuance.get(id) as mintRows.IssuanceRow | undefined;
    if (row === undefined) return undefined;
    return mintRows.issuanceFromRows(
      row,
      this.#statements.issuedCoins.all(id) as mintRows.IssuedCoinRow[],
    );
  }

  #insertIssuance(issuance: mintRows.NewIssuance): void {
    this.#statements.insertIssuance.run(...mintRows.issuanceValues(issuance));
    issuance.coins.forEach((coin, index) => {
      this.#statements.insertIssuedCoin.run(
        issuance.id,
        index,
        coin.denominationId,
        coin.value,
        coin.blindedMessage,
        coin.blindSignature,
      );
    });
  }

  withdraw(params: WithdrawParameters, coinsAccount: number): IssuanceRecord {
    const existing = this.issuance(params.issuanceId);
    const retry = mintRows.issuanceRetry(existing, params.issuanceId, params.requestHash);
    if (retry !== undefined) return retry;
    const { issuance, transfer } = mintRows.withdrawal(params, coinsAccount);
    this.#insertIssuance(issuance);
    this.#ledger.post(transfer);
    return this.issuance(params.issuanceId)!;
  }

  spentCoin(coinPub: Uint8Array): SpentCoinRecord | undefined {
    const row = this.#statements.spentCoin.get(coinPub) as mintRows.SpentCoinRow | undefined;
    return row === undefined ? undefined : mintRows.spentCoinFromRow(row);
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
   * collides are the earlier spends read (`#alreadySpent`), so a deposit of fresh coins costs
   * no lookup. Whatever this throws, the caller's savepoint takes back the coins it inserted.
   */
  deposit(params: mintRows.DepositParameters, coinsAccount: number): DepositRecord {
    const { coins } = params;
    for (let index = 0; index < coins.length; index++) {
      try {
        this.#markSpent(coins[index]!, 'deposit', params.depositId, params.now);
      } catch (error) {
        if (!isConstraintError(error, 'UNIQUE')) throw error;
        return this.#alreadySpent(coins, index);
      }
    }
    const record = mintRows.newDeposit(params);
    try {
      this.#statements.insertDeposit.run(...mintRows.depositValues(record));
    } catch (error) {
      if (isConstraintError(error, 'UNIQUE')) throw mintRows.depositIdTaken();
      throw error;
    }
    this.#ledger.post(mintRows.depositTransfer(record, coinsAccount));
    return record;
  }

  /**
   * `coins[first]` was spent before (its insert collided) and the coins before it were not
   * (theirs did not, and they are now this deposit's): the rule is mint-rows.ts's.
   */
  #alreadySpent(coins: readonly SpentCoin[], first: number): DepositRecord {
    const spent = coins.map((coin, index) =>
      index < first ? undefined : this.spentCoin(coin.coinPub),
    );
    const replayOf = mintRows.replayedDeposit(coins, spent);
    const row =
      replayOf === undefined
        ? undefined
        : (this.#statements.deposit.get(replayOf) as mintRows.DepositRow | undefined);
    return mintRows.depositReplay(coins, spent, replayOf, row && mintRows.depositFromRow(row));
  }

  change(params: mintRows.ChangeParameters): IssuanceRecord {
    const existing = this.issuance(params.issuanceId);
    const retry = mintRows.issuanceRetry(existing, params.issuanceId, params.requestHash);
    if (retry !== undefined) return retry;
    const spent = this.spentCoin(params.spent.coinPub);
    if (spent !== undefined) throw coinAlreadySpent(spent);
    const issuance = mintRows.change(params);
    this.#markSpent(params.spent, 'change', params.issuanceId, params.now);
    this.#insertIssuance(issuance);
    return this.issuance(params.issuanceId)!;
  }
}
