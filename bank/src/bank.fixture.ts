/**
 * Test support for the bank's tests (not part of the API; imported only by `*.test.ts` and
 * test fixtures): the real Hono app over a real SQLite store in a temporary folder (or the
 * store the test opens, `openStore`), a clock
 * the test moves, a mint with real RSA-2048 keys, and customers and merchants opened through
 * the HTTP API.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createBankApp } from './app.ts';
import { openBankCertificateAuthority } from './ca/bank-authority.ts';
import { loadConfig } from './config.ts';
import type { BankContext, BankEnv } from './http/context.ts';
import { loadBankKeys } from './keys.ts';
import { createLogger } from './log.ts';
import { DepositVerifier } from './mint/deposit-verifier.ts';
import { Keyring } from './mint/keyring.ts';
import { defaultMintTiming, type MintKeyPolicy } from './mint/policy.ts';
import { SqliteBankStore } from './store/sqlite/sqlite-store.ts';
import type { BankStore } from './store/store.ts';

export const adminToken = 'test-admin-token-0123456789';
/** 2026-01-01T00:00:00Z. */
export const startTime = Date.UTC(2026, 0, 1);
export const day = 86_400_000;

export interface TestBankOptions {
  /**
   * Coin values in minor units. Fewer than the production list by default: every value is an
   * RSA-2048 key generated when the bank opens.
   */
  readonly coinValues?: readonly number[];
  readonly policy?: Partial<Omit<MintKeyPolicy, 'values'>>;
  readonly env?: Readonly<Record<string, string>>;
  /** The store the bank runs on; a SQLite file in the bank's data folder by default. */
  readonly openStore?: () => Promise<BankStore>;
}

export interface TestRequestOptions {
  /** Sent as JSON unless `rawBody` is given. */
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  readonly token?: string;
  /** A fresh key by default on POST; `null` sends none. */
  readonly idempotencyKey?: string | null;
}

export interface TestBank {
  readonly ctx: BankContext;
  readonly app: Hono<BankEnv>;
  readonly store: BankStore;
  /** The bank's clock; tests move `clock.now`. */
  readonly clock: { now: number };
  request(method: string, path: string, options?: TestRequestOptions): Promise<Response>;
  close(): Promise<void>;
}

export const testCoinValues: readonly number[] = [1, 2, 5, 10, 20, 50, 100];

export async function openTestBank(options: TestBankOptions = {}): Promise<TestBank> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-bank-'));
  const config = loadConfig({
    FARTHING_DATA_DIR: dir,
    FARTHING_SCRYPT_COST: '16',
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_SEED_DEMO: '0',
    FARTHING_BANK_ADMIN_TOKEN: adminToken,
    // Test merchants are certified for origins nothing serves, several for the same one.
    FARTHING_BANK_DEV_MODE: 'unproven',
    ...options.env,
  });
  const store =
    options.openStore === undefined
      ? new SqliteBankStore({
          path: config.databasePath,
          currency: config.currency,
          commitSync: config.commitSync,
        })
      : await options.openStore();
  const clock = { now: startTime };
  const now = () => clock.now;
  const log = createLogger(config);
  const keys = await loadBankKeys(store, clock.now);
  const ca = await openBankCertificateAuthority(store, { bankId: config.bankId, now: clock.now });
  const mint = await Keyring.open({
    store,
    log,
    masterKey: keys.mintMaster,
    currency: config.currency,
    now,
    policy: {
      ...defaultMintTiming,
      ...options.policy,
      values: options.coinValues ?? testCoinValues,
    },
  });
  // One worker, started by the first deposit: most test banks never deposit.
  const depositVerifier = new DepositVerifier({ keyring: mint, log, threads: 1 });
  const ctx: BankContext = { config, store, log, keys, mint, ca, depositVerifier, now };
  const app = createBankApp(ctx);
  return {
    ctx,
    app,
    store,
    clock,
    async request(method, path, request = {}) {
      const headers = new Headers();
      if (request.token !== undefined) headers.set('authorization', `Bearer ${request.token}`);
      const key = request.idempotencyKey === undefined ? randomUUID() : request.idempotencyKey;
      if (method === 'POST' && key !== null) headers.set('idempotency-key', key);
      const body =
        request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
      if (body !== undefined)
        headers.set('content-type', request.contentType ?? 'application/json');
      return app.request(
        new Request(`http://bank.test${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
        }),
      );
    },
    async close() {
      mint.stop();
      await depositVerifier.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The JSON body, after checking the status (the body is in the failure message). */
export async function expectStatus<T = Record<string, unknown>>(
  response: Response,
  status: number,
): Promise<T> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${text}`);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** The RFC 9457 problem's `code`, after checking the status and content type. */
export async function expectProblem(
  response: Response,
  status: number,
): Promise<Record<string, unknown> & { code: string }> {
  const problem = await expectStatus<Record<string, unknown> & { code: string }>(response, status);
  if (response.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected a problem document, got ${response.headers.get('content-type')}`);
  }
  return problem;
}

/** The password `openCustomer` signs customers up with. */
export const password = 'correct horse battery';

export interface TestCustomer {
  readonly id: number;
  readonly name: string;
  readonly token: string;
}

/** Signs up through the API, gets `funds` minor units from the operator, logs in. */
export async function openCustomer(
  bank: TestBank,
  name: string,
  funds: number,
  scopes: readonly string[] = ['account', 'withdraw'],
): Promise<TestCustomer> {
  await expectStatus(await bank.request('POST', '/v1/accounts', { body: { name, password } }), 201);
  const account = (await bank.store.getAccountByName(name))!;
  if (funds > 0) {
    await bank.store.issueFunds({
      accountId: account.id,
      amount: funds,
      reference: 'test funds',
      now: bank.clock.now,
    });
  }
  return { id: account.id, name, token: await logIn(bank, name, scopes) };
}

/** A new session for a customer `openCustomer` opened (sessions expire as the clock moves). */
export async function logIn(
  bank: TestBank,
  name: string,
  scopes: readonly string[] = ['account', 'withdraw'],
): Promise<string> {
  const session = await expectStatus<{ token: string }>(
    await bank.request('POST', '/v1/sessions', { body: { name, password, scopes } }),
    201,
  );
  return session.token;
}

export interface TestMerchant {
  readonly id: number;
  /** The merchant id deposit permissions name. */
  readonly name: string;
  readonly apiKey: string;
}

/** Opens a merchant account through the operator API. */
export async function openMerchant(bank: TestBank, name: string): Promise<TestMerchant> {
  const created = await expectStatus<{ apiKey: string }>(
    await bank.request('POST', '/v1/admin/merchants', {
      token: adminToken,
      body: { name, displayName: `Merchant ${name}` },
    }),
    201,
  );
  const account = (await bank.store.getAccountByName(name))!;
  return { id: account.id, name, apiKey: created.apiKey };
}

export async function balanceOf(bank: TestBank, name: string): Promise<number> {
  return (await bank.store.getAccountByName(name))!.balance;
}
