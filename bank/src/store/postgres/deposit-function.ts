/**
 * Deposits in one round trip and one commit per batch: the common case — fresh coins, a fresh
 * deposit id, a fresh Idempotency-Key — as the server-side function `farthing_deposit`, which
 * does in one statement what mint.ts `deposit` and idempotency.ts `runIdempotent` do in eight
 * round trips (BEGIN, key lookup, spent coins, deposit row, account locks, transfer, key row,
 * COMMIT), called for every deposit that queued up meanwhile by `farthing_deposits` in one
 * statement (group commit, as the SQLite bank does). Every deposit moves the one
 * system:coins row, whose lock lasts until the commit is flushed: one commit per deposit made
 * deposits commit one at a time whatever the number of processes (bench/pg.bench.ts).
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

/**
 * Several deposits in one statement, so in one commit: each in a subtransaction of its own
 * (a plpgsql block with an exception handler), so one that is not the common case is undone
 * alone and reported false. The account every deposit moves (system:coins) is locked first,
 * before anything else, so batches of several bank processes queue there holding nothing
 * another needs; its lock is then held for one commit per batch instead of one per deposit.
 */
const batchDefinition = `
CREATE OR REPLACE FUNCTION farthing_deposits(p_coins_account BIGINT, p_batch JSONB)
RETURNS BOOLEAN[] LANGUAGE plpgsql AS $fn$
DECLARE
  d JSONB;
  v_done BOOLEAN[] := '{}';
BEGIN
  PERFORM 1 FROM accounts WHERE id = p_coins_account FOR NO KEY UPDATE;
  FOR d IN SELECT * FROM jsonb_array_elements(p_batch) LOOP
    BEGIN
      PERFORM farthing_deposit(
        d->>'scope', d->>'key', decode(d->>'requestHash', 'hex'), d->>'body',
        d->>'depositId', (d->>'merchantId')::bigint, d->>'currency', p_coins_account,
        ARRAY(SELECT decode(c->>0, 'hex') FROM jsonb_array_elements(d->'coins') AS c),
        ARRAY(SELECT decode(c->>1, 'hex') FROM jsonb_array_elements(d->'coins') AS c),
        ARRAY(SELECT (c->>2)::bigint FROM jsonb_array_elements(d->'coins') AS c),
        ARRAY(SELECT c->>3 FROM jsonb_array_elements(d->'coins') AS c),
        ARRAY(SELECT decode(c->>4, 'hex') FROM jsonb_array_elements(d->'coins') AS c),
        (d->>'now')::bigint);
      v_done := v_done || true;
    EXCEPTION WHEN OTHERS THEN
      v_done := v_done || false;
    END;
  END LOOP;
  RETURN v_done;
END
$fn$`;

/** (Re)defines `farthing_deposit` and `farthing_deposits`; called when the store opens. */
export async function defineDepositFunction(db: PostgresDatabase): Promise<void> {
  await db.transaction({ isolation: 'read committed' }, async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [definitionLock.toString()]);
    await sql.query(definition);
    await sql.query(batchDefinition);
  });
}

/** One deposit of a batch, as `farthing_deposits` reads it (bytes in hex). */
export interface BatchedDeposit {
  readonly scope: string | null;
  readonly key: string | null;
  readonly requestHash: string | null;
  readonly body: string | null;
  readonly depositId: string;
  readonly merchantId: number;
  readonly currency: string;
  /** [coin_pub, denomination_id, value, proof, signature] each. */
  readonly coins: readonly (readonly [string, string, number, string, string])[];
  readonly now: number;
}

/** The most deposits in one statement. */
const largestBatch = 128;

/**
 * Group commit for deposits: the deposits that arrive while a batch is committing go
 * together in the next one (one statement, one commit). Resolves each to whether it was
 * done; false means nothing of it was, and the caller takes the general path.
 */
export class DepositBatcher {
  readonly #db: PostgresDatabase;
  readonly #coinsAccount: number;
  readonly #queue: { deposit: BatchedDeposit; done: (ok: boolean) => void }[] = [];
  #running = false;
  readonly stats = { batches: 0, deposits: 0, largestBatch: 0 };

  constructor(db: PostgresDatabase, coinsAccount: number) {
    this.#db = db;
    this.#coinsAccount = coinsAccount;
  }

  submit(deposit: BatchedDeposit): Promise<boolean> {
    return new Promise((done) => {
      this.#queue.push({ deposit, done });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, largestBatch);
      let done: readonly boolean[] = [];
      try {
        const [row] = await this.#db.query<{ done: boolean[] }>(
          'SELECT farthing_deposits($1, $2::jsonb) AS done',
          [this.#coinsAccount, JSON.stringify(batch.map((item) => item.deposit))],
        );
        done = row?.done ?? [];
        this.stats.batches++;
        this.stats.deposits += batch.length;
        this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      } catch {
        // Nothing of the batch was done (or it is in doubt): each takes the general path,
        // which sees what committed.
      }
      for (const [index, item] of batch.entries()) item.done(done[index] === true);
    }
    this.#running = false;
  }
}
