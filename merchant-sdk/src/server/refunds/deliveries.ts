/**
 * Whether a paid resource was ever served (issue 20, "never pay for nothing"). The guard lets
 * a paid request through to the application; what the application then answered is what the
 * adapters report here (`HandleResult.delivered`), keyed by the access grant that opened it:
 * the first answer below 400 marks the grant `served`, an answer of 400 or more counts as a
 * failed delivery. A refund request (refund-request.ts) reads it to tell "the content never
 * arrived" from "the payer got it"; once a grant's payment is refunded that way, the grant
 * opens nothing more (`refunded`), so refunded content is not served after all.
 *
 * `SqliteDeliveryLog` keeps it in a file of its own beside the merchant store (the store's
 * interface is unchanged), `MemoryDeliveryLog` in the process (the default: a restart forgets
 * what was served, so a merchant who wants refund requests judged across restarts gives
 * `deliveries: { storePath }`).
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** What one access grant's holder got. */
export interface DeliveryRecord {
  readonly grantToken: string;
  /** When the application first answered it below 400; undefined while it never did. */
  readonly servedAt: number | undefined;
  /** Answers of 400 or more, and the last one's status and time. */
  readonly failures: number;
  readonly lastFailureAt: number | undefined;
  readonly lastStatus: number | undefined;
  /** When its payment was refunded on the payer's request: the grant opens nothing since. */
  readonly refundedAt: number | undefined;
}

export interface DeliveryLog {
  /** The application answered a request opened by this grant with `status`. */
  answered(grantToken: string, status: number, at: number): Promise<void>;
  get(grantToken: string): Promise<DeliveryRecord | undefined>;
  /** The grant's payment was refunded on request; a second call keeps the first time. */
  refunded(grantToken: string, at: number): Promise<void>;
  /** Whether the grant was refunded (read on every paid request: kept cheap). */
  isRefunded(grantToken: string): boolean;
  close(): void;
}

/** `deliveries` in createMerchant's options: a log, or a SQLite file for one. */
export type DeliveryLogOption = DeliveryLog | { readonly storePath: string };

/** An answer below 400 delivered the content; 400 and above did not. */
export const isDelivered = (status: number): boolean => status >= 200 && status < 400;

const empty = (grantToken: string): DeliveryRecord => ({
  grantToken,
  servedAt: undefined,
  failures: 0,
  lastFailureAt: undefined,
  lastStatus: undefined,
  refundedAt: undefined,
});

/**
 * In the process: the default, and for tests. Bounded: past `limit` grants the oldest are
 * forgotten (a refund request for one is then judged as if it was never served).
 */
export class MemoryDeliveryLog implements DeliveryLog {
  readonly #records = new Map<string, DeliveryRecord>();
  readonly #limit: number;

  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  #set(grantToken: string, record: DeliveryRecord): void {
    this.#records.delete(grantToken);
    this.#records.set(grantToken, record);
    if (this.#records.size > this.#limit) {
      this.#records.delete(this.#records.keys().next().value as string);
    }
  }

  async answered(grantToken: string, status: number, at: number): Promise<void> {
    const record = this.#records.get(grantToken) ?? empty(grantToken);
    this.#set(
      grantToken,
      isDelivered(status)
        ? { ...record, servedAt: record.servedAt ?? at }
        : {
            ...record,
            failures: record.failures + 1,
            lastFailureAt: at,
            lastStatus: status,
          },
    );
  }

  async get(grantToken: string): Promise<DeliveryRecord | undefined> {
    return this.#records.get(grantToken);
  }

  async refunded(grantToken: string, at: number): Promise<void> {
    const record = this.#records.get(grantToken) ?? empty(grantToken);
    this.#set(grantToken, { ...record, refundedAt: record.refundedAt ?? at });
  }

  isRefunded(grantToken: string): boolean {
    return this.#records.get(grantToken)?.refundedAt !== undefined;
  }

  close(): void {}
}

const schema = `
  CREATE TABLE IF NOT EXISTS deliveries (
    grant_token     TEXT    PRIMARY KEY,
    served_at       INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failure_at INTEGER,
    last_status     INTEGER,
    refunded_at     INTEGER
  ) STRICT;
`;

interface DeliveryRow {
  grant_token: string;
  served_at: number | null;
  failures: number;
  last_failure_at: number | null;
  last_status: number | null;
  refunded_at: number | null;
}

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

interface Answer {
  readonly grantToken: string;
  readonly status: number;
  readonly at: number;
}

