/**
 * The world the browser tests run in: the real bank (`startBank`) and the real demo shop
 * (`startShop`) on free loopback ports over fresh SQLite files in one data folder, as
 * test/shop/world.ts builds it, with one thing more: the bank can be stopped and started again
 * on the same port and data folder (a bank restart in the middle of a payment), and so can the
 * shop (new offers for the same resources: a second reader).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { type RunningBank, startBank } from '@farthing/bank/server';
import { systemAccounts } from '@farthing/bank/store/store';
import { bankEnv, freePort } from '@farthing/bank/test/http-bank.fixture';
import { loadShopConfig } from '@farthing/demo-shop/config';
import { type RunningShop, startShop } from '@farthing/demo-shop/server';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { launchWalletBrowser, type WalletBrowser } from '../browser/browser.ts';
import type { Books } from '../shop/world.ts';

export type { Books } from '../shop/world.ts';
export { demo } from '../shop/world.ts';

export const operatorPassword = 'gazette-operator-e2e';
const mintValues = '0.01,0.02,0.05,0.10,0.20';

export interface E2eWorld {
  readonly bankUrl: string;
  readonly shopUrl: string;
  readonly dataDir: string;
  /** The shop's own failures (5xx while the bank is up); a test expects none. */
  readonly shopErrors: unknown[];
  /** Milliseconds the shop's clock runs ahead of real time (the bank keeps real time). */
  skew: number;
  /** False: the shop's article store is down, paid articles answer 503 (a failing merchant). */
  articlesUp: boolean;
  bank(): RunningBank | undefined;
  shop(): RunningShop;
  /** Balances from the bank's books (the bank must be running). */
  books(): Promise<Books>;
  /** The bank's double-entry invariant check; no problems expected. */
  problems(): Promise<readonly string[]>;
  stopBank(): Promise<void>;
  startBank(): Promise<void>;
  /** Stops the shop and starts it on the same port and data folder: fresh offers. */
  restartShop(): Promise<void>;
  /** The operator's "Settle now" on the shop dashboard; answers the redirect's query. */
  settle(): Promise<string>;
  close(): Promise<void>;
}

async function bankOn(dir: string, port: number): Promise<RunningBank> {
  const env = bankEnv(dir, port, {
    FARTHING_SEED_DEMO: '1',
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: mintValues,
  });
  // startBank reads the mint policy and the deposit threads from process.env, as the CLI does.
  vi.stubEnv('FARTHING_MINT_VALUES', mintValues);
  vi.stubEnv('FARTHING_DEPOSIT_THREADS', '1');
  return startBank(loadConfig(env)).finally(() => vi.unstubAllEnvs());
}

export async function openE2eWorld(): Promise<E2eWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-e2e-'));
  const port = await freePort();
  let bank: RunningBank | undefined = await bankOn(dir, port);
  const bankUrl = bank.url;
  const shopErrors: unknown[] = [];
  const clock = { skew: 0, articlesUp: true };
  /** While the bank is down the shop's 503s are expected, not failures. */
  let bankDown = false;
  const openShop = (shopPort: number) =>
    startShop(
      loadShopConfig({
        FARTHING_DATA_DIR: dir,
        FARTHING_BANK_URL: bankUrl,
        FARTHING_SHOP_PORT: String(shopPort),
        FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
        FARTHING_SHOP_OPERATOR_PASSWORD: operatorPassword,
      }),
      {
        now: () => Date.now() + clock.skew,
        onError: (error) => {
          if (!bankDown) shopErrors.push(error);
        },
        articlesAvailable: () => clock.articlesUp,
      },
    );
  let shop: RunningShop;
  try {
    shop = await openShop(0);
  } catch (error) {
    await bank.stop();
    throw error;
  }
  const running = () => {
    if (bank === undefined) throw new Error('the bank is stopped');
    return bank;
  };
  const balance = async (name: string) =>
    (await running().ctx.store.getAccountByName(name))!.balance;

  return {
    get skew() {
      return clock.skew;
    },
    set skew(value: number) {
      clock.skew = value;
    },
    get articlesUp() {
      return clock.articlesUp;
    },
    set articlesUp(value: boolean) {
      clock.articlesUp = value;
    },
    bankUrl,
    shopUrl: shop.url,
    dataDir: dir,
    shopErrors,
    bank: () => bank,
    shop: () => shop,
    async books() {
      return {
        customer: await balance('demo'),
        merchant: await balance('demo-shop'),
        coins: await balance(systemAccounts.coins),
        holds: await balance(systemAccounts.paywordHolds),
      };
    },
    async problems() {
      return (await running().ctx.store.checkInvariants()).problems;
    },
    async stopBank() {
      bankDown = true;
      await bank?.stop();
      bank = undefined;
    },
    async startBank() {
      bank ??= await bankOn(dir, port);
      bankDown = false;
    },
    async restartShop() {
      await shop.stop();
      shop = await openShop(shop.port);
    },
    async settle() {
      const response = await fetch(`${shop.url}/dashboard/settle`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          authorization: `Basic ${Buffer.from(`operator:${operatorPassword}`).toString('base64')}`,
          origin: shop.url,
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      expect(response.status).toBe(303);
      return response.headers.get('location') ?? '';
    },
    async close() {
      await shop.stop();
      await bank?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The `afterAll` of every e2e file: close the world; the shop must have logged no errors. */
export async function closeE2eWorld(world: E2eWorld | undefined): Promise<void> {
  if (world === undefined) return;
  await world.close();
  expect(world.shopErrors).toEqual([]);
}

/** The world and the wallet browser a test file runs in. */
export interface E2eSuite {
  readonly world: E2eWorld;
  readonly wallet: WalletBrowser;
}

/**
 * Opens a world and a browser with the wallet before the file's tests and closes both after
 * (the shop must have logged no errors). Read `world` and `wallet` inside tests.
 */
export function e2eSuite(): E2eSuite {
  let world: E2eWorld | undefined;
  let wallet: WalletBrowser | undefined;
  beforeAll(async () => {
    world = await openE2eWorld();
    wallet = await launchWalletBrowser();
  }, 120_000);
  afterAll(async () => {
    await wallet?.close();
    await closeE2eWorld(world);
  });
  const opened = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} is not open (read it inside a test)`);
    return value;
  };
  return {
    get world() {
      return opened(world, 'e2e world');
    },
    get wallet() {
      return opened(wallet, 'wallet browser');
    },
  };
}
