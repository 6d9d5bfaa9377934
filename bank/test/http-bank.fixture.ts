/**
 * Support for the bank's tests over real HTTP (loopback.test.ts, crash.test.ts): free ports,
 * the bank as a child process (spawn, wait for /healthz, SIGKILL), `npm run bank -- check`,
 * and a small fetch client with the same request options as the in-process `TestBank`, so
 * the wallet side of `../src/mint/mint.fixture.ts` runs unchanged against a real socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { amount, formatAmount, parseAmount } from '@farthing/protocol/amount';
import type { BlindRsaSigner } from '@farthing/protocol/blind-rsa';
import {
  type Denomination,
  denominationCipher,
  denominationId,
} from '@farthing/protocol/coin/denomination';
import { mintKeySets } from '@farthing/protocol/coin/mint-key-set';
import { fromBase64url } from '@farthing/protocol/encoding';
import { nodeBlindRsaSigner } from '@farthing/protocol/node/blind-rsa';
import {
  adminToken,
  expectStatus,
  password,
  type TestCustomer,
  type TestMerchant,
  type TestRequestOptions,
} from '../src/bank.fixture.ts';
import type { MintClient } from '../src/mint/mint.fixture.ts';
import { SqliteBankStore } from '../src/store/sqlite/sqlite-store.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A port nobody listens on right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The environment of a test bank: its own data folder and port, the admin token, quiet logs,
 * no demo data, a cheap scrypt, and few coin values (each is an RSA-2048 key made on first start).
 */
export function bankEnv(
  dataDir: string,
  port: number,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    FARTHING_DATA_DIR: dataDir,
    FARTHING_BANK_PORT: String(port),
    FARTHING_BANK_ADMIN_TOKEN: adminToken,
    FARTHING_LOG_LEVEL: 'warn',
    FARTHING_SEED_DEMO: '0',
    FARTHING_SCRYPT_COST: '16',
    FARTHING_MINT_VALUES: '0.01,0.02,0.05,0.10,0.20,0.50,1',
    // Test merchants are certified for origins nothing serves, several for the same one.
    FARTHING_BANK_DEV_MODE: 'unproven',
    ...extra,
  };
}

/** The bank's HTTP API over a real socket, shaped like `TestBank` for the wallet fixtures. */
export interface HttpBank extends MintClient {
  readonly url: string;
}

export function httpBank(url: string, mintMasterPublicKey: Uint8Array): HttpBank {
  return {
    url,
    clock: {
      get now() {
        return Date.now();
      },
    },
    ctx: { keys: { mintMaster: { publicKey: mintMasterPublicKey } } },
    request(method: string, path: string, options: TestRequestOptions = {}) {
      const headers = new Headers();
      if (options.token !== undefined) headers.set('authorization', `Bearer ${options.token}`);
      const key = options.idempotencyKey === undefined ? randomUUID() : options.idempotencyKey;
      if (method === 'POST' && key !== null) headers.set('idempotency-key', key);
      const body =
        options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      if (body !== undefined)
        headers.set('content-type', options.contentType ?? 'application/json');
      return fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
    },
  };
}

/**
 * A client that trusts the master key of the first key set it sees (a wallet is given the key
 * out of band; a test that cannot reach into the bank's process takes it from there).
 */
export async function trustOnFirstUse(url: string): Promise<HttpBank> {
  const response = await fetch(`${url}/v1/mint/keys`);
  const keySet = mintKeySets.parse(await expectStatus(response, 200));
  return httpBank(url, keySet.masterPublicKey);
}

export type HttpCustomer = Pick<TestCustomer, 'name' | 'token'>;
export type HttpMerchant = Pick<TestMerchant, 'name' | 'apiKey'>;

/** Puts `minor` units into an account through the operator endpoint. */
export async function creditAccount(
  bank: HttpBank,
  name: string,
  minor: number,
  idempotencyKey?: string,
): Promise<void> {
  await expectStatus(
    await bank.request('POST', `/v1/admin/accounts/${name}/credit`, {
      token: adminToken,
      body: { amount: formatAmount(amount('EUR', minor)), reference: 'test funds' },
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    }),
    200,
  );
}