/**
 * In a SQLite file of its own (WAL, `synchronous=FULL`). Only the first delivery of a grant is
 * written; later ones are remembered in the process so a grant read a thousand times costs one
 * write. Answers are written after the current turn of the event loop, all of that turn's in
 * one transaction: the Hono adapter reports an answer before the server has written it, and a
 * disk sync there held every paid page (and every other request of the process) for its
 * duration. `get` waits for the answers still queued, so a refund request never reads past
 * one; a crash before the write loses that answer, which judges the grant as not served.
 */
export class SqliteDeliveryLog implements DeliveryLog {
  readonly #db: Database.Database;
  readonly #served = new Set<string>();
  readonly #isRefunded: Database.Statement<[string], { refunded_at: number | null }>;
  readonly #write: (answers: readonly Answer[]) => void;
  #queue: Answer[] = [];
  #written: Promise<void> | undefined;

  constructor(path: string) {
    const open = require('better-sqlite3') as typeof Database;
    this.#db = new open(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(schema);
    // Read on every paid request: prepared once.
    this.#isRefunded = this.#db.prepare('SELECT refunded_at FROM deliveries WHERE grant_token = ?');
    const served = this.#db.prepare(
      `INSERT INTO deliveries (grant_token, served_at) VALUES (?, ?)
       ON CONFLICT (grant_token) DO UPDATE SET served_at = coalesce(served_at, excluded.served_at)`,
    );
    const failed = this.#db.prepare(
      `INSERT INTO deliveries (grant_token, failures, last_failure_at, last_status)
       VALUES (?, 1, ?, ?)
       ON CONFLICT (grant_token) DO UPDATE SET failures = failures + 1,
         last_failure_at = excluded.last_failure_at, last_status = excluded.last_status`,
    );
    this.#write = this.#db.transaction((answers: readonly Answer[]) => {
      for (const { grantToken, status, at } of answers) {
        if (isDelivered(status)) served.run(grantToken, at);
        else failed.run(grantToken, at, status);
      }
    });
  }

  answered(grantToken: string, status: number, at: number): Promise<void> {
    if (isDelivered(status)) {
      if (this.#served.has(grantToken)) return Promise.resolve();
      if (this.#served.size > 100_000) this.#served.clear();
      this.#served.add(grantToken);
    }
    this.#queue.push({ grantToken, status, at });
    this.#written ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        try {
          this.#flush();
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.#written;
  }

  /** Writes the queued answers now; a failed write forgets they were served, to write again. */
  #flush(): void {
    const answers = this.#queue;
    this.#queue = [];
    this.#written = undefined;
    if (answers.length === 0) return;
    try {
      this.#write(answers);
    } catch (error) {
      for (const answer of answers) this.#served.delete(answer.grantToken);
      throw error;
    }
  }

  async get(grantToken: string): Promise<DeliveryRecord | undefined> {
    // The answers queued this turn first (a failed write was reported by `answered`).
    await this.#written?.catch(() => undefined);
    const row = this.#db
      .prepare('SELECT * FROM deliveries WHERE grant_token = ?')
      .get(grantToken) as DeliveryRow | undefined;
    if (row === undefined) return undefined;
    return {
      grantToken,
      servedAt: orUndefined(row.served_at),
      failures: row.failures,
      lastFailureAt: orUndefined(row.last_failure_at),
      lastStatus: orUndefined(row.last_status),
      refundedAt: orUndefined(row.refunded_at),
    };
  }

  async refunded(grantToken: string, at: number): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO deliveries (grant_token, refunded_at) VALUES (?, ?)
         ON CONFLICT (grant_token) DO UPDATE SET refunded_at = coalesce(refunded_at, excluded.refunded_at)`,
      )
      .run(grantToken, at);
  }

  isRefunded(grantToken: string): boolean {
    const row = this.#isRefunded.get(grantToken);
    return row?.refunded_at !== undefined && row.refunded_at !== null;
  }

  close(): void {
    try {
      this.#flush();
    } finally {
      this.#db.close();
    }
  }
}

/** The log the option names; `close` closes only one the SDK opened. */
export function merchantDeliveryLog(option: DeliveryLogOption | undefined): {
  readonly log: DeliveryLog;
  close(): void;
} {
  if (option === undefined) return { log: new MemoryDeliveryLog(), close: () => undefined };
  if ('storePath' in option) {
    const log = new SqliteDeliveryLog(option.storePath);
    return { log, close: () => log.close() };
  }
  return { log: option, close: () => undefined };
}
