/**
 * Several shop processes on one PostgreSQL merchant store (issue 19): three real shop processes
 * (payword-shop.ts: the SDK's pay endpoint over HTTP, `PostgresMerchantStore`) share a
 * throwaway PostgreSQL server; the bank (in process, over HTTP) issued the payer's broker
 * certificate. The same PayWord word is paid 1,000 times at once, each in a credential for an
 * offer of its own (so none is a retry of another), spread over the three processes: exactly
 * one is accepted, every other one is 409 `payword_replayed`, and the chain moved once. The
 * accepted credential sent again to each process gets the same receipt.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { repoRoot } from '@farthing/bank/test/http-bank.fixture';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { PostgresMerchantStore } from '@farthing/merchant-sdk/store/postgres';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import {
  type PostgresCluster,
  startPostgresCluster,
} from '@farthing/server-runtime/postgres-cluster.fixture';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  offerOf,
  offerSeed,
  openShop,
  openShopWorld,
  paywordCredential,
  paywordWallet,
  type ShopWorld,
  shopOrigin,
} from '../merchant/merchant.fixture.ts';
import type { ShopSettings } from './payword-shop.ts';

const attempts = 1_000;
const processes = 3;

let cluster: PostgresCluster | undefined;
let world: ShopWorld | undefined;
let bankServer: ReturnType<typeof serve> | undefined;
const shops: { child: ChildProcess; port: number }[] = [];

beforeAll(async () => {
  cluster = await startPostgresCluster();
  world = await openShopWorld();
}, 60_000);

afterAll(async () => {
  for (const shop of shops) shop.child.kill('SIGKILL');
  await Promise.all(
    shops.map((shop) => (shop.child.exitCode === null ? once(shop.child, 'exit') : null)),
  );
  bankServer?.close();
  await world?.close();
  cluster?.stop();
}, 60_000);

/** Starts one shop process and waits until it listens. */
async function spawnShop(settings: ShopSettings): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/postgres/payword-shop.ts'], {
    cwd: repoRoot,
    env: { ...process.env, FARTHING_TEST_SHOP: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shop did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`shop exited (${code}):\n${output}`));
    });
  });
  return { child, port };
}

interface PayAnswer {
  readonly status: number;
  readonly body: { code?: string; receipt?: unknown };
}

/**
 * One payment on a connection of its own (no keep-alive): a pooled socket that a busy shop
 * closes as idle just when the next payment is written on it fails the call ("other side
 * closed"), which says nothing about the store.
 */
function pay(port: number, credential: Credential): Promise<PayAnswer> {
  const body = encodeCredential(credential);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/.well-known/farthing/pay',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            });
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe(`${processes} shop processes on one PostgreSQL merchant store`, () => {
  it(`accept exactly one of ${attempts} concurrent payments with one PayWord word; the rest are 409`, async () => {
    const storeUrl = await cluster!.createDatabase('merchant');
    const w = world!;
    bankServer = serve({
      fetch: (request) => w.bank.app.fetch(request),
      hostname: '127.0.0.1',
      port: 0,
    });
    await once(bankServer, 'listening');
    const bankPort = (bankServer.address() as AddressInfo).port;
    const settings: ShopSettings = {
      storeUrl,
      bankUrl: `http://127.0.0.1:${bankPort}`,
      apiKey: w.account.apiKey,
      origin: shopOrigin,
      offerSeed: Buffer.from(offerSeed).toString('hex'),
      certificateChain: w.certificateChain.map((der) => Buffer.from(der).toString('base64')),
      now: w.bank.clock.now,
    };
    for (let i = 0; i < processes; i++) shops.push(await spawnShop(settings));

    // Offers come from the same key at any server of the site; this one keeps no state.
    const offers = openShop(w, new MemoryMerchantStore());
    const wallet = await paywordWallet(w);
    const credentials = await Promise.all(
      Array.from({ length: attempts }, async (_, i) =>
        paywordCredential(await offerOf(offers, `/articles/race-${i}`), wallet, 10, false),
      ),
    );
    // Signed before the first payment, so that the race follows it at once rather than after
    // seconds of signing, when a shop may already have closed the first payment's idle
    // keep-alive connection (Node closes one after 5 s).
    const first = paywordCredential(await offerOf(offers, '/articles/first'), wallet, 5, true);
    expect((await pay(shops[0]!.port, first)).status).toBe(200);

    const responses = await Promise.all(
      credentials.map((credential, i) => pay(shops[i % processes]!.port, credential)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(attempts - 1);
    const bodies = responses.map((response) => response.body);
    const winner = statuses.indexOf(200);
    for (const [i, body] of bodies.entries()) {
      if (i !== winner) expect(body).toMatchObject({ code: 'payword_replayed' });
    }

    // A retry of the accepted payment gets the same receipt at every process.
    for (const shop of shops) {
      const again = await pay(shop.port, credentials[winner]!);
      expect(again.status).toBe(200);
      expect(again.body.receipt).toEqual(bodies[winner]!.receipt);
    }

    const store = await PostgresMerchantStore.open({ url: storeUrl, poolSize: 1 });
    try {
      const chain = await store.findPaywordChain(paywordCommitments.id(wallet.chain.commitment));
      expect(chain).toMatchObject({ lastIndex: 10 });
      expect(await store.earnings()).toEqual([
        { instrument: 'payword', currency: 'EUR', total: 10, payments: 2 },
      ]);
    } finally {
      await store.close();
    }
  }, 240_000);
});
