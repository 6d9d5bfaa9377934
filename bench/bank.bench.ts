/**
 * The bank under load, as it runs in production: its own process on loopback, SQLite with WAL,
 * group commit, every answer after its commit is on disk (synchronous=NORMAL + an fdatasync of
 * the WAL off the event loop; the deposit phases are also run against synchronous=FULL, as
 * `bank.compare.full_sync.*`). The load generator (autocannon) runs in this process on
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
 *  - bank.compare.full_sync.*         the same phases on a synchronous=FULL bank, interleaved
 *  - bank.compare.ed25519_*_us        one coin signature check (fresh key each time), libsodium
 *                                     (what the deposit workers use) against OpenSSL
 *
 * Long because it is one run: the phases share one bank process, its warmed keys and the
 * figures the summary compares; split, each phase would start its own bank.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslEd25519Verify, sodiumEd25519Verify } from '@farthing/bank/mint/coin-ed25519';
import type { IssuanceView } from '@farthing/bank/mint/issuance';
import {
  finalizeCoins,
  issuanceIdOf,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawalBody,
} from '@farthing/bank/mint/mint.fixture';
import { amount } from '@farthing/protocol/amount';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import {
  mintKeySets,
  type SignedMintKeySet,
  verifyMintKeySet,
} from '@farthing/protocol/coin/mint-key-set';
import {
  ed25519PublicKey,
  ed25519Sign,
  ed25519Signer,
  randomSecretKey,
} from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { createPaywordChain, randomChainSeed } from '@farthing/protocol/payword/chain';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import autocannon from 'autocannon';
import { ratios, roundsMetric } from './stats.ts';

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

/**
 * `FARTHING_BENCH_PROFILE=<dir>`: the main (synchronous=NORMAL) bank writes V8 CPU profiles
 * there (`--cpu-prof`, one per thread: the event loop and each deposit worker), to see where
 * a deposit's time goes.
 */
function profileArgs(profiled: boolean): string[] {
  const dir = process.env.FARTHING_BENCH_PROFILE;
  if (dir === undefined || dir === '' || !profiled) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

async function startBank(env: Record<string, string> = {}, profiled = false): Promise<Bank> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-bench-bank-'));
  const port = await freePort();
  const args = [...profileArgs(profiled), '--import', 'tsx', 'bank/src/cli.ts', 'start'];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_PORT: String(port),
      FARTHING_BANK_ADMIN_TOKEN: adminToken,
      FARTHING_LOG_LEVEL: process.env.FARTHING_LOG_LEVEL ?? 'warn',
      FARTHING_SEED_DEMO: '0',
      FARTHING_MINT_VALUES: '1',
      ...env,
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
  const keySet = mintKeySets.parse(await call(bank, 'GET', '/v1/mint/keys'));
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
  readonly seconds: number;
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
    // autocannon notices that the last answer came only at its next sample tick: at the
    // default 1 s its `duration` is rounded up to whole seconds (a 3.1 s phase counts 4.0 s),
    // and so were the rates recorded before this.
    sampleInt: 10,
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
    seconds: result.duration || 1,
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
  const certificate = paywordCertificates.parse(
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
      const commitment = await paywordCommitments.sign(
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
        commitment: paywordCommitments.toJson(commitment),
        index: 10,
        word: toBase64url(chain.wordAt(10)),
      });
    }
    bodies.push({ apiKey: merchant.apiKey, body: JSON.stringify({ redemptions: items }) });
  }
  return { bodies, perRequest };
}

const progress = (text: string) => process.stdout.write(`  bank: ${text}\n`);

/**
 * µs per Ed25519 verification with a fresh key each time, as deposits bring them: OpenSSL
 * (JWK import + verify) against libsodium, alternated over three rounds, best round each.
 */
function ed25519Comparison(): Metrics {
  const samples = Array.from({ length: 1_000 }, (_, i) => {
    const secretKey = randomSecretKey();
    const message = new Uint8Array(120).fill(i & 0xff);
    return {
      message,
      publicKey: ed25519PublicKey(secretKey),
      signature: ed25519Sign(message, secretKey),
    };
  });
  const best = { openssl: Number.POSITIVE_INFINITY, libsodium: Number.POSITIVE_INFINITY };
  const verifiers = { openssl: opensslEd25519Verify, libsodium: sodiumEd25519Verify };
  for (let round = 0; round < 3; round++) {
    for (const [name, verify] of Object.entries(verifiers) as [
      keyof typeof best,
      typeof opensslEd25519Verify | undefined,
    ][]) {
      if (verify === undefined) continue;
      const started = performance.now();
      for (const sample of samples) {
        if (!verify(sample.signature, sample.message, sample.publicKey)) {
          throw new Error(`${name} refused a valid signature`);
        }
      }
      best[name] = Math.min(best[name], ((performance.now() - started) * 1000) / samples.length);
    }
  }
  const metrics: Metrics = {
    'bank.compare.ed25519_openssl_us': { value: Number(best.openssl.toFixed(1)), unit: 'µs' },
  };
  if (Number.isFinite(best.libsodium)) {
    metrics['bank.compare.ed25519_libsodium_us'] = {
      value: Number(best.libsodium.toFixed(1)),
      unit: 'µs',
    };
  }
  return metrics;
}

