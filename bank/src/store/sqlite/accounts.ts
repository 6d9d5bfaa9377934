/** Accounts, sessions, API keys and account history. */
import type Database from 'better-sqlite3';
import {
  type AccountRow,
  accountExists,
  type LedgerEntryRow,
  ledgerEntryFromRow,
  newAccountValues,
  type SessionRow,
  sessionFromRow,
  sessionValues,
  toAccount,
} from '../rows.ts';
import type { AccountRecord, LedgerEntry, NewAccount, NewSession, Session } from '../store.ts';
import { isConstraintError } from './database.ts';

export class Accounts {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO accounts (kind, name, display_name, currency, may_go_negative, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      byId: db.prepare('SELECT * FROM accounts WHERE id = ?'),
      byName: db.prepare('SELECT * FROM accounts WHERE name = ?'),
      insertSession: db.prepare(
        'INSERT INTO sessions (token_hash, account_id, scopes, expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      findSession: db.prepare(
        `SELECT s.scopes AS scopes, s.expires_at AS expires_at, a.*
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?`,
      ),
      deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
      insertApiKey: db.prepare(
        'INSERT INTO api_keys (key_hash, account_id, label, created_at) VALUES (?, ?, ?, ?)',
      ),
      findApiKey: db.prepare(
        `SELECT a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
      ),
      history: db.prepare(
        `SELECT e.transfer_id, t.kind, t.reference, e.amount, e.balance_after, t.created_at
         FROM ledger_entries e JOIN transfers t ON t.id = e.transfer_id
         WHERE e.account_id = ? AND e.transfer_id < ? ORDER BY e.id DESC LIMIT ?`,
      ),
    };
  }

  create(account: NewAccount): AccountRecord {
    try {
      const row = this.#sql.insert.get(...newAccountValues(account)) as AccountRow;
      return toAccount(row);
    } catch (error) {
      if (isConstraintError(error, 'UNIQUE')) {
        throw accountExists(account.name);
      }
      throw error;
    }
  }

  byId(id: number): AccountRecord | undefined {
    const row = this.#sql.byId.get(id) as AccountRow | undefined;
    return row === undefined ? undefined : toAccount(row);
  }

  byName(name: string): AccountRecord | undefined {
    const row = this.#sql.byName.get(name) as AccountRow | undefined;
    return row === undefined ? undefined : toAccount(row);
  }

  /** The id of the system account `name`, created in `currency` if it does not exist yet. */
  ensureSystem(name: string, displayName: string, currency: string): number {
    const existing = this.byName(name);
    if (existing !== undefined) return existing.id;
    return this.create({ kind: 'system', name, displayName, currency, now: Date.now() }).id;
  }

  /** The id of a system account, which `ensureSystemAccounts` created at startup. */
  systemId(name: string): number {
    const account = this.byName(name);
    if (account === undefined) throw new Error(`system account ${name} is missing`);
    return account.id;
  }

  createSession(session: NewSession): void {
    this.#sql.insertSession.run(...sessionValues(session));
  }

  findSession(tokenHash: Uint8Array): Session | undefined {
    const row = this.#sql.findSession.get(tokenHash) as SessionRow | undefined;
    return row === undefined ? undefined : sessionFromRow(row);
  }

  deleteSession(tokenHash: Uint8Array): void {
    this.#sql.deleteSession.run(tokenHash);
  }

  createApiKey(key: { keyHash: Uint8Array; accountId: number; label: string; now: number }): void {
    this.#sql.insertApiKey.run(key.keyHash, key.accountId, key.label, key.now);
  }

  findApiKeyAccount(keyHash: Uint8Array): AccountRecord | undefined {
    const row = this.#sql.findApiKey.get(keyHash) as AccountRow | undefined;
    return row === undefined ? undefined : toAccount(row);
  }

  history(accountId: number, limit: number, before = Number.MAX_SAFE_INTEGER): LedgerEntry[] {
    const rows = this.#sql.history.all(accountId, before, limit) as LedgerEntryRow[];
    return rows.map(ledgerEntryFromRow);
  }
}
