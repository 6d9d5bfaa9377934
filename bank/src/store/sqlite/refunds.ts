/**
 * The refund tables (migration 5) and their ledger postings; refund-store.ts says what they
 * model and what every write keeps. The checks run inside the write's transaction, after the
 * group commit's writer took the database, so two refunds of one payment see each other.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
import {
  type CoinRefundState,
  coinRefundsAccount,
  type RefundParameters,
  type RefundRecord,
  type RefundRefreshRecord,
  type RefundStore,
} from '../refund-store.ts';
import type { IdempotencyClaim } from '../store.ts';
import type { Accounts } from './accounts.ts';
import type { Ledger } from './ledger.ts';

type Write = <R>(claim: IdempotencyClaim | undefined, now: number, work: () => R) => Promise<R>;
type Read = <R>(query: () => R) => Promise<R>;

interface RefundRow {
  row_id: number;
  merchant_id: number;
  refund_id: string;
  instrument: 'ecash' | 'payword';
  payment: string;
  receipt_id: Buffer;
  currency: string;
  amount: number;
  paid: number;
  request_hash: Buffer;
  statement: string;
  created_at: number;
}

const bytes = (value: Buffer): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function toRefund(row: RefundRow): RefundRecord {
  return {
    merchantId: row.merchant_id,
    refundId: row.refund_id,
    instrument: row.instrument,
    payment: row.payment,
    receiptId: bytes(row.receipt_id),
    currency: row.currency,
    amount: row.amount,
    paid: row.paid,
    statement: row.statement,
    createdAt: row.created_at,
  };
}

function exceeds(what: 'receipt' | 'payment', left: number): FarthingError {
  return new FarthingError(
    'refund_exceeds_payment',
    `this refund is larger than what is left of the ${what} to refund`,
    { details: { of: what, left } },
  );
}

export class SqliteRefundStore implements RefundStore {
  readonly #ledger: Ledger;
  readonly #write: Write;
  readonly #read: Read;
  readonly #system: { coinRefunds: number; coins: number };
  readonly #sql;

  constructor(options: {
    db: Database.Database;
    accounts: Accounts;
    ledger: Ledger;
    currency: string;
    coinsAccount: number;
    write: Write;
    read: Read;
  }) {
    const { db, accounts } = options;
    this.#ledger = options.ledger;
    this.#write = options.write;
    this.#read = options.read;
    this.#system = db.transaction(() => ({
      coins: options.coinsAccount,
      coinRefunds: (
        accounts.byName(coinRefundsAccount) ??
        accounts.create({
          kind: 'system',
          name: coinRefundsAccount,
          displayName: 'Coin refunds not yet refreshed',
          currency: options.currency,
          now: Date.now(),
        })
      ).id,
    }))();
    this.#sql = {
      refund: db.prepare<[number, string], RefundRow>(
        'SELECT * FROM refunds WHERE merchant_id = ? AND refund_id = ?',
      ),
      byReceipt: db.prepare<[number, Uint8Array], RefundRow>(
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
      refresh: db.prepare<
        [string],
        {
          id: string;
          coin_pub: Buffer;
          currency: string;
          total: number;
          request_hash: Buffer;
          created_at: number;
        }
      >('SELECT * FROM refund_refreshes WHERE id = ?'),
      refreshCoins: db.prepare<
        [string],
        { denomination_id: Buffer; value: number; blinded_message: Buffer; blind_signature: Buffer }
      >(
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

  refund<R>(
    params: RefundParameters,
    render: (refund: RefundRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, params.now, () => render(this.#refund(params)));
  }

  #refund(params: RefundParameters): RefundRecord {
    const sql = this.#sql;
    const existing = sql.refund.get(params.merchantId, params.refundId);
    if (existing !== undefined) {
      if (same(existing.request_hash, params.requestHash)) return toRefund(existing);
      throw new FarthingError('refund_id_reused', 'this refund id was used for another refund', {
        details: { refundId: params.refundId },
      });
    }
    // What the bank received for the payment, and who gets the money back.
    let received: number;
    let payer: number | null = null;
    let coins: { coin_pub: Buffer; value: number }[] = [];
    if (params.instrument === 'ecash') {
      const deposit = sql.deposit.get(params.payment);
      if (deposit === undefined || deposit.merchant_id !== params.merchantId) {
        throw new FarthingError('not_found', 'you made no deposit with this id', {
          details: { field: 'payment' },
        });
      }
      if (deposit.currency !== params.currency) throw currencyMismatch();
      received = deposit.total;
      const deposited = sql.depositedCoins.all(params.payment);
      const wanted = toBase64url(params.offerHash);
      for (const coin of deposited) {
        const permission = JSON.parse(coin.proof) as { offerHash?: unknown };
        if (permission.offerHash !== wanted) {
          throw new FarthingError('offer_mismatch', 'the deposit paid for another offer', {
            details: { field: 'offerHash' },
          });
        }
      }
      coins = deposited;
    } else {
      const redemption = sql.redemption.get(params.commitmentId);
      if (redemption === undefined || redemption.vendor_id !== params.merchantId) {
        throw new FarthingError(
          'refund_not_settled',
          'the broker has paid you nothing on this commitment yet: redeem it first',
          { details: { field: 'payment' } },
        );
      }
      const certificate = sql.certificate.get(redemption.serial)!;
      if (certificate.currency !== params.currency) throw currencyMismatch();
      received = redemption.redeemed;
      payer = certificate.account_id;
    }
    const ofReceipt = sql.byReceipt.all(params.merchantId, params.receiptId);
    if (ofReceipt.some((row) => row.paid !== params.paid || row.payment !== params.payment)) {
      throw new FarthingError('conflict', 'earlier refunds of this receipt name another payment', {
        details: { field: 'paid' },
      });
    }
    const receiptLeft = params.paid - ofReceipt.reduce((sum, row) => sum + row.amount, 0);
    if (params.amount > receiptLeft) throw exceeds('receipt', receiptLeft);
    const paymentLeft = received - sql.refundedOfPayment.get(params.payment)!.total;
    if (params.amount > paymentLeft) {
      // A PayWord payment the vendor has not redeemed in full yet counts as not settled.
      if (params.instrument === 'payword' && params.amount <= receiptLeft) {
        throw new FarthingError(
          'refund_not_settled',
          'the broker has not paid you enough on this commitment for this refund: redeem it first',
          { details: { field: 'payment', left: paymentLeft } },
        );
      }
      throw exceeds('payment', paymentLeft);
    }
    const row = sql.insertRefund.get(
      params.merchantId,
      params.refundId,
      params.instrument,
      params.payment,
      params.receiptId,
      params.currency,
      params.amount,
      params.paid,
      payer,
      params.requestHash,
      params.statement,
      params.now,
    ) as RefundRow;
    // E-cash: the value goes back to the coins, each up to what it is worth, in coin order.
    let left = params.instrument === 'ecash' ? params.amount : 0;
    for (const coin of coins) {
      if (left === 0) break;
      const room = coin.value - sql.refundedOfCoin.get(coin.coin_pub)!.total;
      const take = Math.min(room, left);
      if (take <= 0) continue;
      sql.insertCoinRefund.run(row.row_id, coin.coin_pub, take);
      left -= take;
    }
    if (left !== 0)
      throw new Error(`refund ${params.refundId}: ${left} left over the coins' value`);
    this.#ledger.post({
      kind: 'refund',
      reference: `${params.merchantId}:${params.refundId}`,
      postings: [
        { accountId: params.merchantId, amount: -params.amount },
        { accountId: payer ?? this.#system.coinRefunds, amount: params.amount },
      ],
      now: params.now,
    });
    return toRefund(row);
  }

  listRefunds(merchantId: number, receiptId: Uint8Array): Promise<RefundRecord[]> {
    return this.#read(() => this.#sql.byReceipt.all(merchantId, receiptId).map(toRefund));
  }

  coinRefund(coinPub: Uint8Array): Promise<CoinRefundState | undefined> {
    return this.#read(() => {
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

  refreshRefundedCoin<R>(
    params: Parameters<RefundStore['refreshRefundedCoin']>[0],
    render: (refresh: RefundRefreshRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, params.now, () => {
      const sql = this.#sql;
      const existing = this.#refresh(params.issuanceId);
      if (existing !== undefined) {
        if (same(existing.requestHash, params.requestHash)) return render(existing);
        throw new FarthingError(
          'issuance_conflict',
          'this issuance id was used for another request',
          {
            details: { issuanceId: params.issuanceId },
          },
        );
      }
      const total = params.coins.reduce((sum, coin) => sum + coin.value, 0);
      const left =
        sql.refundedOfCoin.get(params.coinPub)!.total -
        sql.refreshedOfCoin.get(params.coinPub)!.total;
      if (total > left) {
        throw new FarthingError(
          'refund_nothing_to_refresh',
          'the new coins are worth more than the refunded value left on this coin',
          { details: { left, asked: total } },
        );
      }
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
      this.#ledger.post({
        kind: 'refund-refresh',
        reference: params.issuanceId,
        postings: [
          { accountId: this.#system.coinRefunds, amount: -total },
          { accountId: this.#system.coins, amount: total },
        ],
        now: params.now,
      });
      return render(this.#refresh(params.issuanceId)!);
    });
  }

  getRefundRefresh(issuanceId: string): Promise<RefundRefreshRecord | undefined> {
    return this.#read(() => this.#refresh(issuanceId));
  }

  #refresh(id: string): RefundRefreshRecord | undefined {
    const row = this.#sql.refresh.get(id);
    if (row === undefined) return undefined;
    return {
      id: row.id,
      coinPub: bytes(row.coin_pub),
      currency: row.currency,
      total: row.total,
      requestHash: bytes(row.request_hash),
      createdAt: row.created_at,
      coins: this.#sql.refreshCoins.all(id).map((coin) => ({
        denominationId: bytes(coin.denomination_id),
        value: coin.value,
        blindedMessage: bytes(coin.blinded_message),
        blindSignature: bytes(coin.blind_signature),
      })),
    };
  }
}

function currencyMismatch(): FarthingError {
  return new FarthingError(
    'currency_mismatch',
    'the refund is in another currency than the payment',
    {
      details: { field: 'amount' },
    },
  );
}
