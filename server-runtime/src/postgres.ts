/**
 * A PostgreSQL connection pool and its transactions, for the bank's store and the merchant's
 * (`pg` is an optional peer of the merchant SDK: only a site that imports this needs it).
 *
 * Every write is one transaction at the isolation level its caller names, retried when
 * PostgreSQL says a concurrent transaction won: a serialization failure (`40001`) or a
 * deadlock (`40P01`), and a unique violation of a key the caller says another process may
 * have just claimed (an Idempotency-Key, an issuance id), whose retry then finds the winner's
 * result. Retries are bounded and jittered (GNU Taler's exchange retries its serializable
 * transactions the same way), so processes that collided do not collide again in step.
 *
 * Numbers: BIGINT columns (money, milliseconds) come back as JavaScript numbers, and a value
 * beyond 2^53 is refused rather than rounded.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** The statements a transaction body may run. */
export interface Sql {
  query<Row extends object = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<Row[]>;
}

export interface TransactionOptions {
  readonly isolation: IsolationLevel;
  readonly readOnly?: boolean;
  /**
   * Unique constraints whose violation means another transaction claimed the same key first:
   * the whole transaction is retried, and the retry reads what the winner stored.
   */
  readonly retryOnUnique?: readonly string[];
}

const int8 = 20;
const numeric = 1700;

function safeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`integer ${text} is beyond 2^53`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    // SUM() of BIGINT is NUMERIC; both are exact integers here.
    if (oid === int8 || oid === numeric) return safeInteger;
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as typeof pg.types.getTypeParser,
};

/** SQLSTATEs after which the same transaction, run again, may succeed. */
const serializationFailure = '40001';
const deadlockDetected = '40P01';
const uniqueViolation = '23505';

export interface PostgresError {
  readonly code: string;
  readonly constraint?: string;
}

