/**
 * The bank's deposits on PostgreSQL beside SQLite, in one run (issue 19). Three banks run as
 * their own processes on loopback: one on SQLite (the default settings), one process on a
 * throwaway PostgreSQL server, and two processes sharing another database on that server
 * (the load is split evenly between them, as a proxy would). Each deposits single coins from
 * 20 merchants, flat out; the phases are cut in chunks and the banks take turns chunk by
 * chunk, so a swing in the machine's load hits them alike.
 *
 * On this 2-core machine the load generator (autocannon, in this process), PostgreSQL and
 * the banks share the cores, so besides the rate each phase records the CPU each party spent
 * per deposit (from /proc: the bank processes, every process of the PostgreSQL server, and
 * this one), which says what one more core for each would give.
 *
 *  - bank.pg.deposit_coins_per_s           one bank process on PostgreSQL (median round; _min, _max)
 *  - bank.pg.two_process_deposit_coins_per_s  two bank processes on one PostgreSQL database
 *  - bank.pg.sqlite_deposit_coins_per_s    the SQLite bank, same run
 *  - bank.pg.pg_to_sqlite_ratio            one PostgreSQL process over SQLite, median round
 *  - bank.pg.two_to_one_process_ratio      two PostgreSQL processes over one, median round
 *  - bank.pg.deposit_p99_ms                one process on PostgreSQL at a fixed 40 deposits/s
 *  - bank.pg.*_cpu_ms_per_deposit          CPU per deposit: bank, postgres, load generator
 *  - bank.pg.failed_deposits               non-2xx, errors and timeouts (10 s) in all phases
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  finalizeCoins,
  issuanceIdOf,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawalBody,
} from '@farthing/bank/mint/mint.fixture';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { mintKeySets } from '@farthing/protocol/coin/mint-key-set';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import autocannon from 'autocannon';

type Metrics = Record<string, { value: number; unit: string }>;

const adminToken = 'bench-admin-token-0123456789';
const merchantCount = 20;
const coinsPerBank = 3_000;
/** Rounds: each bank's coins are deposited in this many turns (median and range reported). */
const chunks = 5;
const ratedPerSecond = 40;
const ratedCoins = 400;

const progress = (text: string) => process.stderr.write(`  pg: ${text}\n`);
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

interface BankProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly dir: string;
}

async function startBank(env: Record<string, string>): Promise<BankProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-bench-pg-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bank/src/cli.ts', 'start'], {
    env: {
      ...process.env,
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_PORT: '0',
      FARTHING_BANK_ADMIN_TOKEN: adminToken,
      FARTHING_LOG_LEVEL: 'warn',
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
  return { url, child, dir };
}

async function stopBank(bank: BankProcess): Promise<void> {
  const exited = new Promise((resolve) => bank.child.once('exit', resolve));
  bank.child.kill('SIGTERM');
  await exited;
  rmSync(bank.dir, { recursive: true, force: true });
}

