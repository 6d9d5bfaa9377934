/**
 * The refund tables (migration 5) and their ledger postings; refund-store.ts says what they
 * model and what every write keeps. The checks run inside the write's transaction, after the
 * group commit's writer took the database, so two refunds of one payment see each other.
 */

import * as records from '../refund-rows.ts';
import * as rules from '../refund-rules.ts';
import {
  type CoinRefundState,
  coinRefundsAccount,
  type RefundParameters,
  type RefundRecord,
  type RefundRefreshRecord,
  type RefundStore,
} from '../refund-store.ts';
import type { SqliteArea } from './area.ts';

export class SqliteRefundStore implements RefundStore {
  readonly #area: SqliteArea;
  readonly #system: { coinRefunds: number; coins: number };
  readonly #sql;

  /** `coinsAccount`: system:coins, where refreshed coins' value goes. */
  constructor(area: SqliteArea, coinsAccount: number) {
    const { db, accounts } = area;
    this.#area = area;
    this.#system = db.transaction(() => ({
      coins: coinsAccount,
      coinRefunds: accounts.ensureSystem(
        coinRefundsAccount,
        'Coin refunds not yet refreshed',
        area.currency,
      ),
    }))();
    this.#sql = {
      refund: db.prepare<[number, string], records.RefundRow>(
        'SELECT * FROM refunds WHERE merchant_id = ? AND refund_id = ?',
      ),
      byReceipt: db.prepare<[number, Uint8Array], records.RefundRow>(
        'SELECT * FROM refunds WHERE merchant_id = ? AND receipt_id = ? ORDER BY row_id',
      ),
      refundedOfPayment: db.prepare<[string], { total: number }>(
        'SELECT coalesce(sum(amount), 0) AS total FROM refunds WHERE payment = ?',
      ),
      insertRefund: db.prepare(
        `INSERT INTO refunds (merchant_id, refund_id, instrument, payment, receipt_id, currency,
           amount, paid, payer_account_id, request_hash, statement, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      deposit: db.prepare<[string], { merchant_id: number; currency: string; total: number }>(
        'SELECT merchant_id, currency, total FROM deposits WHERE id = ?',
      ),
      depositedCoins: db.prepare<[string], { coin_pub: Buffer; value: number; proof: string }>(
        `SELECT coin_pub, value, proof FROM spent_coins
         WHERE kind = 'deposit' AND spent_by = ? ORDER BY coin_pub`,
      ),
      refundedOfCoin: db.prepare<[Uint8Array], { total: number }>(
        'SELECT coalesce(sum(amount), 0) AS total FROM coin_refunds WHERE coin_pub = ?',
      ),
      refreshedOfCoin: db.prepare<[Uint8Array], { total: number }>(
        'SELECT coalesce(sum(total), 0) AS total FROM refund_refreshes WHERE coin_pub = ?',
      ),
      coinCurrency: db.prepare<[Uint8Array], { currency: string }>(
        'SELECT currency FROM refunds r JOIN coin_refunds c ON c.refund_row = r.row_id WHERE c.coin_pub = ? LIMIT 1',
      ),
      insertCoinRefund: db.prepare(
        'INSERT INTO coin_refunds (refund_row, coin_pub, amount) VALUES (?, ?, ?)',
      ),
      redemption: db.prepare<[Uint8Array], { vendor_id: number; redeemed: number; serial: number }>(
        'SELECT vendor_id, redeemed, serial FROM payword_redemptions WHERE commitment_id = ?',
      ),
      certificate: db.prepare<[number], { account_id: number; currency: string }>(
        'SELECT account_id, currency FROM payword_certificates WHERE serial = ?',
      ),
      refresh: db.prepare<[string], records.RefundRefreshRow>(
        'SELECT * FROM refund_refreshes WHERE id = ?',
      ),
      refreshCoins: db.prepare<[string], records.RefundRefreshCoinRow>(
        'SELECT denomination_id, value, blinded_message, blind_signature FROM refund_refresh_coins WHERE refresh_id = ? ORDER BY idx',
      ),
      insertRefresh: db.prepare(
        `INSERT INTO refund_refreshes (id, coin_pub, currency, total, coin_count, request_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertRefreshCoin: db.prepare(
        `INSERT INTO refund_refresh_coins (refresh_id, idx, denomination_id, value, blinded_message, blind_signature)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  readonly refund: RefundStore['refund'] = (params, ...reply) =>
    this.#area.writeReply(params.now, reply, () => this.#refund(params));

  #refund(params: RefundParameters): RefundRecord {
    const sql = this.#sql;
    const repeated = rules.repeatedRefund(
      sql.refund.get(params.merchantId, params.refundId),
      params,
    );
    if (repeated !== undefined) return repeated;
    // What the bank received for the payment, and who gets the money back.
    let received: number;
    let payer: number | null = null;
    let coins: readonly rules.DepositedCoinRow[] = [];
    if (params.instrument === 'ecash') {
      const deposit = sql.deposit.get(params.payment);
      const deposited = deposit === undefined ? [] : sql.depositedCoins.all(params.payment);
      ({ received, coins } = rules.ecashRefundSource(deposit, deposited, params));
    } else {
      const redemption = sql.redemption.get(params.commitmentId);
      rules.assertRedemptionSettled(redemption, params);
      const certificate = sql.certificate.get(redemption.serial)!;
      ({ received, payer } = rules.paywordRefundSource(redemption, certificate, params));
    }
    const ofReceipt = sql.byReceipt.all(params.merchantId, params.receiptId);
    const refundedOfPayment = sql.refundedOfPayment.get(params.payment)!.total;
    rules.checkRefundRoom(params, ofReceipt, received, refundedOfPayment);
    const row = sql.insertRefund.get(...records.refundValues(params, payer)) as records.RefundRow;
    const withRefunded = coins.map((coin) => ({
      ...coin,
      refunded: sql.refundedOfCoin.get(coin.coin_pub)!.total,
    }));
    for (const share of rules.coinRefundShares(params, withRefunded)) {
      sql.insertCoinRefund.run(row.row_id, share.coinPub, share.amount);
    }
    this.#area.ledger.post(rules.refundTransfer(params, payer, this.#system.coinRefunds));
    return records.toRefund(row);
  }

  listRefunds(merchantId: number, receiptId: Uint8Array): Promise<RefundRecord[]> {
    return this.#area.read(() =>
      this.#sql.byReceipt.all(merchantId, receiptId).map(records.toRefund),
    );
  }

  coinRefund(coinPub: Uint8Array): Promise<CoinRefundState | undefined> {
    return this.#area.read(() => {
      const currency = this.#sql.coinCurrency.get(coinPub)?.currency;
      if (currency === undefined) return undefined;
      return {
        coinPub,
        currency,
        refunded: this.#sql.refundedOfCoin.get(coinPub)!.total,
        refreshed: this.#sql.refreshedOfCoin.get(coinPub)!.total,
      };
    });
  }

  readonly refreshRefundedCoin: RefundStore['refreshRefundedCoin'] = (params, ...reply) =>
    this.#area.writeReply(params.now, reply, () => {
      const sql = this.#sql;
      const repeated = rules.repeatedRefresh(this.#refresh(params.issuanceId), params);
      if (repeated !== undefined) return repeated;
      const { total, transfer } = rules.refreshPayment(
        params,
        sql.refundedOfCoin.get(params.coinPub)!.total,
        sql.refreshedOfCoin.get(params.coinPub)!.total,
        this.#system,
      );
      sql.insertRefresh.run(
        params.issuanceId,
        params.coinPub,
        params.currency,
        total,
        params.coins.length,
        params.requestHash,
        params.now,
      );
      for (const [index, coin] of params.coins.entries()) {
        sql.insertRefreshCoin.run(
          params.issuanceId,
          index,
          coin.denominationId,
          coin.value,
          coin.blindedMessage,
          coin.blindSignature,
        );
      }
      this.#area.ledger.post(transfer);
      return this.#refresh(params.issuanceId)!;
    });

  getRefundRefresh(issuanceId: string): Promise<RefundRefreshRecord | undefined> {
    return this.#area.read(() => this.#refresh(issuanceId));
  }

  #refresh(id: string): RefundRefreshRecord | undefined {
    const row = this.#sql.refresh.get(id);
    return row === undefined
      ? undefined
      : records.toRefundRefresh(row, this.#sql.refreshCoins.all(id));
  }
}
