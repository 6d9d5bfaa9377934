import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpRefusalCode, resolveHttpTimeouts } from './http-server.ts';
import { exchange, expectProblem, parse } from './raw-http.fixture.ts';

const statuses: Record<HttpRefusalCode, number> = {
  request_header_fields_too_large: 431,
  malformed_http_request: 400,
  request_timeout: 408,
};

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server that answers 200 with the body it read, with short timeouts checked often. */
async function listen(timeouts = { headersMs: 300, requestMs: 600, checkIntervalMs: 50 }) {
  const server = createHttpServer(
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('error', () => undefined);
      request.on('end', () => response.end(`read ${Buffer.concat(chunks).length} bytes`));
    },
    {
      timeouts,
      refusal: (code, detail) => ({
        status: statuses[code],
        body: JSON.stringify({ type: `urn:test:${code}`, status: statuses[code], code, detail }),
      }),
    },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('createHttpServer', () => {
  it('answers a head over 16 KiB with a coded 431', async () => {
    const port = await listen();
    const { text } = await exchange(port, [
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
    ]);
    expectProblem(text, 431, 'request_header_fields_too_large');
  });

  it.each([
    ['a bad chunk size', 'Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['Content-Length beside chunked', 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ])('answers %s with a coded 400 and closes', async (_, rest) => {
    const port = await listen();
    const { text } = await exchange(port, [`POST / HTTP/1.1\r\nHost: a\r\n${rest}`]);
    expectProblem(text, 400, 'malformed_http_request');
  });

  it('answers a request line that is not HTTP with a coded 400', async () => {
    const port = await listen();
    const { text } = await exchange(port, ['HELLO\r\n\r\n']);
    expectProblem(text, 400, 'malformed_http_request');
  });

  it('cuts off a client trickling its head in bounded time, while serving a normal one', async () => {
    const port = await listen();
    const slow = exchange(port, ['GET / HTTP/1.1\r\n', 'X-Slow: 1\r\n'], 40, true);
    const normal = await exchange(port, ['GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    expect(parse(normal.text).status).toBe(200);
    const cut = await slow;
    expectProblem(cut.text, 408, 'request_timeout');
    // headersMs 300, checked every 50 ms: well under a second, not Node's minutes.
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(cut.closedAfterMs).toBeLessThan(1_500);
  });

  it('cuts off a body shorter than its Content-Length in bounded time', async () => {
    const port = await listen();
    const slow = exchange(port, ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc']);
    const normal = await exchange(port, [
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
    ]);
    expect(parse(normal.text)).toMatchObject({ status: 200, body: 'read 3 bytes' });
    const cut = await slow;
    expectProblem(cut.text, 408, 'request_timeout');
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(550);
    expect(cut.closedAfterMs).toBeLessThan(2_000);
  });

  it('serves a body that arrives slowly but within the request timeout', async () => {
    const port = await listen({ headersMs: 300, requestMs: 1_000, checkIntervalMs: 50 });
    const { text } = await exchange(
      port,
      ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nConnection: close\r\n\r\n', 'ab', 'cd'],
      100,
    );
    expect(parse(text)).toMatchObject({ status: 200, body: 'read 4 bytes' });
  });

  it('refuses timeouts that are not positive whole milliseconds, or a head longer than the request', () => {
    expect(() => resolveHttpTimeouts({ headersMs: 0 })).toThrow(RangeError);
    expect(() => resolveHttpTimeouts({ requestMs: 1.5 })).toThrow(RangeError);
    expect(() => resolveHttpTimeouts({ headersMs: 2_000, requestMs: 1_000 })).toThrow(
      /must not exceed/,
    );
    expect(resolveHttpTimeouts()).toEqual({
      headersMs: 10_000,
      requestMs: 30_000,
      keepAliveMs: 65_000,
      checkIntervalMs: 1_000,
    });
  });
});
