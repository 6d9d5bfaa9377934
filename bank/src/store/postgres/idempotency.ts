/**
 * Idempotency keys on PostgreSQL: the result of a successful state-changing call is stored
 * under (scope, key) in the same transaction as the change. Two processes serving the same
 * key at once both miss the lookup; the second one's INSERT waits for the first to commit and
 * then violates `idempotency_keys_scope_key`, which the transaction runner retries
 * (database.ts), and the retry answers with the stored result.
 */
import { type IdempotencyRow, storedAnswer } from '../rows.ts';
import type { IdempotencyClaim } from '../store.ts';
import type { Sql } from './database.ts';

export const idempotencyConstraint = 'idempotency_keys_scope_key';

/** The stored result for this claim; `idempotency_key_reused` if the key served another request. */
export async function findIdempotentResult(
  sql: Sql,
  claim: IdempotencyClaim,
): Promise<unknown | undefined> {
  const [row] = await sql.query<IdempotencyRow>(
    'SELECT request_hash, body FROM idempotency_keys WHERE scope = $1 AND key = $2',
    [claim.scope, claim.key],
  );
  return storedAnswer(row, claim);
}

/** Runs `work` unless the claim already has a result, and stores what it returns. */
export async function runIdempotent<R>(
  sql: Sql,
  claim: IdempotencyClaim | undefined,
  now: number,
  work: () => Promise<R>,
): Promise<R> {
  if (claim === undefined) return work();
  const stored = await findIdempotentResult(sql, claim);
  if (stored !== undefined) return stored as R;
  const result = await work();
  const body = JSON.stringify(result);
  await sql.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)
     VALUES ($1, $2, $3, 200, $4, $5)`,
    [claim.scope, claim.key, claim.requestHash, body, now],
  );
  // Callers get what a retry would get: the JSON round trip of the result.
  return JSON.parse(body) as R;
}
