/**
 * A deposit in one round trip: the common case — fresh coins, a fresh deposit id, a fresh
 * Idempotency-Key — as one call of the server-side function `farthing_deposit`, which does
 * in one statement (so in one transaction of its own) what mint.ts `deposit` and
 * idempotency.ts `runIdempotent` do in eight round trips (BEGIN, key lookup, spent coins,
 * deposit row, account locks, transfer, key row, COMMIT). The bench measured the round trips,
 * not the SQL, as what the PostgreSQL bank lost against SQLite (bench/pg.bench.ts).
 *
 * The function only ever succeeds whole or changes nothing: anything but the common case (a
 * coin spent before, the deposit id or key taken, an overdraft, a serialization failure) ends
 * the statement with an error, and the caller runs the general transaction, which answers it
 * exactly as before (a replay's stored answer, `coin_already_spent` with its proof, …).
 *
 * The function is code, not schema: it is (re)defined when a bank process opens the store,
 * under an advisory lock so processes starting together do not collide.
 */
import type { PostgresDatabase } from './database.ts';

/** Any 64-bit number of our own, apart from the migration lock. */
const definitionLock = 0x46617274_44657031n; // "FartDep1"

/** The SQLSTATE the function raises when the deposit is not the common case. */
export const notCommonCase = 'FA001';

const definition = `
CREATE OR REPLACE FUNCTION farthing_deposit(
  p_scope TEXT, p_key TEXT, p_request_hash BYTEA, p_body TEXT,
  p_deposit_id TEXT, p_merchant_id BIGINT, p_currency TEXT, p_coins_account BIGINT,
  p_coin_pubs BYTEA[], p_denomination_ids BYTEA[], p_values BIGINT[], p_proofs TEXT[],
  p_signatures BYTEA[], p_now BIGINT
) RETURNS VOID LANGUAGE plpgsql AS $fn$
DECLARE
  v_total BIGINT;
  v_rows BIGINT;
  v_transfer BIGINT;
BEGIN
  IF p_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM idempotency_keys WHERE scope = p_scope AND key = p_key
  ) THEN
    RAISE EXCEPTION 'the idempotency key has an answer' USING ERRCODE = '${notCommonCase}';
  END IF;
  INSERT INTO spent_coins (coin_pub, denomination_id, value, kind, spent_by, proof, signature, spent_at)
    SELECT c.coin_pub, c.denomination_id, c.value, 'deposit', p_deposit_id, c.proof, c.signature, p_now
    FROM unnest(p_coin_pubs, p_denomination_ids, p_values, p_proofs, p_signatures)
      AS c (coin_pub, denomination_id, value, proof, signature)
    ON CONFLICT (coin_pub) DO NOTHING;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows <> cardinality(p_coin_pubs) THEN
    RAISE EXCEPTION 'a coin was spent before' USING ERRCODE = '${notCommonCase}';
  END IF;
  SELECT sum(v) INTO v_total FROM unnest(p_values) AS v;
  INSERT INTO deposits (id, merchant_id, currency, total, coin_count, created_at)
    VALUES (p_deposit_id, p_merchant_id, p_currency, v_total, cardinality(p_coin_pubs), p_now)
    ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows <> 1 THEN
    RAISE EXCEPTION 'the deposit id is taken' USING ERRCODE = '${notCommonCase}';
  END IF;
  -- As ledger.ts: the accounts locked in id order first, then moved, entries in posting order.
  PERFORM 1 FROM accounts WHERE id IN (p_coins_account, p_merchant_id) ORDER BY id
    FOR NO KEY UPDATE;
  INSERT INTO transfers (kind, reference, created_at) VALUES ('deposit', p_deposit_id, p_now)
    RETURNING id INTO v_transfer;
  WITH moved AS (
    UPDATE accounts a SET balance = a.balance + p.amount
    FROM (VALUES (p_coins_account, -v_total, 1), (p_merchant_id, v_total, 2))
      AS p (account_id, amount, n)
    WHERE a.id = p.account_id
    RETURNING a.id, p.amount, a.balance, p.n
  )
  INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after)
    SELECT v_transfer, moved.id, moved.amount, moved.balance FROM moved ORDER BY moved.n;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows <> 2 THEN
    RAISE EXCEPTION 'a deposit to an unknown account' USING ERRCODE = '${notCommonCase}';
  END IF;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)
      VALUES (p_scope, p_key, p_request_hash, 200, p_body, p_now);
  END IF;
END
$fn$`;

/** (Re)defines `farthing_deposit`; called when the store opens. */
export async function defineDepositFunction(db: PostgresDatabase): Promise<void> {
  await db.transaction({ isolation: 'read committed' }, async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [definitionLock.toString()]);
    await sql.query(definition);
  });
}

/** The call's text; its parameters in the order of the function's. */
export const callDeposit =
  'SELECT farthing_deposit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)';
