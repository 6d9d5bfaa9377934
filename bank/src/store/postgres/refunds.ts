/**
 * Refunds on PostgreSQL (migration 3; the SQLite twin is ../sqlite/refunds.ts, and
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
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import type {
  CoinRefundState,
  RefundParameters,
  RefundRecord,
  RefundRefreshRecord,
  RefundStore,
} from '../refund-store.ts';
import type { IdempotencyClaim } from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';
import { postTransfer } from './ledger.ts';
import { bytes, sameBytes } from './rows.ts';

type Write = <R>(
  claim: IdempotencyClaim | undefined,
  now: number,
  work: (sql: Sql) => Promise<R>,
) => Promise<R>;

/** Keys a concurrent request may claim first: the retry then finds the winner's row. */
export const refundClaimedKeys = ['refunds_merchant_id_refund_id_key', 'refund_refreshes_id'];

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

const currencyMismatch = () =>
  new FarthingError('currency_mismatch', 'the refund is in another currency than the payment', {
    details: { field: 'amount' },
  });

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
  readonly #write: Write;
  readonly #system: { readonly coinRefunds: number; readonly coins: number };

  constructor(options: {
    db: PostgresDatabase;
    write: Write;
    system: { readonly coinRefunds: number; readonly coins: number };
  }) {
    this.#db = options.db;
    this.#write = options.write;
    this.#system = options.system;
  }

  refund<R>(
    params: RefundParameters,
    render: (refund: RefundRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, params.now, async (sql) =>
      render(await this.#refund(sql, params)),
    );
  }

  async #refund(sql: Sql, params: RefundParameters): Promise<RefundRecord> {
    await lockName(sql, `refund-receipt:${params.merchantId}:${hex(params.receiptId)}`);
    const [existing] = await sql.query<RefundRow>(
      'SELECT * FROM refunds WHERE merchant_id = $1 AND refund_id = $2',
      [params.merchantId, params.refundId],
    );
    if (existing !== undefined) {
      if (sameBytes(existing.request_hash, params.requestHash)) return toRefund(existing);
      throw new FarthingError('refund_id_reused', 'this refund id was used for another refund', {
        details: { refundId: params.refundId },
      });
    }
    // What the bank received for the payment (its row locked), and who gets the money back.
    let received: number;
    let payer: number | null = null;
    let coins: { coin_pub: Buffer; value: number }[] = [];
    if (params.instrument === 'ecash') {
      const [deposit] = await sql.query<{ merchant_id: number; currency: string; total: number }>(
        'SELECT merchant_id, currency, total FROM deposits WHERE id = $1 FOR NO KEY UPDATE',
        [params.payment],
      );
      if (deposit === undefined || deposit.merchant_id !== params.merchantId) {
        throw new FarthingError('not_found', 'you made no deposit with this id', {
          details: { field: 'payment' },
        });
      }
      if (deposit.currency !== params.currency) throw currencyMismatch();
      received = deposit.total;
      const deposited = await sql.query<{ coin_pub: Buffer; value: number; proof: string }>(
        `SELECT coin_pub, value, proof FROM spent_coins
         WHERE kind = 'deposit' AND spent_by = $1 ORDER BY coin_pub`,
        [params.payment],
      );
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
      const [redemption] = await sql.query<{ vendor_id: number; redeemed: number; serial: number }>(
        `SELECT vendor_id, redeemed, serial FROM payword_redemptions
         WHERE commitment_id = $1 FOR NO KEY UPDATE`,
        [params.commitmentId],
      );
      if (redemption === undefined || redemption.vendor_id !== params.merchantId) {
        throw new FarthingError(
          'refund_not_settled',
          'the broker has paid you nothing on this commitment yet: redeem it first',
          { details: { field: 'payment' } },
        );
      }
      const [certificate] = await sql.query<{ account_id: number; currency: string }>(
        'SELECT account_id, currency FROM payword_certificates WHERE serial = $1',
        [redemption.serial],
      );
      if (certificate!.currency !== params.currency) throw currencyMismatch();
      received = redemption.redeemed;
      payer = certificate!.account_id;
    }
    const ofReceipt = await sql.query<RefundRow>(
      'SELECT * FROM refunds WHERE merchant_id = $1 AND receipt_id = $2 ORDER BY row_id',
      [params.merchantId, params.receiptId],
    );
    if (ofReceipt.some((row) => row.paid !== params.paid || row.payment !== params.payment)) {
      throw new FarthingError('conflict', 'earlier refunds of this receipt name another payment', {
        details: { field: 'paid' },
      });
    }
    const receiptLeft = params.paid - ofReceipt.reduce((sum, row) => sum + row.amount, 0);
    if (params.amount > receiptLeft) throw exceeds('receipt', receiptLeft);
    const paymentLeft =
      received -
      (await total(
        sql,
        'SELECT COALESCE(SUM(amount), 0) AS total FROM refunds WHERE payment = $1',
        [params.payment],
      ));
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
    const [row] = await sql.query<RefundRow>(
      `INSERT INTO refunds (merchant_id, refund_id, instrument, payment, receipt_id, currency,
         amount, paid, payer_account_id, request_hash, statement, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [
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
      ],
    );
    // E-cash: the value goes back to the coins, each up to what it is worth, in coin order.
    let left = params.instrument === 'ecash' ? params.amount : 0;
    for (const coin of coins) {
      if (left === 0) break;
      const room = coin.value - (await refundedOfCoin(sql, coin.coin_pub));
      const take = Math.min(room, left);
      if (take <= 0) continue;
      await sql.query(
        'INSERT INTO coin_refunds (refund_row, coin_pub, amount) VALUES ($1, $2, $3)',
        [row!.row_id, coin.coin_pub, take],
      );
      left -= take;
    }
    if (left !== 0)
      throw new Error(`refund ${params.refundId}: ${left} left over the coins' value`);
    await postTransfer(sql, {
      kind: 'refund',
      reference: `${params.merchantId}:${params.refundId}`,
      postings: [
        { accountId: params.merchantId, amount: -params.amount },
        { accountId: payer ?? this.#system.coinRefunds, amount: params.amount },
      ],
      now: params.now,
    });
    return toRefund(row!);
  }

  async listRefunds(merchantId: number, receiptId: Uint8Array): Promise<RefundRecord[]> {
    const rows = await this.#db.query<RefundRow>(
      'SELECT * FROM refunds WHERE merchant_id = $1 AND receipt_id = $2 ORDER BY row_id',
      [merchantId, receiptId],
    );
    return rows.map(toRefund);
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

  refreshRefundedCoin<R>(
    params: Parameters<RefundStore['refreshRefundedCoin']>[0],
    render: (refresh: RefundRefreshRecord) => R,
    idempotency?: IdempotencyClaim,
  ): Promise<R> {
    return this.#write(idempotency, params.now, async (sql) => {
      await lockName(sql, `refund-coin:${hex(params.coinPub)}`);
      const existing = await refresh(sql, params.issuanceId);
      if (existing !== undefined) {
        if (sameBytes(existing.requestHash, params.requestHash)) return render(existing);
        throw new FarthingError(
          'issuance_conflict',
          'this issuance id was used for another request',
          { details: { issuanceId: params.issuanceId } },
        );
      }
      const sum = params.coins.reduce((all, coin) => all + coin.value, 0);
      const left =
        (await refundedOfCoin(sql, params.coinPub)) - (await refreshedOfCoin(sql, params.coinPub));
      if (sum > left) {
        throw new FarthingError(
          'refund_nothing_to_refresh',
          'the new coins are worth more than the refunded value left on this coin',
          { details: { left, asked: sum } },
        );
      }
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
      await postTransfer(sql, {
        kind: 'refund-refresh',
        reference: params.issuanceId,
        postings: [
          { accountId: this.#system.coinRefunds, amount: -sum },
          { accountId: this.#system.coins, amount: sum },
        ],
        now: params.now,
      });
      return render((await refresh(sql, params.issuanceId))!);
    });
  }

  getRefundRefresh(issuanceId: string): Promise<RefundRefreshRecord | undefined> {
    return refresh(this.#db, issuanceId);
  }
}

async function refresh(sql: Sql, id: string): Promise<RefundRefreshRecord | undefined> {
  const [row] = await sql.query<{
    id: string;
    coin_pub: Buffer;
    currency: string;
    total: number;
    request_hash: Buffer;
    created_at: number;
  }>('SELECT * FROM refund_refreshes WHERE id = $1', [id]);
  if (row === undefined) return undefined;
  const coins = await sql.query<{
    denomination_id: Buffer;
    value: number;
    blinded_message: Buffer;
    blind_signature: Buffer;
  }>(
    `SELECT denomination_id, value, blinded_message, blind_signature FROM refund_refresh_coins
     WHERE refresh_id = $1 ORDER BY idx`,
    [id],
  );
  return {
    id: row.id,
    coinPub: bytes(row.coin_pub),
    currency: row.currency,
    total: row.total,
    requestHash: bytes(row.request_hash),
    createdAt: row.created_at,
    coins: coins.map((coin) => ({
      denominationId: bytes(coin.denomination_id),
      value: coin.value,
      blindedMessage: bytes(coin.blinded_message),
      blindSignature: bytes(coin.blind_signature),
    })),
  };
}
