/**
 * `POST /v1/mint/deposits` is served straight from node:http (src/mint/deposit-http.ts); the
 * Hono app still mounts the same route for in-process callers and for requests the fast route
 * leaves to it. Both must answer alike: the same status, media type, caching and problem
 * document for every refusal, and the same answer for a retry.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBankApp } from '../src/app.ts';
import { depositListener } from '../src/mint/deposit-http.ts';
import { permissionFor, withdrawCoins } from '../src/mint/mint.fixture.ts';
import { type LoopbackBank, openLoopbackBank } from './loopback-bank.fixture.ts';

let loopback: LoopbackBank;
let app: ReturnType<typeof createBankApp>;
/** Only the node:http route, over the bank's own state: what it leaves to Hono gets 599. */
let fastOnly: Server;
let fastUrl: string;

beforeAll(async () => {
  loopback = await openLoopbackBank();
  app = createBankApp(loopback.running.ctx);
  const deposits = depositListener(loopback.running.ctx);
  fastOnly = createServer((request, response) => {
    if (!deposits(request, response)) response.writeHead(599).end();
  });
  await new Promise<void>((resolve) => fastOnly.listen(0, '127.0.0.1', resolve));
  fastUrl = `http://127.0.0.1:${(fastOnly.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => fastOnly?.close(resolve));
  await loopback?.close();
});

interface Sent {
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array<ArrayBuffer>;
}

interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly cacheControl: string | null;
  readonly authenticate: string | null;
  readonly requestId: boolean;
  readonly body: unknown;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    authenticate: response.headers.get('www-authenticate'),
    requestId: /^[0-9a-f-]{36}$/.test(response.headers.get('x-request-id') ?? ''),
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** The same request to the node:http route alone and to the Hono app in process. */
async function both(sent: Sent): Promise<[Answer, Answer]> {
  const init = { method: 'POST', headers: sent.headers, body: sent.body };
  const overHttp = await fetch(`${fastUrl}/v1/mint/deposits`, init);
  const inProcess = await app.request(new Request('http://bank.test/v1/mint/deposits', init));
  return [await answerOf(overHttp), await answerOf(inProcess)];
}

function headers(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    authorization: `Bearer ${loopback.shop.apiKey}`,
    'content-type': 'application/json',
    'idempotency-key': randomUUID(),
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

describe('the node:http deposit route', () => {
  it.each([
    ['no API key', { authorization: undefined }, '{"coins":[]}', 401, 'unauthorized'],
    [
      'an unknown API key',
      { authorization: 'Bearer fmk_nobody' },
      '{"coins":[]}',
      401,
      'unauthorized',
    ],
    [
      'no Idempotency-Key',
      { 'idempotency-key': undefined },
      '{"coins":[]}',
      428,
      'idempotency_key_missing',
    ],
    [
      'a malformed Idempotency-Key',
      { 'idempotency-key': 'a b' },
      '{"coins":[]}',
      400,
      'invalid_message',
    ],
    [
      'a form body',
      { 'content-type': 'text/plain' },
      '{"coins":[]}',
      415,
      'unsupported_media_type',
    ],
    ['a body that is not JSON', {}, '{"coins":', 400, 'invalid_message'],
    ['a body that is not UTF-8', {}, new Uint8Array([0x7b, 0xff, 0x7d]), 400, 'invalid_message'],
    ['no coins', {}, '{"coins":[]}', 400, 'invalid_message'],
    ['an unknown member', {}, '{"coins":[{}],"tip":1}', 400, 'invalid_message'],
    ['a coin that is no permission', {}, '{"coins":[{"coin":1}]}', 400, 'invalid_message'],
  ] as const)('refuses %s as the Hono app does', async (_, overrides, body, status, code) => {
    const [overHttp, inProcess] = await both({ headers: headers(overrides), body });
    expect(overHttp).toMatchObject({
      status,
      type: 'application/problem+json',
      cacheControl: 'no-store',
      requestId: true,
      body: { code, status, instance: '/v1/mint/deposits' },
    });
    expect(overHttp).toEqual(inProcess);
  });

  it('answers a retry, and a reused key, as the Hono app does', async () => {
    const { bank, alice, shop } = loopback;
    const coins = await withdrawCoins(bank, alice, [20, 5]);
    const key = randomUUID();
    const sent = {
      headers: headers({ 'idempotency-key': key }),
      body: JSON.stringify({ coins: coins.map((coin) => permissionFor(coin, shop)) }),
    };
    const [first, retried] = await both(sent);
    expect(first).toMatchObject({
      status: 200,
      type: 'application/json',
      cacheControl: 'no-store',
      requestId: true,
      body: { total: 'EUR 0.25', coins: 2 },
    });
    expect(retried).toEqual(first);

    const [coin] = await withdrawCoins(bank, alice, [1]);
    const other = { ...sent, body: JSON.stringify({ coins: [permissionFor(coin!, shop)] }) };
    const [reusedOverHttp, reusedInProcess] = await both(other);
    expect(reusedOverHttp).toMatchObject({ status: 422, body: { code: 'idempotency_key_reused' } });
    expect(reusedOverHttp).toEqual(reusedInProcess);
  });
});