/** A bank with its merchants and customers, warmed up (JIT and connection pools). */
async function openBenchBank(env: Record<string, string> = {}, profiled = false) {
  const bank = await startBank(env, profiled);
  try {
    const { merchants, customers, keySet } = await setUp(bank);
    const warm = await withdraw(bank, customers, keySet, 1_024);
    await load(bank, '/v1/mint/deposits', depositBodies(warm.coins, merchants, 1), {
      connections: 32,
    });
    return { bank, merchants, customers, keySet };
  } catch (error) {
    await stopBank(bank);
    throw error;
  }
}

/**
 * Saturated single-coin deposits: three chunks of 8,000 (~2 s each). With chunks of 2,667
 * (~0.8 s) the same build measured 2,797/s against 3,822/s with these: each chunk opens 64 new
 * connections and ends with its last connections finishing their share alone, fixed costs
 * that a short chunk cannot carry.
 */
const singleSaturated = 24_000;
const singleRated = 9_000;
const batched = 16_000;

/** Withdraws the coins of the three deposit phases and prepares their request bodies. */
async function prepareDeposits(opened: Awaited<ReturnType<typeof openBenchBank>>) {
  const { bank, merchants, customers, keySet } = opened;
  const { coins, perSecond } = await withdraw(
    bank,
    customers,
    keySet,
    singleSaturated + singleRated + batched,
  );
  return {
    withdrawPerSecond: perSecond,
    saturated: depositBodies(coins.slice(0, singleSaturated), merchants, 1),
    rated: depositBodies(coins.slice(singleSaturated, singleSaturated + singleRated), merchants, 1),
    batch: depositBodies(coins.slice(singleSaturated + singleRated), merchants, 16),
  };
}

const depositPhases = {
  saturated: (bank: Bank, bodies: readonly { apiKey: string; body: string }[]) =>
    load(bank, '/v1/mint/deposits', bodies, { connections: 64 }),
  rated: (bank: Bank, bodies: readonly { apiKey: string; body: string }[]) =>
    load(bank, '/v1/mint/deposits', bodies, { connections: 64, rate: 3_000 }),
  batch: (bank: Bank, bodies: readonly { apiKey: string; body: string }[]) =>
    load(bank, '/v1/mint/deposits', bodies, { connections: 32 }),
};

/** The chunks of one phase taken together: rate over the summed time, median chunk p99. */
function combined(chunks: readonly LoadResult[]): LoadResult {
  const requests = chunks.reduce((sum, chunk) => sum + chunk.requests, 0);
  const seconds = chunks.reduce((sum, chunk) => sum + chunk.seconds, 0);
  const p99s = chunks.map((chunk) => chunk.p99).sort((a, b) => a - b);
  return {
    requests,
    seconds,
    perSecond: requests / seconds,
    p99: p99s[Math.floor(p99s.length / 2)]!,
    failures: chunks.reduce((sum, chunk) => sum + chunk.failures, 0),
  };
}