async function call<T>(url: string, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = { 'idempotency-key': randomUUID() };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Merchants, one customer and `coinsPerBank` coins withdrawn; returns the deposit bodies. */
async function prepare(url: string, tag: string) {
  const merchants: { name: string; apiKey: string }[] = [];
  for (let i = 0; i < merchantCount; i++) {
    const name = `${tag}-merchant-${i}`;
    const { apiKey } = await call<{ apiKey: string }>(
      url,
      'POST',
      '/v1/admin/merchants',
      adminToken,
      {
        name,
        displayName: name,
      },
    );
    merchants.push({ name, apiKey });
  }
  const customer = `${tag}-customer`;
  await call(url, 'POST', '/v1/accounts', undefined, {
    name: customer,
    password: 'bench password',
  });
  await call(url, 'POST', `/v1/admin/accounts/${customer}/credit`, adminToken, {
    amount: 'EUR 100000.00',
  });
  const { token } = await call<{ token: string }>(url, 'POST', '/v1/sessions', undefined, {
    name: customer,
    password: 'bench password',
  });
  const keySet = mintKeySets.parse(await call(url, 'GET', '/v1/mint/keys'));
  const denomination = keySet.denominations.find((d) => d.value.minor === 100)!;
  const coins: WalletCoin[] = [];
  for (let done = 0; done < coinsPerBank; done += 64) {
    const seed = randomWithdrawalSeed();
    const planned = planCoins(seed, Array(64).fill(denomination));
    const view = await call<never>(
      url,
      'POST',
      '/v1/mint/withdrawals',
      token,
      withdrawalBody(issuanceIdOf(seed), planned),
    );
    coins.push(...finalizeCoins(planned, view));
  }
  return coins.map((coin, i) => {
    const merchant = merchants[i % merchants.length]!;
    return {
      apiKey: merchant.apiKey,
      body: JSON.stringify({ coins: [permissionFor(coin, merchant)] }),
    };
  });
}

/** CPU seconds (user + system) of each process, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuSeconds(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // Gone already.
    }
  }
  return seconds;
}

/** CPU spent between two readings; a process that ended in between is not counted. */
function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Every process of the server: the postmaster and its children. */
function postgresPids(cluster: PostgresCluster): number[] {
  const postmaster = Number(
    readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

interface Phase {
  deposits: number;
  seconds: number;
  p99: number;
  failures: number;
  bankCpu: number;
  postgresCpu: number;
  loadCpu: number;
}

/** Fires `bodies` at the banks (split evenly), flat out or at `rate`; measures CPU around it. */
async function deposit(
  banks: readonly BankProcess[],
  bodies: readonly { apiKey: string; body: string }[],
  cluster: PostgresCluster,
  rate?: number,
): Promise<Phase> {
  const bankPids = banks.map((bank) => bank.child.pid!);
  const before = { bank: cpuSeconds(bankPids), postgres: cpuSeconds(postgresPids(cluster)) };
  const load = process.cpuUsage();
  const results = await Promise.all(
    banks.map((bank, b) => {
      const mine = bodies.filter((_, i) => i % banks.length === b);
      let next = 0;
      return autocannon({
        url: bank.url,
        connections: 32 / banks.length,
        amount: mine.length,
        sampleInt: 10,
        ...(rate === undefined ? {} : { overallRate: rate / banks.length }),
        requests: [
          {
            method: 'POST',
            path: '/v1/mint/deposits',
            setupRequest(request) {
              const item = mine[next++ % mine.length]!;
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
    }),
  );
  const used = process.cpuUsage(load);
  for (const r of results) {
    if (r.non2xx + r.errors + r.timeouts > 0) {
      progress(
        `failures: ${JSON.stringify({ statuses: r.statusCodeStats, errors: r.errors, timeouts: r.timeouts })}`,
      );
    }
  }
  return {
    deposits: results.reduce((sum, r) => sum + r['2xx'], 0),
    seconds: Math.max(...results.map((r) => r.duration || 1)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    failures: results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
    bankCpu: cpuSpent(before.bank, cpuSeconds(bankPids)),
    postgresCpu: cpuSpent(before.postgres, cpuSeconds(postgresPids(cluster))),
    loadCpu: (used.user + used.system) / 1e6,
  };
}

const sum = (phases: readonly Phase[]): Phase =>
  phases.reduce((a, b) => ({
    deposits: a.deposits + b.deposits,
    seconds: a.seconds + b.seconds,
    p99: Math.max(a.p99, b.p99),
    failures: a.failures + b.failures,
    bankCpu: a.bankCpu + b.bankCpu,
    postgresCpu: a.postgresCpu + b.postgresCpu,
    loadCpu: a.loadCpu + b.loadCpu,
  }));

/** What the server counted over the run: deadlocks, rollbacks, commits. */
function serverStats(cluster: PostgresCluster) {
  return cluster.query(
    'postgres',
    `SELECT SUM(deadlocks)::int AS deadlocks, SUM(xact_rollback)::int AS rollbacks,
            SUM(xact_commit)::int AS commits FROM pg_stat_database`,
  );
}

const msPer = (seconds: number, deposits: number) =>
  Number(((seconds * 1000) / deposits).toFixed(3));

export async function run(): Promise<Metrics> {
  const cluster = await startPostgresCluster();
  const banks: BankProcess[] = [];
  try {
    const sqlite = await startBank({});
    banks.push(sqlite);
    const pgOne = await startBank({ FARTHING_BANK_DB: await cluster.createDatabase() });
    banks.push(pgOne);
    const shared = await cluster.createDatabase();
    const pgTwo = [await startBank({ FARTHING_BANK_DB: shared })];
    pgTwo.push(await startBank({ FARTHING_BANK_DB: shared }));
    banks.push(...pgTwo);
    const variants = {
      sqlite: { banks: [sqlite], bodies: await prepare(sqlite.url, 'sqlite') },
      pg: { banks: [pgOne], bodies: await prepare(pgOne.url, 'pg') },
      pg_two: { banks: pgTwo, bodies: await prepare(pgTwo[0]!.url, 'pg2') },
    };
    progress('withdrew the coins; depositing');
    const rated = variants.pg.bodies.splice(0, ratedCoins);
    const phases: Record<keyof typeof variants, Phase[]> = { sqlite: [], pg: [], pg_two: [] };
    for (let chunk = 0; chunk < chunks; chunk++) {
      for (const [name, variant] of Object.entries(variants)) {
        const size = Math.floor(variant.bodies.length / chunks);
        await settle();
        phases[name as keyof typeof variants].push(
          await deposit(
            variant.banks,
            variant.bodies.slice(chunk * size, (chunk + 1) * size),
            cluster,
          ),
        );
      }
    }
    await settle();
    const ratedPhase = await deposit([pgOne], rated, cluster, ratedPerSecond);
    const totals = {
      sqlite: sum(phases.sqlite),
      pg: sum(phases.pg),
      pg_two: sum(phases.pg_two),
    };
    // Reported, not thrown: a deposit that timed out (autocannon: 10 s) is a finding to see
    // beside the rates, and the rates count only the deposits answered 200.
    const failures = Object.fromEntries(
      Object.entries({ ...totals, rated: ratedPhase }).map(([name, p]) => [name, p.failures]),
    );
    if (Object.values(failures).some((n) => n > 0)) progress(`failed: ${JSON.stringify(failures)}`);
    const [server] = await serverStats(cluster);
    progress(`server: ${JSON.stringify(server)}`);
    const perSecond = (p: Phase) => Math.round(p.deposits / p.seconds);
    // Each chunk is one round of the three banks, taken in turn: the median round and the range.
    const rounds = (name: keyof typeof phases, prefix: string): Metrics => {
      const rates = phases[name].map(perSecond).sort((a, b) => a - b);
      return {
        [`${prefix}coins_per_s`]: { value: rates[Math.floor(rates.length / 2)]!, unit: 'coins/s' },
        [`${prefix}coins_per_s_min`]: { value: rates[0]!, unit: 'coins/s' },
        [`${prefix}coins_per_s_max`]: { value: rates.at(-1)!, unit: 'coins/s' },
      };
    };
    const ratios = phases.pg
      .map((p, round) => perSecond(p) / perSecond(phases.sqlite[round]!))
      .sort((a, b) => a - b);
    const twoOverOne = phases.pg_two
      .map((p, round) => perSecond(p) / perSecond(phases.pg[round]!))
      .sort((a, b) => a - b);
    const ratio = (values: number[]) => Number(values[Math.floor(values.length / 2)]!.toFixed(2));
    for (const name of ['sqlite', 'pg', 'pg_two'] as const) {
      progress(`${name} per round: ${phases[name].map(perSecond).join(', ')} deposits/s`);
    }
    const cpu = (prefix: string, p: Phase): Metrics => ({
      [`${prefix}bank_cpu_ms_per_deposit`]: { value: msPer(p.bankCpu, p.deposits), unit: 'ms' },
      [`${prefix}postgres_cpu_ms_per_deposit`]: {
        value: msPer(p.postgresCpu, p.deposits),
        unit: 'ms',
      },
      [`${prefix}load_cpu_ms_per_deposit`]: { value: msPer(p.loadCpu, p.deposits), unit: 'ms' },
    });
    return {
      ...rounds('pg', 'bank.pg.deposit_'),
      ...rounds('pg_two', 'bank.pg.two_process_deposit_'),
      ...rounds('sqlite', 'bank.pg.sqlite_deposit_'),
      // Per round (PostgreSQL and SQLite a few seconds apart), the median round.
      'bank.pg.pg_to_sqlite_ratio': { value: ratio(ratios), unit: 'ratio' },
      'bank.pg.two_to_one_process_ratio': { value: ratio(twoOverOne), unit: 'ratio' },
      'bank.pg.deposit_p99_ms': { value: ratedPhase.p99, unit: 'ms' },
      'bank.pg.deposit_rated_per_s': { value: perSecond(ratedPhase), unit: 'coins/s' },
      'bank.pg.failed_deposits': {
        value: Object.values(failures).reduce((a, b) => a + b, 0),
        unit: 'requests',
      },
      ...cpu('bank.pg.', totals.pg),
      ...cpu('bank.pg.two_process.', totals.pg_two),
      ...cpu('bank.pg.sqlite.', totals.sqlite),
    };
  } finally {
    await Promise.all(banks.map((bank) => stopBank(bank)));
    cluster.stop();
  }
}
