/**
 * The demo shop keeps its certificate renewed while it runs (demo-shop/src/server.ts and
 * identity.ts): the real demo shop (`startShop`) and the real bank app (bank/src/bank.fixture.ts, over
 * SQLite) on loopback ports. The bank issues 30-day certificates and no test may shorten them,
 * so bank and shop share a clock the test moves, instead of the real time world.ts gives them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { day, openMerchant, openTestBank, type TestBank } from '@farthing/bank/bank.fixture';
import { loadShopConfig } from '@farthing/demo-shop/config';
import { type RunningShop, startShop } from '@farthing/demo-shop/server';
import { isFarthingError } from '@farthing/protocol/errors';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** How `vi.waitUntil` polls here. */
const polling = { timeout: 10_000, interval: 5 };

const operatorPassword = 'gazette-renewal-test';

let bank: TestBank;
let bankServer: Server;
let bankUrl: string;
/** While set, the bank answers every request 503, as a bank being restarted would. */
let bankDown = false;
let dir: string;
let shop: RunningShop | undefined;
const shopErrors: unknown[] = [];

/** The bank's app behind a real socket; answers 503 while `bankDown`. */
function serveOnLoopback(app: TestBank['app']): Promise<Server> {
  const listener = getRequestListener(app.fetch);
  const listening = createServer((request, response) => {
    if (bankDown) response.writeHead(503, { 'retry-after': '1' }).end();
    else void listener(request, response);
  });
  return new Promise((resolve) => listening.listen(0, '127.0.0.1', () => resolve(listening)));
}

function openShop(port: number): Promise<RunningShop> {
  return startShop(
    loadShopConfig({
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_URL: bankUrl,
      FARTHING_SHOP_PORT: String(port),
      FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
      FARTHING_SHOP_OPERATOR_PASSWORD: operatorPassword,
      // The display name the test bank gives the account (bank/src/bank.fixture.ts `openMerchant`).
      FARTHING_SHOP_NAME: 'Merchant demo-shop',
    }),
    {
      now: () => bank.clock.now,
      onError: (error) => shopErrors.push(error),
      certificateRenewal: { checkIntervalMs: 10, retryMs: 10 },
    },
  );
}

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
  bankServer = await serveOnLoopback(bank.app);
  bankUrl = `http://127.0.0.1:${(bankServer.address() as AddressInfo).port}`;
  const account = await openMerchant(bank, 'demo-shop');
  dir = mkdtempSync(join(tmpdir(), 'farthing-shop-renewal-'));
  writeFileSync(join(dir, 'demo-shop.api-key'), `${account.apiKey}\n`);
  shop = await openShop(0);
}, 60_000);

afterAll(async () => {
  await shop?.stop();
  await new Promise((resolve) => bankServer?.close(resolve));
  await bank?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface StoredCertificate {
  readonly serialNumber: string;
  readonly notAfter: number;
  readonly pem: string;
}

function stored(): StoredCertificate {
  return JSON.parse(readFileSync(join(dir, 'demo-shop.certificate.json'), 'utf8'));
}

async function servedChain(): Promise<string[]> {
  const response = await fetch(`${shop!.url}/.well-known/farthing-merchant`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { certificateChain: string[] }).certificateChain;
}

/** The dashboard's "Certificate valid until …" sentence. */
async function dashboardValidity(): Promise<string> {
  const response = await fetch(`${shop!.url}/dashboard`, {
    headers: {
      authorization: `Basic ${Buffer.from(`operator:${operatorPassword}`).toString('base64')}`,
    },
  });
  expect(response.status).toBe(200);
  return /Certificate valid until [^<]*/.exec(await response.text())![0];
}

describe('the demo shop renewing its certificate', () => {
  it('renews through the bank while it runs, serves the new chain and starts with it again', async () => {
    const first = stored();
    expect(shop!.merchant.certificate.serialNumber).toBe(first.serialNumber);
    const chainBefore = await servedChain();
    const validityBefore = await dashboardValidity();

    // 9 of 30 days left: inside the default window (a third of the lifetime).
    bank.clock.now += 21 * day;
    await vi.waitUntil(() => stored().serialNumber !== first.serialNumber, polling);
    const renewed = stored();
    await vi.waitUntil(
      () => shop!.merchant.certificate.serialNumber === renewed.serialNumber,
      polling,
    );
    expect(renewed.notAfter).toBe(bank.clock.now + 30 * day);
    const chainAfter = await servedChain();
    expect(chainAfter[0]).not.toBe(chainBefore[0]);
    expect(chainAfter[1]).toBe(chainBefore[1]); // the same bank CA
    expect(await dashboardValidity()).not.toBe(validityBefore);

    // A restart reads the renewed chain from the file instead of registering again.
    const port = shop!.port;
    await shop!.stop();
    shop = await openShop(port);
    expect(shop.merchant.certificate.serialNumber).toBe(renewed.serialNumber);
    expect(stored()).toEqual(renewed);
    expect(await servedChain()).toEqual(chainAfter);
    expect(shopErrors).toEqual([]);
  });

  it('reports failed renewals while the bank is down, keeps serving the chain it has, and renews once the bank is back', async () => {
    const before = stored();
    const chainBefore = await servedChain();
    bankDown = true;
    try {
      bank.clock.now += 21 * day;
      await vi.waitUntil(() => shopErrors.length >= 2, polling);
      const codes = shopErrors.map((error) => (isFarthingError(error) ? error.code : error));
      expect(new Set(codes)).toEqual(new Set(['bank_unavailable']));
      expect(stored()).toEqual(before);
      expect(shop!.merchant.certificate.serialNumber).toBe(before.serialNumber);
    } finally {
      bankDown = false;
    }
    expect(await servedChain()).toEqual(chainBefore);
    await vi.waitUntil(() => stored().serialNumber !== before.serialNumber, polling);
    await vi.waitUntil(
      () => shop!.merchant.certificate.serialNumber === stored().serialNumber,
      polling,
    );
    shopErrors.length = 0;
  });
});
