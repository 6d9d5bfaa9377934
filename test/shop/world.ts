/**
 * The world the shop tests run in: the real bank (`startBank`, as `npm run bank` serves it, on a
 * free loopback port over a fresh SQLite file, with the demo accounts seeded) and the real demo
 * shop (`startShop`, as `npm run shop` serves it) in the same temporary data folder, so the
 * shop finds the API key the bank's seeding wrote, makes its offer key and registers with the
 * bank's CA exactly as on a first `npm start`. The shop's clock can be moved ahead (`skew`) to
 * age offers; the bank keeps real time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus } from '@farthing/bank/bank.fixture';
import { loadConfig } from '@farthing/bank/config';
import { type RunningBank, startBank } from '@farthing/bank/server';
import { systemAccounts } from '@farthing/bank/store/store';
import { bankEnv, freePort, type HttpBank, httpBank } from '@farthing/bank/test/http-bank.fixture';
import { loadShopConfig } from '@farthing/demo-shop/config';
import { type RunningShop, startShop } from '@farthing/demo-shop/server';
import { expect, vi } from 'vitest';

/** The demo customer the bank seeds (bank/src/seed.ts) and the shop's merchant id. */
export const demo = { name: 'demo', password: 'demo-password', merchant: 'demo-shop' } as const;
export const operatorPassword = 'gazette-operator-test';

/** Balances in minor units, read from the bank's books. */
export interface Books {
  readonly customer: number;
  readonly merchant: number;
  /** Value of coins signed and not yet spent (`system:coins`). */
  readonly coins: number;
  /** Customer money held for PayWord certificates (`system:payword-holds`). */
  readonly holds: number;
}

export interface ShopWorld {
  readonly bank: HttpBank;
  readonly running: RunningBank;
  /** The data folder bank and shop share. */
  readonly dataDir: string;
  shop: RunningShop;
  readonly shopUrl: string;
  /** The demo customer's session (account, withdraw, payword). */
  readonly customer: { readonly name: string; readonly token: string };
  /** Milliseconds the shop's clock runs ahead of real time. */
  skew: number;
  /** The shop's own failures (5xx); a test expects none. */
  readonly shopErrors: unknown[];
  /** False: the shop's article store is down, paid articles answer 503 (a failing merchant). */
  articlesUp: boolean;
  books(): Promise<Books>;
  /** Stops the shop and starts it again on the same port and data folder. */
  restartShop(): Promise<RunningShop>;
  /** The invariant check's problems; none expected. */
  problems(): Promise<readonly string[]>;
  close(): Promise<void>;
}

/** `settings`: more settings for both the bank and the shop (e.g. FARTHING_HTTP_* timeouts). */
export async function openShopWorld(
  settings: Readonly<Record<string, string>> = {},
): Promise<ShopWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-shop-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_SEED_DEMO: '1',
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: '0.01,0.02,0.05,0.10,0.20',
    ...settings,
  });
  // startBank reads the mint policy and the deposit threads from process.env, as the CLI does.
  vi.stubEnv('FARTHING_MINT_VALUES', env.FARTHING_MINT_VALUES!);
  vi.stubEnv('FARTHING_DEPOSIT_THREADS', '1');
  const running = await startBank(loadConfig(env)).finally(() => vi.unstubAllEnvs());
  const store = running.ctx.store;
  const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);

  const shopErrors: unknown[] = [];
  const world = { skew: 0, articlesUp: true } as {
    skew: number;
    articlesUp: boolean;
    shop: RunningShop;
  };
  const openShop = (port: number) =>
    startShop(
      loadShopConfig({
        FARTHING_DATA_DIR: dir,
        FARTHING_BANK_URL: running.url,
        FARTHING_SHOP_PORT: String(port),
        FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
        FARTHING_SHOP_OPERATOR_PASSWORD: operatorPassword,
        ...settings,
      }),
      {
        now: () => Date.now() + world.skew,
        onError: (error) => shopErrors.push(error),
        articlesAvailable: () => world.articlesUp,
      },
    );
  try {
    world.shop = await openShop(0);
  } catch (error) {
    await running.stop();
    throw error;
  }
  const session = await expectStatus<{ token: string }>(
    await bank.request('POST', '/v1/sessions', {
      body: {
        name: demo.name,
        password: demo.password,
        scopes: ['account', 'withdraw', 'payword'],
      },
    }),
    201,
  );
  const balance = async (name: string) => (await store.getAccountByName(name))!.balance;

  return Object.assign(world, {
    bank,
    running,
    dataDir: dir,
    shopUrl: world.shop.url,
    customer: { name: demo.name, token: session.token },
    shopErrors,
    async books(): Promise<Books> {
      return {
        customer: await balance(demo.name),
        merchant: await balance(demo.merchant),
        coins: await balance(systemAccounts.coins),
        holds: await balance(systemAccounts.paywordHolds),
      };
    },
    async restartShop() {
      await world.shop.stop();
      world.shop = await openShop(world.shop.port);
      return world.shop;
    },
    async problems() {
      return (await store.checkInvariants()).problems;
    },
    async close() {
      await world.shop.stop();
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The `afterAll` of every shop test file: close the world; the shop must have logged no errors. */
export async function closeShopWorld(world: ShopWorld | undefined): Promise<void> {
  if (world === undefined) return;
  await world.close();
  expect(world.shopErrors).toEqual([]);
}
