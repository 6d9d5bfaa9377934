/**
 * The mint's state on PostgreSQL: bank keys, denominations, issuances (withdrawals and
 * change), deposits and spent coins. Each function runs inside the caller's transaction.
 *
 * The double-spending check is the UNIQUE `spent_coins_coin_pub`, not a read: coins are
 * inserted with ON CONFLICT DO NOTHING, which waits for a concurrent transaction that inserted
 * the same coin and, once that one commits, reports the coin as taken. So two processes
 * depositing one coin at once cannot both succeed, whatever the isolation level.
 *
 * Long because the mint's tables are the bank's busiest: withdrawals, change and deposits
 * each keep their statements here, beside the double-spending rule they all rely on.
 */
import { FarthingError } from '@farthing/protocol/errors';
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
import type { Sql } from './database.ts';
import { postTransfer } from './ledger.ts';
import { bytes, sameBytes } from './rows.ts';

/** Unique constraints a concurrent request with the same id may win; the retry finds it. */
export const issuanceConstraint = 'issuances_id';

export async function bankKey(sql: Sql, name: string): Promise<BankKeyRecord | undefined> {
  const [row] = await sql.query<{ name: string; secret: Uint8Array; public: Uint8Array }>(
    'SELECT name, secret, public FROM bank_keys WHERE name = $1',
    [name],
  );
  return row === undefined
    ? undefined
    : { name: row.name, secret: bytes(row.secret), publicKey: bytes(row.public) };
}

/** Every process may race to create a key: the first insert wins and all read the winner. */
export async function ensureBankKey(
  sql: Sql,
  key: BankKeyRecord & { now: number },
): Promise<BankKeyRecord> {
  await sql.query(
    `INSERT INTO bank_keys (name, secret, public, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO NOTHING`,
    [key.name, key.secret, key.publicKey, key.now],
  );
  return (await bankKey(sql, key.name))!;
}

