/**
 * The world the card tests run in: the real bank over loopback HTTP (as `npm run bank` serves
 * it) on a fresh SQLite file, its logs written to a file at debug level so the privacy scan can
 * read them; a customer with a card issued by the operator; a merchant with a certificate for
 * its offer key; and a cardholder wallet built from the protocol (register, purchase).
 *
 * The wallet and merchant helpers live in @farthing/bank/test/card-client.fixture, which the
 * bank's own crash test shares; they are re-exported here.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { type RunningBank, startBank } from '@farthing/bank/server';
import { cardSystemAccounts } from '@farthing/bank/store/card-store';
import {
  type CardClient,
  fetchGateway,
  type Merchant,
} from '@farthing/bank/test/card-client.fixture';
import {
  bankEnv,
  freePort,
  httpBank,
  openHttpCustomer,
} from '@farthing/bank/test/http-bank.fixture';
import { pino } from 'pino';
import { vi } from 'vitest';

export * from '@farthing/bank/test/card-client.fixture';

export interface CardWorld extends CardClient {
  readonly running: RunningBank;
  readonly dir: string;
  readonly logFile: string;
  close(): Promise<void>;
}

export async function openCardWorld(): Promise<CardWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-card-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_LOG_LEVEL: 'debug',
    FARTHING_MINT_VALUES: '0.01,0.10',
  });
  vi.stubEnv('FARTHING_MINT_VALUES', env.FARTHING_MINT_VALUES!);
  vi.stubEnv('FARTHING_DEPOSIT_THREADS', '1');
  const logFile = join(dir, 'bank.log');
  const log = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true }));
  const running = await startBank(loadConfig(env), log).finally(() => vi.unstubAllEnvs());
  const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);
  return {
    bank,
    running,
    dir,
    logFile,
    bankId: running.ctx.config.bankId,
    gateway: await fetchGateway(bank),
    async close() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function post(
  world: CardWorld,
  merchant: Merchant,
  path: string,
  body: unknown,
  key?: string,
) {
  return world.bank.request('POST', path, {
    token: merchant.apiKey,
    body,
    ...(key === undefined ? {} : { idempotencyKey: key }),
  });
}

export async function balances(world: CardWorld, ...names: string[]) {
  const out: Record<string, number> = {};
  for (const name of [...names, cardSystemAccounts.credit, cardSystemAccounts.holds]) {
    out[name] = (await world.running.ctx.store.getAccountByName(name))?.balance ?? 0;
  }
  return out;
}

export { openHttpCustomer };
