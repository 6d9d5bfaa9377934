/**
 * Refunds on PostgreSQL (migration 3; the SQLite twin is ../sqlite/rules.ts, and
 * ../refund-store.ts says what the tables model and what every write keeps). Each write runs
 * in the caller's READ COMMITTED transaction with the ledger transfer that pays for it.
 *
 * Across processes, a refund takes, in this order and held to the commit:
 *
 * 1. a transaction advisory lock on its (merchant, receipt), so two refunds of one receipt
 *    never both pass its "what is left" check, even when they name different payments;
 * 2. the row of what it refunds, `FOR NO KEY UPDATE`: the deposit, or the commitment's
 *    redemption (which a PayWord redemption updates under the same lock), so two refunds of
 *    one payment run one after the other and the second sums the first's refund and coin
 *    credits; READ COMMITTED reads every statement after the lock from the latest commit;
 * 3. the accounts, in id order (ledger.ts).
 *
 * A refund id is claimed once per merchant by its UNIQUE key; a concurrent refund under the
 * same id for another receipt loses on that key and its retry reads the winner's row. A
 * refresh of a refunded coin takes an advisory lock on the coin (two refreshes of one coin
 * never both spend its credit) and claims its issuance id by `refund_refreshes_id`.
 */

import * as records from '../refund-rows.ts';
import * as rules from '../refund-rules.ts';
import type {
  CoinRefundState,
  RefundParameters,
  RefundRecord,
  RefundRefreshRecord,
  RefundStore,
} from '../refund-store.ts';
import type { PostgresDatabase, Sql } from './database.ts';
import { postTransfer } from './ledger.ts';
import type { PostgresWrites } from './write.ts';

/** Keys a concurrent request may claim first: the retry then finds the winner's row. */
export const refundClaimedKeys = ['refunds_merchant_id_refund_id_key', 'refund_refreshes_id'];

const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

/** Holds a transaction advisory lock named `name` until the commit. */
async function lockName(sql: Sql, name: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
}

async function total(sql: Sql, text: string, values: readonly unknown[]): Promise<number> {
  const [row] = await sql.query<{ total: number }>(text, values);
  return row!.total;
}

const refundedOfCoin = (sql: Sql, coinPub: Uint8Array) =>
  total(sql, 'SELECT COALESCE(SUM(amount), 0) AS total FROM coin_refunds WHERE coin_pub = $1', [
    coinPub,
  ]);
const refreshedOfCoin = (sql: Sql, coinPub: Uint8Array) =>
  total(sql, 'SELECT COALESCE(SUM(total), 0) AS total FROM refund_refreshes WHERE coin_pub = $1', [
    coinPub,
  ]);

export class PostgresRefundStore implements RefundStore {
  readonly #db: PostgresDatabase;
  readonly #writes: PostgresWrites;
  readonly #system: { readonly coinRefunds: number; readonly coins: number };

  constructor(options: {
    db: PostgresDatabase;
    writes: PostgresWrites;
    system: { readonly coinRefunds: number; readonly coins: number };
  }) {
    this.#db = options.db;
    this.#writes = options.writes;
    this.#system = options.system;
  }

