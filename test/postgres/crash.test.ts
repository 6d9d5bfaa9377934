/**
 * Crashes on PostgreSQL (issue 19): two bank processes share one database while a stream of
 * deposits runs against them; at random moments one bank process is SIGKILLed, or the
 * PostgreSQL server itself is stopped with `pg_ctl -m immediate` (no checkpoint: recovery
 * replays its WAL) and started again. Every deposit is written down before it is sent and
 * retried under the same Idempotency-Key and deposit id, at whichever process is up, until it
 * gets a definite answer. Afterwards: every acknowledged deposit is there (its coin spent, its
 * merchant credited exactly once), a retry of an acknowledged deposit gets the same answer,
 * and `npm run bank -- check` passes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { permissionFor, type WalletCoin, withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { PostgresBankStore } from '@farthing/bank/store/postgres/postgres-store';
import {
  type BankProcess,
  bankEnv,
  coinStatus,
  freePort,
  type HttpBank,
  type HttpMerchant,
  openHttpCustomer,
  openHttpMerchant,
  repoRoot,
  spawnBank,
  stopBank,
  trustOnFirstUse,
} from '@farthing/bank/test/http-bank.fixture';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const crashes = 6;
const coinCount = 250;
const concurrency = 4;

let cluster: PostgresCluster | undefined;
const dir = mkdtempSync(join(tmpdir(), 'farthing-pg-crash-'));
const running: (BankProcess | undefined)[] = [undefined, undefined];

beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((bank) => bank && stopBank(bank)));
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Deposit {
  readonly key: string;
  readonly depositId: string;
  readonly merchant: HttpMerchant;
  readonly body: { depositId: string; coins: unknown[] };
  readonly value: number;
  readonly coin: WalletCoin;
  acknowledged?: string;
}

function runBankCheck(env: Readonly<Record<string, string>>) {
  const child = spawn('npm', ['run', '--silent', 'bank', '--', 'check'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output })),
  );
}

describe('bank processes and the PostgreSQL server crashing under load', () => {
  it(`keep every acknowledged deposit across ${crashes} crashes and balance the books`, async () => {
    const url = await cluster!.createDatabase();
    const envs = [0, 1].map(async (i) =>
      bankEnv(join(dir, `bank-${i}`), await freePort(), {
        FARTHING_BANK_DB: url,
        FARTHING_BANK_DB_POOL: '4',
        FARTHING_DEPOSIT_THREADS: '1',
        FARTHING_MINT_VALUES: '0.01,0.02,0.05',
      }),
    );
    const env = await Promise.all(envs);
    running[0] = await spawnBank(env[0]!);
    running[1] = await spawnBank(env[1]!);
    const banks: HttpBank[] = [];
    for (const bank of running) banks.push(await trustOnFirstUse(bank!.url));
    const customer = await openHttpCustomer(banks[0]!, 'ann', 100_000);
    const merchants = [
      await openHttpMerchant(banks[0]!, 'books'),
      await openHttpMerchant(banks[1]!, 'news'),
    ];
    const values = Array.from({ length: coinCount }, (_, i) => [1, 2, 5][i % 3]!);
    const coins = await withdrawCoins(banks[1]!, customer, values);
    const deposits: Deposit[] = coins.map((coin, i) => {
      const merchant = merchants[i % 2]!;
      const depositId = `deposit-${i}`;
      return {
        key: randomUUID(),
        depositId,
        merchant,
        body: { depositId, coins: [permissionFor(coin, merchant)] },
        value: coin.denomination.value.minor,
        coin,
      };
    });
    const pending = [...deposits];
    const unexpected: string[] = [];
    const stats = { lost: 0, serverRestarts: 0, kills: 0 };

    /** One attempt at the process `b`; the deposit stays pending without a definite answer. */
    async function attempt(deposit: Deposit, b: number): Promise<boolean> {
      let status: number;
      let text: string;
      try {
        const response = await banks[b]!.request('POST', '/v1/mint/deposits', {
          token: deposit.merchant.apiKey,
          body: deposit.body,
          idempotencyKey: deposit.key,
        });
        status = response.status;
        text = await response.text();
      } catch {
        stats.lost++;
        return false;
      }
      // A 5xx while the database restarts is no answer: the client retries.
      if (status >= 500) return false;
      if (status !== 200) unexpected.push(`${deposit.depositId}: ${status} ${text}`);
      deposit.acknowledged = text;
      return true;
    }

    for (let crash = 0; crash < crashes; crash++) {
      let stopped = false;
      const worker = async () => {
        while (!stopped && pending.length > 0) {
          const deposit = pending.shift()!;
          const b = Math.random() < 0.5 ? 0 : 1;
          if (running[b] === undefined || !(await attempt(deposit, b))) pending.push(deposit);
        }
      };
      const stream = Promise.all(Array.from({ length: concurrency }, worker));
      await sleep(100 + Math.random() * 400);
      if (crash % 3 === 2) {
        // The server stops without a checkpoint (a crash) and recovers from its WAL.
        cluster!.restart('immediate');
        stats.serverRestarts++;
      } else {
        const victim = crash % 2;
        const exit = await stopBank(running[victim]!, 'SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        running[victim] = undefined;
        stats.kills++;
      }
      stopped = true;
      await stream;
      for (const [i, bank] of running.entries()) running[i] = bank ?? (await spawnBank(env[i]!));
    }
    // Everything still pending gets its definite answer.
    for (let round = 0; round < 10 && pending.length > 0; round++) {
      for (const deposit of pending.splice(0)) {
        if (!(await attempt(deposit, round % 2))) pending.push(deposit);
      }
    }
    expect(unexpected).toEqual([]);
    expect(pending).toHaveLength(0);
    expect(stats.kills + stats.serverRestarts).toBe(crashes);

    // Every acknowledged deposit is kept, and a retry at either process gets the same answer.
    for (const [i, deposit] of deposits.entries()) {
      expect(await coinStatus(banks[i % 2]!, deposit.coin.coin.coinPublicKey)).toBe('spent');
      const again = await banks[(i + 1) % 2]!.request('POST', '/v1/mint/deposits', {
        token: deposit.merchant.apiKey,
        body: deposit.body,
        idempotencyKey: deposit.key,
      });
      expect(again.status).toBe(200);
      expect(await again.text(), deposit.depositId).toBe(deposit.acknowledged);
    }

    await Promise.all(running.map((bank) => bank && stopBank(bank, 'SIGTERM')));
    running.fill(undefined);
    const check = await runBankCheck(env[0]!);
    expect(check.code, check.output).toBe(0);
    const store = await PostgresBankStore.open({ url, currency: 'EUR', poolSize: 1 });
    try {
      for (const merchant of merchants) {
        const credited = deposits
          .filter((d) => d.merchant === merchant)
          .reduce((sum, d) => sum + d.value, 0);
        expect((await store.getAccountByName(merchant.name))?.balance, merchant.name).toBe(
          credited,
        );
      }
    } finally {
      await store.close();
    }
  }, 300_000);
});
