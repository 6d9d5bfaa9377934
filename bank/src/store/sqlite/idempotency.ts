/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): the result of a successful
 * state-changing call is stored under (scope, key) in the same transaction as the change.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
import type { IdempotencyClaim } from '../store.ts';

interface StoredRow {
  readonly request_hash: Uint8Array;
  readonly body: string;
}

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
    const row = this.#sql.find.get(claim.scope, claim.key) as StoredRow | undefined;
    if (row === undefined) return undefined;
    if (!Buffer.from(row.request_hash).equals(Buffer.from(claim.requestHash))) {
      throw new FarthingError(
        'idempotency_key_reused',
        'this Idempotency-Key was already used for a different request; use a fresh key',
        { details: { key: claim.key } },
      );
    }
    return JSON.parse(row.body);
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
