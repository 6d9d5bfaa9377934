/**
 * The PostgreSQL store's one write, which it hands the per-area stores beside it (cards.ts,
 * refunds.ts) so their operations share its transaction rules and idempotency keys: READ
 * COMMITTED (postgres-store.ts says why that is enough), retried when a concurrent request
 * claimed one of `claimedKeys` first, storing its result under the claim.
 */
import type { IdempotencyClaim, Reply } from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';
import { runIdempotent } from './idempotency.ts';

export interface PostgresWrites {
  /** Runs `work` in a write transaction, storing what it returns under `claim`. */
  readonly write: <R>(
    claim: IdempotencyClaim | undefined,
    now: number,
    work: (sql: Sql) => Promise<R>,
  ) => Promise<R>;
  /** `write`, storing (and answering) the reply's render of what `work` wrote. */
  readonly writeReply: <W, R>(
    now: number,
    reply: Reply<W, R>,
    work: (sql: Sql) => Promise<W>,
  ) => Promise<R>;
}

export function postgresWrites(
  db: PostgresDatabase,
  claimedKeys: readonly string[],
): PostgresWrites {
  const write: PostgresWrites['write'] = (claim, now, work) =>
    db.transaction({ isolation: 'read committed', retryOnUnique: claimedKeys }, (sql) =>
      runIdempotent(sql, claim, now, () => work(sql)),
    );
  return {
    write,
    writeReply: (now, [render, claim], work) =>
      write(claim, now, async (sql) => render(await work(sql))),
  };
}
