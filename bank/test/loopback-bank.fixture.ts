/**
 * The bank as `npm run bank` serves it (`startBank`: the real server on a loopback port, a
 * fresh SQLite file at its durable settings), with two customers and two merchants opened
 * over HTTP, and the checks the loopback tests share: the books, and "refused with a coded
 * RFC 9457 problem and nothing changed".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { day, expectProblem } from '../src/bank.fixture.ts';
import { loadConfig } from '../src/config.ts';
import type { WalletCoin } from '../src/mint/mint.fixture.ts';
import { type RunningBank, startBank } from '../src/server.ts';
import { systemAccounts } from '../src/store/store.ts';
import {
  bankEnv,
  coinStatus,
  type HttpBank,
  type HttpCustomer,
  type HttpMerchant,
  httpBank,
  openHttpCustomer,
  openHttpMerchant,
  runBankCheck,
  storeDenominationKey,
} from './http-bank.fixture.ts';

/** FARTHING_BANK_MAX_BODY of the loopback bank. */
export const maxBody = 64 * 1024;

/** Balances in minor units: the four test accounts and the system accounts. */
export interface Books {
  readonly alice: number;
  readonly bob: number;
  readonly shop: number;
  readonly kiosk: number;
  /** Outstanding coins (`system:coins`). */
  readonly coins: number;
  readonly holds: number;
  /** Minus all money issued (`system:issued`). */
  readonly issued: number;
}

export interface LoopbackBank {
  readonly bank: HttpBank;
  readonly running: RunningBank;
  readonly alice: HttpCustomer;
  readonly bob: HttpCustomer;
  readonly shop: HttpMerchant;
  readonly kiosk: HttpMerchant;
  /** A key whose windows closed long ago, with its private half (http-bank.fixture.ts). */
  readonly expired: Awaited<ReturnType<typeof storeDenominationKey>>;
  /** Every balance a request could move, read from the bank's store. */
  books(): Promise<Books>;
  /**
   * Sends a request that must be refused with `code`: an RFC 9457 document whose `status` is
   * the HTTP status; afterwards no balance moved, `coins` are still unspent and the books
   * still balance.
   */
  refusedWithoutChange(
    send: () => Promise<Response>,
    status: number,
    code: string,
    coins?: readonly WalletCoin[],
  ): Promise<Record<string, unknown>>;
  /** The invariant check's problems (none expected) while the bank runs. */
  problems(): Promise<readonly string[]>;
  /** Stops the server, then runs `npm run bank -- check` on its database. */
  stopAndCheck(): Promise<{ code: number | null; output: string }>;
  close(): Promise<void>;
}

export async function openLoopbackBank(): Promise<LoopbackBank> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-loopback-'));
  const env = bankEnv(dir, 0, {
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_BANK_MAX_BODY: String(maxBody),
  });
  const config = loadConfig(env);
  const past = Date.now() - 400 * day;
  const expired = await storeDenominationKey(config.databasePath, {
    value: 100,
    validFrom: past,
    withdrawUntil: past + 30 * day,
    depositUntil: past + 365 * day,
  });
  // startBank reads the mint policy from process.env, as `npm run bank` does.
  vi.stubEnv('FARTHING_MINT_VALUES', env.FARTHING_MINT_VALUES!);
  const running = await startBank(config).finally(() => vi.unstubAllEnvs());
  const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);
  const store = running.ctx.store;

  const balance = async (name: string) => (await store.getAccountByName(name))!.balance;
  async function books(): Promise<Books> {
    return {
      alice: await balance('alice'),
      bob: await balance('bob'),
      shop: await balance('shop'),
      kiosk: await balance('kiosk'),
      coins: await balance(systemAccounts.coins),
      holds: await balance(systemAccounts.paywordHolds),
      issued: await balance(systemAccounts.issued),
    };
  }

  return {
    bank,
    running,
    expired,
    alice: await openHttpCustomer(bank, 'alice', 100_000),
    bob: await openHttpCustomer(bank, 'bob', 10_000),
    shop: await openHttpMerchant(bank, 'shop'),
    kiosk: await openHttpMerchant(bank, 'kiosk'),
    books,
    async refusedWithoutChange(send, status, code, coins = []) {
      const before = await books();
      const problem = await expectProblem(await send(), status);
      expect(problem).toMatchObject({ type: `urn:farthing:problem:${code}`, code, status });
      expect(problem.title).toEqual(expect.any(String));
      expect(await books()).toEqual(before);
      for (const coin of coins) {
        expect(await coinStatus(bank, coin.coin.coinPublicKey)).toBe('unspent');
      }
      expect((await store.checkInvariants()).problems).toEqual([]);
      return problem;
    },
    async problems() {
      return (await store.checkInvariants()).problems;
    },
    async stopAndCheck() {
      await running.stop();
      return runBankCheck(env);
    },
    async close() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
