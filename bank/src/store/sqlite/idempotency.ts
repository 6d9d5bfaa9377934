/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): the result of a successful
 * state-changing call is stored under (scope, key) in the same transaction as the change.
 */
import type Database from 'better-sqlite3';
import { type IdempotencyRow, storedAnswer } from '../rows.ts';
import type { IdempotencyClaim } from '../store.ts';

export class IdempotencyKeys {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      find: db.prepare(
        'SELECT request_hash, body FROM idempotency_keys WHERE scope = ? AND key = ?',
      ),
      insert: db.prepare(
        'INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at) VALUES (?, ?, ?, 200, ?, ?)',
      ),
    };
  }

  /** The stored result for this claim; `idempotency_key_reused` if the key served another request. */
  find(claim: IdempotencyClaim): unknown | undefined {
    const row = this.#sql.find.get(claim.scope, claim.key) as IdempotencyRow | undefined;
    return storedAnswer(row, claim);
  }

  /**
   * Runs `work` unless the claim already has a result, and stores what it returns. Must be
   * called inside a transaction.
   */
  run<R>(claim: IdempotencyClaim | undefined, now: number, work: () => R): R {
    if (claim === undefined) return work();
    const stored = this.find(claim);
    if (stored !== undefined) return stored as R;
    const result = work();
    this.#sql.insert.run(claim.scope, claim.key, claim.requestHash, JSON.stringify(result), now);
    // Callers get what a retry would get: the JSON round trip of the result.
    return JSON.parse(JSON.stringify(result)) as R;
  }
}
