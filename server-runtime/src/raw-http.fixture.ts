/**
 * Raw HTTP/1.1 over a TCP socket, for tests of what Node's HTTP layer does with requests a
 * `fetch` would never send: oversized heads, broken framing, a head or body that trickles in.
 */
import { connect } from 'node:net';
import { expect } from 'vitest';

export interface Exchange {
  readonly text: string;
  /** Milliseconds from connecting until the server closed the connection. */
  readonly closedAfterMs: number;
}

/**
 * Sends `parts` on a raw connection, `gapMs` apart (forever, if `trickle` repeats the last
 * part), and reads until the server closes.
 */
export function exchange(port: number, parts: readonly string[], gapMs = 0, trickle = false) {
  return new Promise<Exchange>((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: performance.now() - started });
    });
    let next = 0;
    const send = () => {
      const part = parts[Math.min(next, parts.length - 1)]!;
      if (next >= parts.length && !trickle) return;
      next++;
      if (!socket.writable) return;
      socket.write(part);
      timer = setTimeout(send, gapMs);
    };
    socket.on('connect', send);
    setTimeout(() => reject(new Error(`no close after 10 s; read ${text}`)), 10_000).unref();
  });
}

export function parse(text: string) {
  // Status line, headers (lower-cased names) and body of one answer.
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine?.split(' ')[1]), headers, body };
}

/** Checks a raw answer is a problem+json refusal with `status` and `code`, closing the connection. */
export function expectProblem(text: string, status: number, code: string): Record<string, unknown> {
  const answer = parse(text);
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ code, status });
  return problem;
}
