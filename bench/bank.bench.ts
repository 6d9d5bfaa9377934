/**
 * The bank under load, as it runs in production: its own process on loopback, SQLite with WAL
 * and synchronous=FULL, group commit. The load generator (autocannon) runs in this process on
 * the same 2 cores — the figures include its cost, as the issue asks.
 *
 * Wallet-side work (blinding, finalizing, signing deposit permissions and commitments) is
 * done before each timed phase, so the figures are the bank's.
 *
 *  - bank.withdraw_coins_per_s        batches of 64 coins, 4 customers in parallel
 *  - bank.deposit_coins_per_s         single-coin deposits from 50 merchants, saturated
 *  - bank.deposit_p99_ms              single-coin deposits at a fixed 3,000/s arrival rate
 *  - bank.deposit_batch_coins_per_s   deposits of 16 coins, saturated
 *  - bank.payword_redeem_per_s        redemptions (batches of 10) from 50 vendors, saturated
 *  - bank.commits_per_deposit         durable commits / deposits during the deposit phases
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amount } from '@farthing/protocol/amount';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import {
  parseMintKeySet,
  type SignedMintKeySet,
  verifyMintKeySet,
} from '@farthing/protocol/coin/mint-key-set';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { parsePaywordUserCertificate } from '@farthing/protocol/payword/certificate';
import { createPaywordChain, randomChainSeed } from '@farthing/protocol/payword/chain';
import {
  paywordCommitmentToJson,
  signPaywordCommitment,
} from '@farthing/protocol/payword/commitment';
import autocannon from 'autocannon';
import type { IssuanceView } from '../bank/src/mint/issuance.ts';
import {
  finalizeCoins,
  issuanceIdOf,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawalBody,
} from '../bank/src/mint/test-fixtures.ts';

type Metrics = Record<string, { value: number; unit: string }>;

const adminToken = 'bench-admin-token-0123456789';
const merchantCount = 50;
const customerCount = 4;
const coinValue = 100; // EUR 1.00: one denomination keeps key generation short
const withdrawBatch = 64;

interface Bank {
  readonly url: string;
  readonly process: ChildProcess;
  readonly dir: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

async function startBank(): Promise<Bank> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-bench-bank-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bank/src/cli.ts', 'start'], {
    env: {
      ...process.env,
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_PORT: String(port),
      FARTHING_BANK_ADMIN_TOKEN: adminToken,
      FARTHING_LOG_LEVEL: process.env.FARTHING_LOG_LEVEL ?? 'warn',
      FARTHING_SEED_DEMO: '0',
      FARTHING_MINT_VALUES: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bank exited (${code}) before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /Farthing bank at (\S+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
  });
  return { url, process: child, dir };
}

async function stopBank(bank: Bank): Promise<void> {
  const exited = new Promise((resolve) => bank.process.once('exit', resolve));
  bank.process.kill('SIGTERM');
  await exited;
  rmSync(bank.dir, { recursive: true, force: true });
}

async function call<T>(
  bank: Bank,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; idempotent?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotent ?? method === 'POST') headers['idempotency-key'] = randomUUID();
  let response: Response;
  try {
    response = await fetch(`${bank.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    throw new Error(`${method} ${path} failed: ${String((error as Error).cause ?? error)}`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

interface Merchant {
  readonly id: number;
  readonly name: string;
  readonly apiKey: string;
}

async function setUp(bank: Bank) {
  const merchants: Merchant[] = [];
  for (let i = 0; i < merchantCount; i++) {
    const name = `merchant-${i}`;
    const created = await call<{ apiKey: string }>(bank, 'POST', '/v1/admin/merchants', {
      token: adminToken,
      body: { name, displayName: `Merchant ${i}` },
      idempotent: false,
    });
    merchants.push({ id: i, name, apiKey: created.apiKey });
  }
  const customers: string[] = [];
  for (let i = 0; i < customerCount; i++) {
    const name = `customer-${i}`;
    await call(bank, 'POST', '/v1/accounts', { body: { name, password: 'bench password' } });
    await call(bank, 'POST', `/v1/admin/accounts/${name}/credit`, {
      token: adminToken,
      body: { amount: 'EUR 100000.00' },
    });
    const session = await call<{ token: string }>(bank, 'POST', '/v1/sessions', {
      body: { name, password: 'bench password' },
      idempotent: false,
    });
    customers.push(session.token);
  }
  const keySet = parseMintKeySet(await call(bank, 'GET', '/v1/mint/keys'));
  verifyMintKeySet(keySet, { masterPublicKey: keySet.masterPublicKey });
  return { merchants, customers, keySet };
}

function denominationOf(keySet: SignedMintKeySet) {
  const now = Date.now();
  const usable = keySet.denominations.find(
    (d) => d.value.minor === coinValue && d.validFrom <= now && now < d.withdrawUntil,
  );
  if (usable === undefined) throw new Error('no EUR 1.00 key signs now');
  return usable;
}

/** Withdraws `count` coins in batches, `customers.length` requests at a time; times the bank. */
async function withdraw(
  bank: Bank,
  customers: readonly string[],
  keySet: SignedMintKeySet,
  count: number,
) {
  const denomination = denominationOf(keySet);
  const batches = Array.from({ length: Math.ceil(count / withdrawBatch) }, () => {
    const seed = randomWithdrawalSeed();
    const planned = planCoins(seed, Array(withdrawBatch).fill(denomination));
    return { planned, body: withdrawalBody(issuanceIdOf(seed), planned) };
  });
  await settle();
  const answers: IssuanceView[] = new Array(batches.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    customers.map(async (token) => {
      while (next < batches.length) {
        const index = next++;
        answers[index] = await call(bank, 'POST', '/v1/mint/withdrawals', {
          token,
          body: batches[index]!.body,
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const coins = batches.flatMap((batch, index) =>
    finalizeCoins(batch.planned, {
      issuanceId: '',
      total: '',
      signatures: answers[index]!.signatures,
    } as never),
  );
  return { coins, perSecond: coins.length / seconds };
}

/**
 * Preparing requests keeps this process busy for seconds; give its event loop a moment to
 * notice connections that closed meanwhile, so none is reused half-closed.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 200));
}

interface LoadResult {
  readonly requests: number;
  readonly perSecond: number;
  readonly p99: number;
  readonly failures: number;
}

/** Fires one prepared request each, through autocannon, at `rate` per second or flat out. */
async function load(
  bank: Bank,
  path: string,
  bodies: readonly { apiKey: string; body: string }[],
  options: { connections: number; rate?: number },
): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url: bank.url,
    connections: options.connections,
    amount: bodies.length,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
    requests: [
      {
        method: 'POST',
        path,
        setupRequest(request) {
          const item = bodies[next++ % bodies.length]!;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${item.apiKey}`,
              'idempotency-key': randomUUID(),
            },
            body: item.body,
          };
        },
      },
    ],
  });
  const ok = result['2xx'];
  return {
    requests: ok,
    perSecond: ok / (result.duration || 1),
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

function depositBodies(
  coins: readonly WalletCoin[],
  merchants: readonly Merchant[],
  perDeposit: number,
) {
  const bodies: { apiKey: string; body: string }[] = [];
  for (let i = 0; i + perDeposit <= coins.length; i += perDeposit) {
    const merchant = merchants[(i / perDeposit) % merchants.length]!;
    const permissions = coins
      .slice(i, i + perDeposit)
      .map((coin) =>
        permissionFor(coin, { id: merchant.id, name: merchant.name, apiKey: merchant.apiKey }),
      );
    bodies.push({ apiKey: merchant.apiKey, body: JSON.stringify({ coins: permissions }) });
  }
  return bodies;
}

async function storageStats(bank: Bank) {
  const stats = await call<{ storage: { commits: number; jobs: number } }>(
    bank,
    'GET',
    '/v1/admin/stats',
    {
      token: adminToken,
    },
  );
  return stats.storage;
}

async function paywordBodies(
  bank: Bank,
  customer: string,
  merchants: readonly Merchant[],
  count: number,
) {
  const signer = ed25519Signer(randomSecretKey());
  const certificate = parsePaywordUserCertificate(
    await call(bank, 'POST', '/v1/broker/certificates', {
      token: customer,
      body: { userPublicKey: toBase64url(signer.publicKey), creditLimit: 'EUR 1000.00' },
    }),
  );
  const perRequest = 10;
  const bodies: { apiKey: string; body: string }[] = [];
  for (let r = 0; r < count / perRequest; r++) {
    const merchant = merchants[r % merchants.length]!;
    const items = [];
    for (let i = 0; i < perRequest; i++) {
      const chain = createPaywordChain(randomChainSeed(), 20);
      const commitment = await signPaywordCommitment(
        {
          vendorId: merchant.name,
          certificate,
          root: chain.root,
          length: 20,
          valuePerWord: amount('EUR', 1),
          createdAt: Date.now(),
          expiresAt: certificate.expiresAt,
        },
        signer,
      );
      items.push({
        commitment: paywordCommitmentToJson(commitment),
        index: 10,
        word: toBase64url(chain.wordAt(10)),
      });
    }
    bodies.push({ apiKey: merchant.apiKey, body: JSON.stringify({ redemptions: items }) });
  }
  return { bodies, perRequest };
}

const progress = (text: string) => process.stdout.write(`  bank: ${text}\n`);

export async function run(): Promise<Metrics> {
  const bank = await startBank();
  progress(`listening at ${bank.url}`);
  try {
    const { merchants, customers, keySet } = await setUp(bank);
    progress('accounts ready; warming up');
    // Warm-up: JIT and connection pools on both sides.
    const warm = await withdraw(bank, customers, keySet, 1_024);
    await load(bank, '/v1/mint/deposits', depositBodies(warm.coins, merchants, 1), {
      connections: 32,
    });

    const singleSaturated = 8_000;
    const singleRated = 9_000;
    const batched = 16_000;
    const { coins, perSecond: withdrawPerSecond } = await withdraw(
      bank,
      customers,
      keySet,
      singleSaturated + singleRated + batched,
    );
    progress(`withdrew ${coins.length} coins at ${Math.round(withdrawPerSecond)}/s; depositing`);
    const saturatedBodies = depositBodies(coins.slice(0, singleSaturated), merchants, 1);
    const ratedBodies = depositBodies(
      coins.slice(singleSaturated, singleSaturated + singleRated),
      merchants,
      1,
    );
    const batchBodies = depositBodies(coins.slice(singleSaturated + singleRated), merchants, 16);

    await settle();
    const before = await storageStats(bank);
    const saturated = await load(bank, '/v1/mint/deposits', saturatedBodies, { connections: 64 });
    const rated = await load(bank, '/v1/mint/deposits', ratedBodies, {
      connections: 64,
      rate: 3_000,
    });
    const batch = await load(bank, '/v1/mint/deposits', batchBodies, { connections: 32 });
    const after = await storageStats(bank);
    const deposits = saturated.requests + rated.requests + batch.requests;

    progress('deposits done; redeeming paywords');
    const payword = await paywordBodies(bank, customers[0]!, merchants, 6_000);
    await settle();
    const redemptions = await load(bank, '/v1/broker/redemptions', payword.bodies, {
      connections: 32,
    });

    const failures = saturated.failures + rated.failures + batch.failures + redemptions.failures;
    if (failures > 0) throw new Error(`${failures} requests failed during the bank benchmark`);
    return {
      'bank.withdraw_coins_per_s': { value: Math.round(withdrawPerSecond), unit: 'coins/s' },
      'bank.deposit_coins_per_s': { value: Math.round(saturated.perSecond), unit: 'coins/s' },
      'bank.deposit_p99_ms': { value: rated.p99, unit: 'ms' },
      'bank.deposit_rated_per_s': { value: Math.round(rated.perSecond), unit: 'coins/s' },
      'bank.deposit_saturated_p99_ms': { value: saturated.p99, unit: 'ms' },
      'bank.deposit_batch_coins_per_s': {
        value: Math.round(batch.perSecond * 16),
        unit: 'coins/s',
      },
      'bank.payword_redeem_per_s': {
        value: Math.round(redemptions.perSecond * payword.perRequest),
        unit: 'redemptions/s',
      },
      'bank.commits_per_deposit': {
        value: Number(((after.commits - before.commits) / deposits).toFixed(4)),
        unit: 'commits/deposit',
      },
    };
  } finally {
    await stopBank(bank);
  }
}