/** Signs up, gets `funds` from the operator, logs in — all over HTTP. */
export async function openHttpCustomer(
  bank: HttpBank,
  name: string,
  funds: number,
  scopes: readonly string[] = ['account', 'withdraw'],
): Promise<HttpCustomer> {
  await expectStatus(await bank.request('POST', '/v1/accounts', { body: { name, password } }), 201);
  if (funds > 0) await creditAccount(bank, name, funds);
  const session = await expectStatus<{ token: string }>(
    await bank.request('POST', '/v1/sessions', { body: { name, password, scopes } }),
    201,
  );
  return { name, token: session.token };
}

export async function openHttpMerchant(bank: HttpBank, name: string): Promise<HttpMerchant> {
  const created = await expectStatus<{ apiKey: string }>(
    await bank.request('POST', '/v1/admin/merchants', {
      token: adminToken,
      body: { name, displayName: `Merchant ${name}` },
    }),
    201,
  );
  return { name, apiKey: created.apiKey };
}

/** The customer's balance in minor units, as `GET /v1/accounts/me` states it. */
export async function customerBalance(bank: HttpBank, customer: HttpCustomer): Promise<number> {
  const me = await expectStatus<{ balance: string }>(
    await bank.request('GET', '/v1/accounts/me', { token: customer.token }),
    200,
  );
  return parseAmount(me.balance).minor;
}

/** `spent` or `unspent`, as `GET /v1/mint/coins/:coinPub` says. */
export async function coinStatus(bank: HttpBank, coinPub: Uint8Array): Promise<string> {
  const pub = Buffer.from(coinPub).toString('base64url');
  const body = await expectStatus<{ status: string }>(
    await bank.request('GET', `/v1/mint/coins/${pub}`),
    200,
  );
  return body.status;
}

/**
 * Stores a denomination key with the given windows in the database at `path` before the bank
 * opens it, as if an earlier run of the mint had made it. The bank loads it like its own; the
 * test keeps the signer so it can make genuine coins of a key whose windows are over, which
 * a real clock cannot otherwise reach.
 */
export async function storeDenominationKey(
  path: string,
  window: { value: number; validFrom: number; withdrawUntil: number; depositUntil: number },
): Promise<{ denomination: Denomination; signer: BlindRsaSigner }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const denomination: Denomination = {
    value: amount('EUR', window.value),
    publicKey: { n: fromBase64url(jwk.n!, 'n'), e: fromBase64url(jwk.e!, 'e') },
    cipher: denominationCipher,
    validFrom: window.validFrom,
    withdrawUntil: window.withdrawUntil,
    depositUntil: window.depositUntil,
  };
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const store = new SqliteBankStore({ path, currency: 'EUR' });
  try {
    await store.insertDenomination({
      id: denominationId(denomination),
      currency: 'EUR',
      publicN: denomination.publicKey.n,
      publicE: denomination.publicKey.e,
      privateKey: new Uint8Array(der),
      ...window,
      createdAt: window.validFrom,
    });
  } finally {
    await store.close();
  }
  return { denomination, signer: nodeBlindRsaSigner(privateKey) };
}

// --- the bank as a child process

export interface BankProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves when the process has exited (after a kill, once the OS reaped it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few kilobytes of its stdout and stderr, for failure messages. */
  output(): string;
}

function capture(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/** Starts `node --import tsx bank/src/cli.ts start` and waits until `/healthz` answers. */
export async function spawnBank(env: Readonly<Record<string, string>>): Promise<BankProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bank/src/cli.ts', 'start'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const bank = { child, url: `http://127.0.0.1:${env.FARTHING_BANK_PORT}`, exited, output };
  await waitForHealth(bank);
  return bank;
}

async function waitForHealth(bank: BankProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void bank.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the bank exited before it answered:\n${bank.output()}`);
    try {
      const response = await fetch(`${bank.url}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the bank did not answer /healthz in ${timeoutMs} ms:\n${bank.output()}`);
}

/** Sends `signal` (SIGKILL: no shutdown code runs) and waits until the process is gone. */
export async function stopBank(
  bank: BankProcess,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (bank.child.exitCode === null && bank.child.signalCode === null) bank.child.kill(signal);
  return bank.exited;
}

/** Runs `npm run bank -- check` on the bank's database; resolves to its exit code and output. */
export function runBankCheck(
  env: Readonly<Record<string, string>>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['run', '--silent', 'bank', '--', 'check'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output: output() }));
  });
}
