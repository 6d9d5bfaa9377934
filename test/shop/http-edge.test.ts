/**
 * What Node's HTTP layer refuses before the bank's or the shop's code sees a request (issue 18,
 * finding 3), over real sockets to `startBank` and `startShop` as `npm start` runs them: each
 * refusal is an RFC 9457 problem with a stable code, and a slow client is cut off in bounded
 * time while a normal one is served. The timeouts are set short through FARTHING_HTTP_*.
 */
import { exchange, expectProblem, parse } from '@farthing/server-runtime/raw-http.fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from './world.ts';

let world: ShopWorld;

beforeAll(async () => {
  world = await openShopWorld({
    FARTHING_HTTP_HEADERS_TIMEOUT_MS: '400',
    FARTHING_HTTP_REQUEST_TIMEOUT_MS: '800',
    FARTHING_HTTP_CHECK_INTERVAL_MS: '50',
  });
}, 60_000);
afterAll(() => closeShopWorld(world));

const servers = [
  // A path to GET, and one whose handler reads a body.
  ['the bank', () => world.running.port, '/healthz', '/v1/sessions'],
  ['the shop', () => world.shop.port, '/', '/.well-known/farthing/pay'],
] as const;

function coded(text: string, status: number, code: string): void {
  const problem = expectProblem(text, status, code);
  expect(problem).toMatchObject({ type: `urn:farthing:problem:${code}` });
  expect(parse(text).headers['cache-control']).toBe('no-store');
}

describe.each(servers)('%s', (_, port, path, bodyPath) => {
  it('answers a head over 16 KiB with a coded 431 (request_header_fields_too_large)', async () => {
    const { text } = await exchange(port(), [
      `GET ${path} HTTP/1.1\r\nHost: a\r\nCookie: ${'x'.repeat(20_000)}\r\n\r\n`,
    ]);
    coded(text, 431, 'request_header_fields_too_large');
  });

  it.each([
    ['a bad chunk size', 'Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
  ])('answers %s with a coded 400 (malformed_http_request)', async (_, rest) => {
    const { text } = await exchange(port(), [`POST ${path} HTTP/1.1\r\nHost: a\r\n${rest}`]);
    coded(text, 400, 'malformed_http_request');
  });

  it('cuts off a client trickling its head, serving a normal client meanwhile', async () => {
    const slow = exchange(port(), [`GET ${path} HTTP/1.1\r\n`, 'X-Slow: 1\r\n'], 50, true);
    const normal = await exchange(port(), [
      `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    ]);
    expect(parse(normal.text).status).toBe(200);
    const cut = await slow;
    coded(cut.text, 408, 'request_timeout');
    expect(cut.closedAfterMs).toBeLessThan(2_000);
  });

  it('cuts off a body shorter than its Content-Length in bounded time', async () => {
    const slow = exchange(port(), [
      `POST ${bodyPath} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`,
    ]);
    const cut = await slow;
    coded(cut.text, 408, 'request_timeout');
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(750);
    expect(cut.closedAfterMs).toBeLessThan(2_500);
  });
});