/** Splits `items` into `count` nearly equal runs. */
function chunksOf<T>(items: readonly T[], count: number): T[][] {
  const size = Math.ceil(items.length / count);
  return Array.from({ length: count }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/**
 * The comparison banks: each runs the same deposit phases. The machine is shared and its load
 * swings within seconds, so each phase is cut in three and the banks take turns chunk by
 * chunk (A B A B A B): they see the same load.
 */
const variants = {
  /** The defaults: synchronous=NORMAL + fdatasync of the WAL off the event loop. */
  main: {},
  /** synchronous=FULL: the fsync inside COMMIT, on the event loop. */
  full_sync: { FARTHING_BANK_COMMIT_SYNC: 'full' },
} as const;
type Variant = keyof typeof variants;
const rounds = 3;

export async function run(): Promise<Metrics> {
  const opened: Partial<Record<Variant, Awaited<ReturnType<typeof openBenchBank>>>> = {};
  try {
    for (const variant of Object.keys(variants) as Variant[]) {
      opened[variant] = await openBenchBank(variants[variant], variant === 'main');
      progress(`${variant} bank at ${opened[variant].bank.url}`);
    }
    const banks = opened as Record<Variant, Awaited<ReturnType<typeof openBenchBank>>>;
    const prepared = {} as Record<Variant, Awaited<ReturnType<typeof prepareDeposits>>>;
    for (const variant of Object.keys(variants) as Variant[]) {
      prepared[variant] = await prepareDeposits(banks[variant]);
      progress(
        `${variant}: withdrew at ${Math.round(prepared[variant].withdrawPerSecond)} coins/s`,
      );
    }

    const results = {} as Record<'saturated' | 'rated' | 'batch', Record<Variant, LoadResult>>;
    /** Each phase's chunks (rounds) per bank, for medians and ranges. */
    const roundsOf = {} as Record<'saturated' | 'rated' | 'batch', Record<Variant, LoadResult[]>>;
    await settle();
    const before = await storageStats(banks.main.bank);
    for (const phase of ['saturated', 'rated', 'batch'] as const) {
      const chunks = { main: [], full_sync: [] } as Record<Variant, LoadResult[]>;
      for (let round = 0; round < rounds; round++) {
        for (const variant of Object.keys(variants) as Variant[]) {
          await settle();
          const bodies = chunksOf(prepared[variant][phase], rounds)[round]!;
          chunks[variant].push(await depositPhases[phase](banks[variant].bank, bodies));
        }
      }
      roundsOf[phase] = chunks;
      results[phase] = Object.fromEntries(
        Object.entries(chunks).map(([variant, runs]) => [variant, combined(runs)]),
      ) as Record<Variant, LoadResult>;
      progress(`${phase} deposits done`);
    }
    const after = await storageStats(banks.main.bank);
    const mainDeposits =
      results.saturated.main.requests + results.rated.main.requests + results.batch.main.requests;

    progress('redeeming paywords');
    const payword = await paywordBodies(
      banks.main.bank,
      banks.main.customers[0]!,
      banks.main.merchants,
      6_000,
    );
    await settle();
    const redemptions = await load(banks.main.bank, '/v1/broker/redemptions', payword.bodies, {
      connections: 32,
    });

    const failures =
      Object.values(results)
        .flatMap((byVariant) => Object.values(byVariant))
        .reduce((sum, result) => sum + result.failures, 0) + redemptions.failures;
    if (failures > 0) throw new Error(`${failures} requests failed during the bank benchmark`);
    const depositMetrics = (prefix: string, variant: Variant): Metrics => ({
      [`${prefix}withdraw_coins_per_s`]: {
        value: Math.round(prepared[variant].withdrawPerSecond),
        unit: 'coins/s',
      },
      // Medians of the chunks (rounds), with their range.
      [`${prefix}deposit_coins_per_s`]: roundsMetric(
        roundsOf.saturated[variant].map((r) => r.perSecond),
        'coins/s',
        3,
      ),
      [`${prefix}deposit_p99_ms`]: roundsMetric(
        roundsOf.rated[variant].map((r) => r.p99),
        'ms',
      ),
      [`${prefix}deposit_rated_per_s`]: roundsMetric(
        roundsOf.rated[variant].map((r) => r.perSecond),
        'coins/s',
        3,
      ),
      [`${prefix}deposit_saturated_p99_ms`]: roundsMetric(
        roundsOf.saturated[variant].map((r) => r.p99),
        'ms',
      ),
      [`${prefix}deposit_batch_coins_per_s`]: roundsMetric(
        roundsOf.batch[variant].map((r) => r.perSecond * 16),
        'coins/s',
        3,
      ),
    });
    // The WAL-sync default against synchronous=FULL, chunk by chunk (each pair side by side).
    const fullOverDefault = (phase: 'saturated' | 'batch') =>
      roundsMetric(
        ratios(
          roundsOf[phase].full_sync.map((r) => r.perSecond),
          roundsOf[phase].main.map((r) => r.perSecond),
        ),
        '×',
        3,
      );
    return {
      ...depositMetrics('bank.', 'main'),
      'bank.payword_redeem_per_s': {
        value: Math.round(redemptions.perSecond * payword.perRequest),
        unit: 'redemptions/s',
      },
      'bank.commits_per_deposit': {
        value: Number(((after.commits - before.commits) / mainDeposits).toFixed(4)),
        unit: 'commits/deposit',
      },
      ...depositMetrics('bank.compare.full_sync.', 'full_sync'),
      'bank.compare.full_sync_vs_default_deposits': fullOverDefault('saturated'),
      'bank.compare.full_sync_vs_default_batch_deposits': fullOverDefault('batch'),
      ...ed25519Comparison(),
    };
  } finally {
    await Promise.all(Object.values(opened).map((bank) => stopBank(bank.bank)));
  }
}
