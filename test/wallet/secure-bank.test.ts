/**
 * Banks over HTTPS only (issue 20): the wallet core, on fake-indexeddb, refuses a bank address
 * over plain HTTP before any request leaves, and talks to a real bank on a loopback address.
 */
import 'fake-indexeddb/auto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openTestBank, type TestBank } from '@farthing/bank/bank.fixture';
import { inspectBank, logIn, trustBank } from '@farthing/extension/wallet/bank/banks';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDbName, openTestWallet } from './support.ts';

let bank: TestBank;
let server: Server;
let url: string;
let wallet: Wallet;
const requests: string[] = [];

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
  server = createServer(getRequestListener(bank.app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wallet = await openTestWallet(freshDbName(), {
    now: () => Date.now(),
    fetch: (input, init) => {
      requests.push(String(input));
      return fetch(input, init);
    },
  });
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await bank.close();
});

describe('the wallet and a bank address', () => {
  it('refuses http://bank.example with bank_not_secure, sending nothing', async () => {
    await expect(inspectBank(wallet, 'http://bank.example')).rejects.toMatchObject({
      code: 'bank_not_secure',
    });
    await expect(
      logIn(wallet, { url: 'http://bank.example', username: 'carol', password: 'secret' }),
    ).rejects.toMatchObject({ code: 'bank_not_secure' });
    expect(requests).toEqual([]);
  });

  it('inspects and trusts a bank on http://127.0.0.1', async () => {
    const seen = await inspectBank(wallet, url);
    expect(seen.url).toBe(url);
    const trusted = await trustBank(wallet, {
      url,
      caFingerprint: seen.caFingerprint,
      mintKeyFingerprint: seen.mintKeyFingerprint,
    });
    expect(trusted.url).toBe(url);
    expect(requests.every((request) => request.startsWith(`${url}/`))).toBe(true);
  });
});