  readonly refund: RefundStore['refund'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, (sql) => this.#refund(sql, params));

  async #refund(sql: Sql, params: RefundParameters): Promise<RefundRecord> {
    await lockName(sql, `refund-receipt:${params.merchantId}:${hex(params.receiptId)}`);
    const [existing] = await sql.query<records.RefundRow>(
      'SELECT * FROM refunds WHERE merchant_id = $1 AND refund_id = $2',
      [params.merchantId, params.refundId],
    );
    const repeated = rules.repeatedRefund(existing, params);
    if (repeated !== undefined) return repeated;
    // What the bank received for the payment (its row locked), and who gets the money back.
    let received: number;
    let payer: number | null = null;
    let coins: readonly rules.DepositedCoinRow[] = [];
    if (params.instrument === 'ecash') {
      const [deposit] = await sql.query<{ merchant_id: number; currency: string; total: number }>(
        'SELECT merchant_id, currency, total FROM deposits WHERE id = $1 FOR NO KEY UPDATE',
        [params.payment],
      );
      const deposited =
        deposit === undefined
          ? []
          : await sql.query<rules.DepositedCoinRow>(
              `SELECT coin_pub, value, proof FROM spent_coins
         WHERE kind = 'deposit' AND spent_by = $1 ORDER BY coin_pub`,
              [params.payment],
            );
      ({ received, coins } = rules.ecashRefundSource(deposit, deposited, params));
    } else {
      const [redemption] = await sql.query<rules.RedemptionRow>(
        `SELECT vendor_id, redeemed, serial FROM payword_redemptions
         WHERE commitment_id = $1 FOR NO KEY UPDATE`,
        [params.commitmentId],
      );
      rules.assertRedemptionSettled(redemption, params);
      const [certificate] = await sql.query<{ account_id: number; currency: string }>(
        'SELECT account_id, currency FROM payword_certificates WHERE serial = $1',
        [redemption.serial],
      );
      ({ received, payer } = rules.paywordRefundSource(redemption, certificate!, params));
    }
    const ofReceipt = await sql.query<records.RefundRow>(
      'SELECT * FROM refunds WHERE merchant_id = $1 AND receipt_id = $2 ORDER BY row_id',
      [params.merchantId, params.receiptId],
    );
    const refundedOfPayment = await total(
      sql,
      'SELECT COALESCE(SUM(amount), 0) AS total FROM refunds WHERE payment = $1',
      [params.payment],
    );
    rules.checkRefundRoom(params, ofReceipt, received, refundedOfPayment);
    const [row] = await sql.query<records.RefundRow>(
      `INSERT INTO refunds (merchant_id, refund_id, instrument, payment, receipt_id, currency,
         amount, paid, payer_account_id, request_hash, statement, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      records.refundValues(params, payer),
    );
    const withRefunded = [];
    for (const coin of coins) {
      withRefunded.push({ ...coin, refunded: await refundedOfCoin(sql, coin.coin_pub) });
    }
    for (const share of rules.coinRefundShares(params, withRefunded)) {
      await sql.query(
        'INSERT INTO coin_refunds (refund_row, coin_pub, amount) VALUES ($1, $2, $3)',
        [row!.row_id, share.coinPub, share.amount],
      );
    }
    await postTransfer(sql, rules.refundTransfer(params, payer, this.#system.coinRefunds));
    return records.toRefund(row!);
  }

  async listRefunds(merchantId: number, receiptId: Uint8Array): Promise<RefundRecord[]> {
    const rows = await this.#db.query<records.RefundRow>(
      'SELECT * FROM refunds WHERE merchant_id = $1 AND receipt_id = $2 ORDER BY row_id',
      [merchantId, receiptId],
    );
    return rows.map(records.toRefund);
  }

  async coinRefund(coinPub: Uint8Array): Promise<CoinRefundState | undefined> {
    // One statement, so the credit and the refreshes come from one committed state.
    const [row] = await this.#db.query<{ currency: string; refunded: number; refreshed: number }>(
      `SELECT r.currency,
         (SELECT SUM(amount) FROM coin_refunds WHERE coin_pub = $1) AS refunded,
         (SELECT COALESCE(SUM(total), 0) FROM refund_refreshes WHERE coin_pub = $1) AS refreshed
       FROM coin_refunds c JOIN refunds r ON r.row_id = c.refund_row
       WHERE c.coin_pub = $1 LIMIT 1`,
      [coinPub],
    );
    if (row === undefined) return undefined;
    return { coinPub, currency: row.currency, refunded: row.refunded, refreshed: row.refreshed };
  }

  readonly refreshRefundedCoin: RefundStore['refreshRefundedCoin'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, async (sql) => {
      await lockName(sql, `refund-coin:${hex(params.coinPub)}`);
      const repeated = rules.repeatedRefresh(await refresh(sql, params.issuanceId), params);
      if (repeated !== undefined) return repeated;
      const { total: sum, transfer } = rules.refreshPayment(
        params,
        await refundedOfCoin(sql, params.coinPub),
        await refreshedOfCoin(sql, params.coinPub),
        this.#system,
      );
      await sql.query(
        `INSERT INTO refund_refreshes (id, coin_pub, currency, total, coin_count, request_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          params.issuanceId,
          params.coinPub,
          params.currency,
          sum,
          params.coins.length,
          params.requestHash,
          params.now,
        ],
      );
      await sql.query(
        `INSERT INTO refund_refresh_coins (refresh_id, idx, denomination_id, value, blinded_message, blind_signature)
         SELECT $1, c.idx - 1, c.denomination_id, c.value, c.blinded_message, c.blind_signature
         FROM unnest($2::bytea[], $3::bigint[], $4::bytea[], $5::bytea[])
           WITH ORDINALITY AS c (denomination_id, value, blinded_message, blind_signature, idx)`,
        [
          params.issuanceId,
          params.coins.map((coin) => Buffer.from(coin.denominationId)),
          params.coins.map((coin) => coin.value),
          params.coins.map((coin) => Buffer.from(coin.blindedMessage)),
          params.coins.map((coin) => Buffer.from(coin.blindSignature)),
        ],
      );
      await postTransfer(sql, transfer);
      return (await refresh(sql, params.issuanceId))!;
    });

  getRefundRefresh(issuanceId: string): Promise<RefundRefreshRecord | undefined> {
    return refresh(this.#db, issuanceId);
  }
}

async function refresh(sql: Sql, id: string): Promise<RefundRefreshRecord | undefined> {
  const [row] = await sql.query<records.RefundRefreshRow>(
    'SELECT * FROM refund_refreshes WHERE id = $1',
    [id],
  );
  if (row === undefined) return undefined;
  const coins = await sql.query<records.RefundRefreshCoinRow>(
    `SELECT denomination_id, value, blinded_message, blind_signature FROM refund_refresh_coins
     WHERE refresh_id = $1 ORDER BY idx`,
    [id],
  );
  return records.toRefundRefresh(row, coins);
}
