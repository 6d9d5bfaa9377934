/**
 * The mint's state on PostgreSQL: bank keys, denominations, issuances (withdrawals and
 * change), deposits and spent coins. Each function runs inside the caller's transaction.
 *
 * The double-spending check is the UNIQUE `spent_coins_coin_pub`, not a read: coins are
 * inserted with ON CONFLICT DO NOTHING, which waits for a concurrent transaction that inserted
 * the same coin and, once that one commits, reports the coin as taken. So two processes
 * depositing one coin at once cannot both succeed, whatever the isolation level.
 *
 * Rows become records, and retries and double spends are decided, in ../mint-rows.ts, which
 * the SQLite store shares: only the SQL lives here.
 */
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
import type { Sql } from './database.ts';
import { postTransfer } from './ledger.ts';

/** Unique constraints a concurrent request with the same id may win; the retry finds it. */
export const issuanceConstraint = 'issuances_id';

export async function bankKey(sql: Sql, name: string): Promise<BankKeyRecord | undefined> {
  const [row] = await sql.query<mintRows.BankKeyRow>(
    'SELECT name, secret, public FROM bank_keys WHERE name = $1',
    [name],
  );
  return row === undefined ? undefined : mintRows.bankKeyFromRow(row);
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
  const rows = await sql.query<mintRows.DenominationRow>(
    'SELECT * FROM denominations ORDER BY currency, value, valid_from',
  );
  return rows.map(mintRows.denominationFromRow);
}

export async function insertDenomination(sql: Sql, d: DenominationRecord): Promise<void> {
  await sql.query(
    `INSERT INTO denominations (${mintRows.denominationColumns})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    mintRows.denominationValues(d),
  );
}

export async function issuance(sql: Sql, id: string): Promise<IssuanceRecord | undefined> {
  const [row] = await sql.query<mintRows.IssuanceRow>('SELECT * FROM issuances WHERE id = $1', [
    id,
  ]);
  if (row === undefined) return undefined;
  const coins = await sql.query<mintRows.IssuedCoinRow>(
    `SELECT denomination_id, value, blinded_message, blind_signature
     FROM issued_coins WHERE issuance_id = $1 ORDER BY idx`,
    [id],
  );
  return mintRows.issuanceFromRows(row, coins);
}

async function insertIssuance(sql: Sql, issuance: mintRows.NewIssuance): Promise<void> {
  const { coins } = issuance;
  await sql.query(
    `WITH issuance AS (
       INSERT INTO issuances (${mintRows.issuanceColumns})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
     )
     INSERT INTO issued_coins (issuance_id, idx, denomination_id, value, blinded_message, blind_signature)
     SELECT issuance.id, c.idx - 1, c.denomination_id, c.value, c.blinded_message, c.blind_signature
     FROM issuance CROSS JOIN unnest($9::bytea[], $10::bigint[], $11::bytea[], $12::bytea[])
       WITH ORDINALITY AS c (denomination_id, value, blinded_message, blind_signature, idx)`,
    [
      ...mintRows.issuanceValues(issuance),
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
  const existing = await issuance(sql, params.issuanceId);
  const retry = mintRows.issuanceRetry(existing, params.issuanceId, params.requestHash);
  if (retry !== undefined) return retry;
  const { issuance: fresh, transfer } = mintRows.withdrawal(params, coinsAccount);
  await insertIssuance(sql, fresh);
  await postTransfer(sql, transfer);
  const { now, ...record } = fresh;
  return { ...record, accountId: params.accountId, createdAt: now };
}

export async function spentCoin(
  sql: Sql,
  coinPub: Uint8Array,
): Promise<SpentCoinRecord | undefined> {
  const [row] = await sql.query<mintRows.SpentCoinRow>(
    'SELECT * FROM spent_coins WHERE coin_pub = $1',
    [coinPub],
  );
  return row === undefined ? undefined : mintRows.spentCoinFromRow(row);
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

/** The first spend of a coin whose insert was skipped as already spent. */
async function firstSpend(sql: Sql, coin: SpentCoin): Promise<SpentCoinRecord> {
  const spent = await spentCoin(sql, coin.coinPub);
  // ON CONFLICT DO NOTHING skipped it for a committed row, which READ COMMITTED now sees.
  if (spent === undefined) throw new Error('a coin refused as spent is not in spent_coins');
  return spent;
}

/**
 * Marks the coins spent, records the deposit and credits the merchant; the same contract as
 * the SQLite store's (`BankStore.deposit`), decided by ../mint-rows.ts: a retry of the very
 * same signed coins gets the original deposit back, any other spend of a spent coin is
 * `coin_already_spent` with the first spend's proof. Whatever this throws, the caller's
 * transaction rolls back.
 */
export async function deposit(
  sql: Sql,
  params: mintRows.DepositParameters,
  coinsAccount: number,
): Promise<DepositRecord> {
  const { coins } = params;
  const fresh = await markSpent(sql, coins, 'deposit', params.depositId, params.now);
  if (fresh.includes(false)) {
    const spent: (SpentCoinRecord | undefined)[] = [];
    for (const [index, coin] of coins.entries()) {
      spent.push(fresh[index] ? undefined : await firstSpend(sql, coin));
    }
    const replayOf = mintRows.replayedDeposit(coins, spent);
    const [row] =
      replayOf === undefined
        ? []
        : await sql.query<mintRows.DepositRow>('SELECT * FROM deposits WHERE id = $1', [replayOf]);
    return mintRows.depositReplay(coins, spent, replayOf, row && mintRows.depositFromRow(row));
  }
  const record = mintRows.newDeposit(params);
  const [row] = await sql.query(
    `INSERT INTO deposits (${mintRows.depositColumns})
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
    mintRows.depositValues(record),
  );
  if (row === undefined) throw mintRows.depositIdTaken();
  await postTransfer(sql, mintRows.depositTransfer(record, coinsAccount));
  return record;
}

export async function change(sql: Sql, params: mintRows.ChangeParameters): Promise<IssuanceRecord> {
  const existing = await issuance(sql, params.issuanceId);
  const retry = mintRows.issuanceRetry(existing, params.issuanceId, params.requestHash);
  if (retry !== undefined) return retry;
  const fresh = mintRows.change(params);
  const [spentNow] = await markSpent(sql, [params.spent], 'change', params.issuanceId, params.now);
  if (!spentNow) throw coinAlreadySpent(await firstSpend(sql, params.spent));
  await insertIssuance(sql, fresh);
  return (await issuance(sql, params.issuanceId))!;
}