/** An error the server reported (with its SQLSTATE), as opposed to a lost connection. */
export function isPostgresError(error: unknown, code?: string): error is PostgresError {
  return error instanceof pg.DatabaseError && (code === undefined || error.code === code);
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first backoff's upper bound; each further one doubles it (full jitter). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 10, baseDelayMs: 2, maxDelayMs: 250 };

const statementNames = new Map<string, string>();

/**
 * A parameterized statement is prepared once per connection and then only executed (pg's
 * named statements): the server parses and plans each of the store's few statements once
 * instead of at every call. Text without parameters (migrations, several statements at once)
 * is sent as it is.
 */
function statement(text: string, values: readonly unknown[]): pg.QueryConfig {
  if (values.length === 0) return { text };
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `farthing_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: values as unknown[] };
}

/** How large the pool is, how transactions are retried, and what running out of retries throws. */
export interface PostgresDatabaseOptions {
  readonly poolSize: number;
  readonly retry?: RetryPolicy;
  /**
   * The error a transaction ends with when its retries run out (the caller's own, with a
   * stable code); `cause` is the last serialization failure.
   */
  readonly contended?: (attempts: number, cause: unknown) => Error;
}

function defaultContended(attempts: number, cause: unknown): Error {
  return new Error(`too many conflicting transactions (${attempts} attempts)`, { cause });
}

export class PostgresDatabase {
  readonly #pool: pg.Pool;
  readonly #retry: RetryPolicy;
  readonly #contended: (attempts: number, cause: unknown) => Error;
  readonly stats = { commits: 0, retries: 0 };

  constructor(url: string, options: PostgresDatabaseOptions) {
    // Idle connections are kept for a minute (pg's default is 10 s): a bank between bursts
    // should not pay for new server processes.
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize,
      idleTimeoutMillis: 60_000,
      types,
    });
    // An idle connection the server dropped (a restart) must not crash the process; the pool
    // discards it and the next query opens a new one.
    this.#pool.on('error', () => {});
    this.#retry = options.retry ?? defaultRetryPolicy;
    this.#contended = options.contended ?? defaultContended;
  }

  /** One statement outside an explicit transaction (autocommit). */
  async query<Row extends object = Record<string, unknown>>(
    text: string,
    values: readonly unknown[] = [],
  ): Promise<Row[]> {
    return (await this.#pool.query<Row>(statement(text, values))).rows;
  }

  /**
   * Runs `body` in one transaction, committing what it returns and rolling back what it
   * throws; retried as the module comment says. `body` may run more than once, so it must
   * not change anything outside the database.
   */
  async transaction<R>(options: TransactionOptions, body: (sql: Sql) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(options, body);
      } catch (error) {
        if (!this.#retryable(error, options) || attempt >= this.#retry.attempts) {
          if (this.#retryable(error, options)) throw this.#contended(attempt, error);
          throw error;
        }
        this.stats.retries++;
        const bound = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * bound));
      }
    }
  }

  #retryable(error: unknown, options: TransactionOptions): boolean {
    if (isPostgresError(error, serializationFailure) || isPostgresError(error, deadlockDetected)) {
      return true;
    }
    return (
      isPostgresError(error, uniqueViolation) &&
      error.constraint !== undefined &&
      (options.retryOnUnique ?? []).includes(error.constraint)
    );
  }

  async #once<R>(options: TransactionOptions, body: (sql: Sql) => Promise<R>): Promise<R> {
    const client = await this.#pool.connect();
    let broken = false;
    let rolledBack = false;
    // The server going away (a restart) mid-transaction is reported on the client as well as
    // to the query: without a listener that 'error' event would end the process.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      await client.query(
        `BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()}${options.readOnly ? ' READ ONLY' : ''}`,
      );
      const sql: Sql = {
        query: async <Row extends object>(text: string, values: readonly unknown[] = []) =>
          (await client.query<Row>(statement(text, values))).rows,
      };
      let result: R;
      try {
        result = await body(sql);
      } catch (error) {
        // A connection that cannot even roll back (server restart, network) is not reused;
        // one that did is clean, whatever the body threw.
        await client.query('ROLLBACK').then(
          () => {
            rolledBack = true;
          },
          () => {
            broken = true;
          },
        );
        throw error;
      }
      try {
        await client.query('COMMIT');
      } catch (error) {
        if (!isPostgresError(error)) broken = true;
        throw error;
      }
      this.stats.commits++;
      return result;
    } catch (error) {
      if (!broken && !rolledBack && !isPostgresError(error)) {
        // BEGIN or COMMIT failed without the server saying why: the connection is in doubt.
        broken = true;
      }
      throw error;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  /**
   * Runs `work` holding the session advisory lock named `name` on a connection of its own, so
   * no other process (or caller) on this database runs work of that name meanwhile. A
   * connection that dies releases the lock with it.
   */
  async exclusively<R>(name: string, work: () => Promise<R>): Promise<R> {
    const key = createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
    const client = await this.#pool.connect();
    let broken = false;
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {
          broken = true;
        });
      }
    } catch (error) {
      if (!isPostgresError(error)) broken = true;
      throw error;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * Applies the `migrations` (SQL text, `migrations[n]` taking the schema from version n to
 * n + 1) the database has not seen yet, each in a transaction of its own, recording versions in
 * `table`; returns the schema version. Processes starting at once queue on the advisory lock
 * `lock` (a 64-bit number of the caller's own), so each step is applied exactly once.
 */
export async function applyMigrations(
  db: PostgresDatabase,
  migrations: readonly string[],
  options: { readonly lock: bigint; readonly table: string; readonly what: string },
): Promise<number> {
  for (;;) {
    const applied = await db.transaction({ isolation: 'read committed' }, async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [options.lock.toString()]);
      await sql.query(
        `CREATE TABLE IF NOT EXISTS ${options.table} (
           version    INTEGER PRIMARY KEY,
           applied_at BIGINT  NOT NULL
         )`,
      );
      const [row] = await sql.query<{ version: number | null }>(
        `SELECT MAX(version)::bigint AS version FROM ${options.table}`,
      );
      const current = row?.version ?? 0;
      if (current > migrations.length) {
        throw new Error(
          `the database schema (version ${current}) is newer than this ${options.what} (version ${migrations.length}); upgrade the ${options.what}`,
        );
      }
      if (current === migrations.length) return false;
      await sql.query(migrations[current]!);
      await sql.query(`INSERT INTO ${options.table} (version, applied_at) VALUES ($1, $2)`, [
        current + 1,
        Date.now(),
      ]);
      return true;
    });
    if (!applied) return migrations.length;
  }
}
