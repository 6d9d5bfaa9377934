/**
 * What the SQLite store hands the per-area stores beside it (cards.ts, refunds.ts): the
 * database to prepare their statements on, the shared accounts and ledger, and the store's own
 * write and read, so their operations join its group commit and idempotency keys.
 */
import type Database from 'better-sqlite3';
import type { IdempotencyClaim, Reply } from '../store.ts';
import type { Accounts } from './accounts.ts';
import type { Ledger } from './ledger.ts';

export interface SqliteArea {
  readonly db: Database.Database;
  readonly accounts: Accounts;
  readonly ledger: Ledger;
  /** Currency of the system accounts. */
  readonly currency: string;
  /** Runs `work` in a group-committed transaction, storing its result under `claim`. */
  readonly write: <R>(
    claim: IdempotencyClaim | undefined,
    now: number,
    work: () => R,
  ) => Promise<R>;
  /** `write`, storing (and answering) the reply's render of what `work` wrote. */
  readonly writeReply: <W, R>(now: number, reply: Reply<W, R>, work: () => W) => Promise<R>;
  readonly read: <R>(query: () => R) => Promise<R>;
}
