/**
 * The bank's PostgreSQL pool: `@farthing/server-runtime/postgres` (transactions at a named
 * isolation level, bounded jittered retries of serialization failures), with running out of
 * retries answered as `storage_contended` (HTTP 503).
 */
import { FarthingError } from '@farthing/protocol/errors';
import {
  type RetryPolicy,
  PostgresDatabase as RuntimePostgresDatabase,
} from '@farthing/server-runtime/postgres';

export {
  type IsolationLevel,
  isPostgresError,
  type PostgresError,
  type RetryPolicy,
  type Sql,
  type TransactionOptions,
} from '@farthing/server-runtime/postgres';

export class PostgresDatabase extends RuntimePostgresDatabase {
  constructor(url: string, options: { poolSize: number; retry?: RetryPolicy }) {
    super(url, {
      ...options,
      contended: (attempts, cause) =>
        new FarthingError(
          'storage_contended',
          'the bank is too busy with conflicting requests; try again',
          { details: { attempts }, cause },
        ),
    });
  }
}
