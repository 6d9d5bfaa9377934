/** Accounts, sessions, API keys and account history on PostgreSQL. */
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
import { isPostgresError, type Sql } from './database.ts';

export async function createAccount(sql: Sql, account: NewAccount): Promise<AccountRecord> {
  try {
    const [row] = await sql.query<AccountRow>(
      `INSERT INTO accounts (kind, name, display_name, currency, may_go_negative, password_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      newAccountValues(account),
    );
    return toAccount(row!);
  } catch (error) {
    if (isPostgresError(error, '23505') && error.constraint === 'accounts_name_key') {
      throw accountExists(account.name);
    }
    throw error;
  }
}

export async function accountById(sql: Sql, id: number): Promise<AccountRecord | undefined> {
  const [row] = await sql.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
  return row === undefined ? undefined : toAccount(row);
}

export async function accountByName(sql: Sql, name: string): Promise<AccountRecord | undefined> {
  const [row] = await sql.query<AccountRow>('SELECT * FROM accounts WHERE name = $1', [name]);
  return row === undefined ? undefined : toAccount(row);
}

export async function createSession(sql: Sql, session: NewSession): Promise<void> {
  await sql.query(
    'INSERT INTO sessions (token_hash, account_id, scopes, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
    sessionValues(session),
  );
}

export async function findSession(sql: Sql, tokenHash: Uint8Array): Promise<Session | undefined> {
  const [row] = await sql.query<SessionRow>(
    `SELECT s.scopes AS scopes, s.expires_at AS expires_at, a.*
     FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1`,
    [tokenHash],
  );
  return row === undefined ? undefined : sessionFromRow(row);
}

export async function deleteSession(sql: Sql, tokenHash: Uint8Array): Promise<void> {
  await sql.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

export async function createApiKey(
  sql: Sql,
  key: { keyHash: Uint8Array; accountId: number; label: string; now: number },
): Promise<void> {
  await sql.query(
    'INSERT INTO api_keys (key_hash, account_id, label, created_at) VALUES ($1, $2, $3, $4)',
    [key.keyHash, key.accountId, key.label, key.now],
  );
}

export async function findApiKeyAccount(
  sql: Sql,
  keyHash: Uint8Array,
): Promise<AccountRecord | undefined> {
  const [row] = await sql.query<AccountRow>(
    `SELECT a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id
     WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [keyHash],
  );
  return row === undefined ? undefined : toAccount(row);
}

export async function history(
  sql: Sql,
  accountId: number,
  limit: number,
  before = Number.MAX_SAFE_INTEGER,
): Promise<LedgerEntry[]> {
  const rows = await sql.query<LedgerEntryRow>(
    `SELECT e.transfer_id, t.kind, t.reference, e.amount, e.balance_after, t.created_at
     FROM ledger_entries e JOIN transfers t ON t.id = e.transfer_id
     WHERE e.account_id = $1 AND e.transfer_id < $2 ORDER BY e.id DESC LIMIT $3`,
    [accountId, before, limit],
  );
  return rows.map(ledgerEntryFromRow);
}