export async function denominations(sql: Sql): Promise<DenominationRecord[]> {
  const rows = await sql.query<{
    id: Uint8Array;
    currency: string;
    value: number;
    public_n: Uint8Array;
    public_e: Uint8Array;
    private_key: Uint8Array;
    valid_from: number;
    withdraw_until: number;
    deposit_until: number;
    created_at: number;
  }>('SELECT * FROM denominations ORDER BY currency, value, valid_from');
  return rows.map((row) => ({
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

export async function insertDenomination(sql: Sql, d: DenominationRecord): Promise<void> {
  await sql.query(
    `INSERT INTO denominations (id, currency, value, public_n, public_e, private_key, valid_from,
       withdraw_until, deposit_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
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
    ],
  );
}

export async function issuance(sql: Sql, id: string): Promise<IssuanceRecord | undefined> {
  const [row] = await sql.query<{
    id: string;
    kind: 'withdrawal' | 'change';
    account_id: number | null;
    currency: string;
    total: number;
    request_hash: Uint8Array;
    created_at: number;
  }>('SELECT * FROM issuances WHERE id = $1', [id]);
  if (row === undefined) return undefined;
  const coins = await sql.query<{
    denomination_id: Uint8Array;
    value: number;
    blinded_message: Uint8Array;
    blind_signature: Uint8Array;
  }>(
    `SELECT denomination_id, value, blinded_message, blind_signature
     FROM issued_coins WHERE issuance_id = $1 ORDER BY idx`,
    [id],
  );
  return {
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
  };
}

/** The stored issuance for a retry of exactly this request; `issuance_conflict` for another. */
async function existingIssuance(
  sql: Sql,
  id: string,
  requestHash: Uint8Array,
): Promise<IssuanceRecord | undefined> {
  const existing = await issuance(sql, id);
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

async function insertIssuance(
  sql: Sql,
  params: {
    id: string;
    kind: 'withdrawal' | 'change';
    accountId: number | null;
    currency: string;
    total: number;
    requestHash: Uint8Array;
    coins: readonly IssuedCoin[];
    now: number;
  },
): Promise<void> {
  const { coins } = params;
  await sql.query(
    `WITH issuance AS (
       INSERT INTO issuances (id, kind, account_id, currency, total, coin_count, request_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
     )
     INSERT INTO issued_coins (issuance_id, idx, denomination_id, value, blinded_message, blind_signature)
     SELECT issuance.id, c.idx - 1, c.denomination_id, c.value, c.blinded_message, c.blind_signature
     FROM issuance CROSS JOIN unnest($9::bytea[], $10::bigint[], $11::bytea[], $12::bytea[])
       WITH ORDINALITY AS c (denomination_id, value, blinded_message, blind_signature, idx)`,
    [
      params.id,
      params.kind,
      params.accountId,
      params.currency,
      params.total,
      coins.length,
      params.requestHash,
      params.now,
      coins.map((c) => c.denominationId),
      coins.map((c) => c.value),
      coins.map((c) => c.blindedMessage),
      coins.map((c) => c.blindSignature),
    ],
  );
}

export async function withdraw(
  sql: Sql,
  params: WithdrawParameters,
  coinsAccount: number,
): Promise<IssuanceRecord> {
  const existing = await existingIssuance(sql, params.issuanceId, params.requestHash);
  if (existing !== undefined) return existing;
  const total = sumValues(params.coins);
  await insertIssuance(sql, {
    id: params.issuanceId,
    kind: 'withdrawal',
    accountId: params.accountId,
    currency: params.currency,
    total,
    requestHash: params.requestHash,
    coins: params.coins,
    now: params.now,
  });
  await postTransfer(sql, {
    kind: 'withdrawal',
    reference: params.issuanceId,
    postings: [
      { accountId: params.accountId, amount: -total },
      { accountId: coinsAccount, amount: total },
    ],
    now: params.now,
  });
  return {
    id: params.issuanceId,
    kind: 'withdrawal',
    accountId: params.accountId,
    currency: params.currency,
    total,
    requestHash: params.requestHash,
    coins: params.coins,
    createdAt: params.now,
  };
}

interface SpentCoinRow {
  coin_pub: Uint8Array;
  denomination_id: Uint8Array;
  value: number;
  kind: 'deposit' | 'change';
  spent_by: string;
  proof: string;
  signature: Uint8Array;
  spent_at: number;
}

export async function spentCoin(
  sql: Sql,
  coinPub: Uint8Array,
): Promise<SpentCoinRecord | undefined> {
  const [row] = await sql.query<SpentCoinRow>('SELECT * FROM spent_coins WHERE coin_pub = $1', [
    coinPub,
  ]);
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

/** Inserts the coins not yet spent; returns which of `coins` were (false: taken before). */
async function markSpent(
  sql: Sql,
  coins: readonly SpentCoin[],
  kind: 'deposit' | 'change',
  spentBy: string,
  now: number,
): Promise<boolean[]> {
  const inserted = await sql.query<{ coin_pub: Uint8Array }>(
    `INSERT INTO spent_coins (coin_pub, denomination_id, value, kind, spent_by, proof, signature, spent_at)
     SELECT c.coin_pub, c.denomination_id, c.value, $4, $5, c.proof, c.signature, $6
     FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $7::text[], $8::bytea[])
       AS c (coin_pub, denomination_id, value, proof, signature)
     ON CONFLICT (coin_pub) DO NOTHING
     RETURNING coin_pub`,
    [
      coins.map((c) => c.coinPub),
      coins.map((c) => c.denominationId),
      coins.map((c) => c.value),
      kind,
      spentBy,
      now,
      coins.map((c) => c.proof),
      coins.map((c) => c.signature),
    ],
  );
  const fresh = new Set(inserted.map((row) => Buffer.from(row.coin_pub).toString('hex')));
  return coins.map((coin) => fresh.has(Buffer.from(coin.coinPub).toString('hex')));
}

/**
 * Marks the coins spent, records the deposit and credits the merchant; the same contract as
 * the SQLite store's (`BankStore.deposit`): a retry of the very same signed coins gets the
 * original deposit back, any other spend of a spent coin is `coin_already_spent` with the
 * first spend's proof. Whatever this throws, the caller's transaction rolls back.
 */
export async function deposit(
  sql: Sql,
  params: {
    depositId: string;
    merchantId: number;
    currency: string;
    coins: readonly SpentCoin[];
    now: number;
  },
  coinsAccount: number,
): Promise<DepositRecord> {
  const { coins } = params;
  const fresh = await markSpent(sql, coins, 'deposit', params.depositId, params.now);
  if (fresh.includes(false)) return alreadySpent(sql, coins, fresh);
  const total = sumValues(coins);
  const [row] = await sql.query(
    `INSERT INTO deposits (id, merchant_id, currency, total, coin_count, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [params.depositId, params.merchantId, params.currency, total, coins.length, params.now],
  );
  if (row === undefined) {
    throw new FarthingError('conflict', 'this deposit id was already used for other coins', {
      details: { field: 'depositId' },
    });
  }
  await postTransfer(sql, {
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
 * Some coins were spent before. A retry that lost its answer — every coin spent by one
 * deposit with the very same signed permission — gets that deposit back; anything else is
 * refused, a coin spent by something else naming its first spend.
 */
async function alreadySpent(
  sql: Sql,
  coins: readonly SpentCoin[],
  fresh: readonly boolean[],
): Promise<DepositRecord> {
  let replayOf: string | undefined;
  for (let index = 0; index < coins.length; index++) {
    if (fresh[index]) continue;
    const coin = coins[index]!;
    const spent = await spentCoin(sql, coin.coinPub);
    // ON CONFLICT DO NOTHING skipped it for a committed row, which READ COMMITTED now sees.
    if (spent === undefined) throw new Error('a coin refused as spent is not in spent_coins');
    if (spent.kind === 'deposit' && sameBytes(spent.signature, coin.signature)) {
      if (replayOf === undefined || replayOf === spent.spentBy) {
        replayOf = spent.spentBy;
        continue;
      }
    }
    throw coinAlreadySpent(spent);
  }
  const original = replayOf === undefined ? undefined : await depositRecord(sql, replayOf);
  if (!fresh.includes(true) && original !== undefined && original.coinCount === coins.length) {
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

async function depositRecord(sql: Sql, id: string): Promise<DepositRecord | undefined> {
  const [row] = await sql.query<{
    id: string;
    merchant_id: number;
    currency: string;
    total: number;
    coin_count: number;
    created_at: number;
  }>('SELECT * FROM deposits WHERE id = $1', [id]);
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

export async function change(
  sql: Sql,
  params: {
    issuanceId: string;
    currency: string;
    requestHash: Uint8Array;
    spent: SpentCoin;
    coins: readonly IssuedCoin[];
    now: number;
  },
): Promise<IssuanceRecord> {
  const existing = await existingIssuance(sql, params.issuanceId, params.requestHash);
  if (existing !== undefined) return existing;
  if (sumValues(params.coins) !== params.spent.value) {
    throw new FarthingError('coin_amount_mismatch', 'change must add up to the coin spent', {
      details: { field: 'coins' },
    });
  }
  const [fresh] = await markSpent(sql, [params.spent], 'change', params.issuanceId, params.now);
  if (!fresh) {
    const spent = await spentCoin(sql, params.spent.coinPub);
    if (spent === undefined) throw new Error('a coin refused as spent is not in spent_coins');
    throw coinAlreadySpent(spent);
  }
  // Value moves from one coin to others: system:coins is unchanged, so no ledger entry.
  await insertIssuance(sql, {
    id: params.issuanceId,
    kind: 'change',
    accountId: null,
    currency: params.currency,
    total: params.spent.value,
    requestHash: params.requestHash,
    coins: params.coins,
    now: params.now,
  });
  return (await issuance(sql, params.issuanceId))!;
}

function sumValues(coins: readonly { value: number }[]): number {
  let total = 0;
  for (const coin of coins) total += coin.value;
  if (!Number.isSafeInteger(total)) throw new Error('coin total overflows');
  return total;
}
