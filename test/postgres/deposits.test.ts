/**
 * Several bank processes on one PostgreSQL database (issue 19): three real bank processes
 * (`bank/src/cli.ts start`, as `npm run bank` runs it) share a throwaway PostgreSQL server.
 * One coin is deposited 1,000 times at once, each time with its own signed deposit permission
 * (so none is a retry of another), spread over the three processes and three merchants:
 * exactly one deposit is accepted, every other one is 409 `coin_already_spent` carrying the
 * accepted permission as proof, only that merchant is credited, and `npm run bank -- check`
 * finds the books balanced on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { depositRequest, permissionFor, withdrawCoins } from '@farthing/bank/mint/mint.fixture';
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

const attempts = 1_000;

/** `npm run bank -- <command>` on the shared database; its exit code and output. */
function runBank(
  env: Readonly<Record<string, string>>,
  command: 'check' | 'migrate',
): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['run', '--silent', 'bank', '--', command], {
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
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
const processes = 3;

let cluster: PostgresCluster | undefined;
const dir = mkdtempSync(join(tmpdir(), 'farthing-pg-banks-'));
const running: BankProcess[] = [];

beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);

afterAll(async () => {
  // A failed assertion must not leave banks or the server behind.
  await Promise.all(running.map((bank) => stopBank(bank)));
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('three bank processes on one PostgreSQL database', () => {
  it(`accept exactly one of ${attempts} concurrent deposits of one coin; the rest are 409 with the proof`, async () => {
    const url = await cluster!.createDatabase();
    const envs: Record<string, string>[] = [];
    for (let i = 0; i < processes; i++) {
      envs.push(
        bankEnv(join(dir, `bank-${i}`), await freePort(), {
          FARTHING_BANK_DB: url,
          FARTHING_BANK_DB_POOL: '8',
          FARTHING_DEPOSIT_THREADS: '1',
          FARTHING_MINT_VALUES: '0.50,1',
        }),
      );
    }
    // An operator may migrate before starting any process; starting migrates too, once.
    const migrated = await runBank(envs[0]!, 'migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toContain('is up to date');
    // The first process makes the mint's keys; the others load them from the database.
    running.push(await spawnBank(envs[0]!));
    running.push(...(await Promise.all(envs.slice(1).map((env) => spawnBank(env)))));
    const banks: HttpBank[] = [];
    for (const process of running) banks.push(await trustOnFirstUse(process.url));
    // One mint: every process signs its key set with the same master key from the database.
    expect(
      new Set(banks.map((b) => Buffer.from(b.ctx.keys.mintMaster.publicKey).toString('hex'))),
    ).toHaveLength(1);

    const customer = await openHttpCustomer(banks[0]!, 'ann', 1_000);
    const merchants: HttpMerchant[] = [];
    for (let i = 0; i < processes; i++) {
      merchants.push(await openHttpMerchant(banks[i]!, `shop-${i}`));
    }
    // Withdrawn at one process, deposited at all three.
    const [coin] = await withdrawCoins(banks[1]!, customer, [100]);

    const permissions = Array.from({ length: attempts }, (_, i) =>
      permissionFor(coin!, merchants[i % processes]!),
    );
    const answers = await Promise.all(
      permissions.map(async (permission, i) => {
        const response = await depositRequest(
          banks[i % processes]!,
          merchants[i % processes]!,
          [permission],
          { depositId: `deposit-${i}`, idempotencyKey: randomUUID() },
        );
        return {
          i,
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      }),
    );

    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 409);
    expect(
      accepted,
      JSON.stringify(answers.filter((a) => a.status !== 409).slice(0, 3)),
    ).toHaveLength(1);
    expect(refused).toHaveLength(attempts - 1);
    const winner = accepted[0]!.i;
    for (const answer of refused) {
      expect(answer.body).toMatchObject({
        code: 'coin_already_spent',
        kind: 'deposit',
        proof: permissions[winner],
      });
    }

    // Every process sees the coin spent.
    for (const bank of banks)
      expect(await coinStatus(bank, coin!.coin.coinPublicKey)).toBe('spent');

    await Promise.all(running.splice(0).map((bank) => stopBank(bank, 'SIGTERM')));
    const check = await runBank(envs[0]!, 'check');
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain('the books balance');
    // Only the winning merchant was credited, once.
    const store = await PostgresBankStore.open({ url, currency: 'EUR', poolSize: 1 });
    try {
      for (let i = 0; i < processes; i++) {
        const shop = await store.getAccountByName(`shop-${i}`);
        expect(shop?.balance, `shop-${i}`).toBe(i === winner % processes ? 100 : 0);
      }
      expect((await store.getAccountByName('ann'))?.balance).toBe(900);
    } finally {
      await store.close();
    }
  }, 180_000);
});
