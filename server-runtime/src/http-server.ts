/**
 * A `node:http` server for the bank and the shop whose own refusals are coded problems and
 * whose timeouts a slow client cannot exploit (issue 18, finding 3).
 *
 * Node's HTTP parser refuses some requests before any application code sees them: a head over
 * `maxHeaderSize` (16 KiB), a malformed chunk size, two different Content-Lengths, a request
 * that did not arrive in time. Without a `clientError` listener it answers with a bodyless
 * status line or just closes. Here the listener answers as RFC 9457 `application/problem+json`
 * while the connection still allows (nothing of a response written yet), then closes it: after
 * a framing error the byte stream can no longer be trusted (RFC 9112 §11.2, request smuggling).
 *
 * Timeouts (RFC 9110 §15.5.9, 408): the whole head must arrive within `headersMs`, the whole
 * request (head and body) within `requestMs`, and an idle keep-alive connection is closed after
 * `keepAliveMs`. Node checks the first two every `checkIntervalMs`, so a refusal comes at most
 * that much later. Node's defaults (60 s for the head, 300 s for a request, checked every 30 s)
 * let a client that trickles its head or sends a body shorter than its Content-Length hold a
 * connection for minutes.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** The refusals this module makes, named as the protocol's error codes. */
export type HttpRefusalCode =
  | 'request_header_fields_too_large'
  | 'malformed_http_request'
  | 'request_timeout';

/** A refusal rendered by the caller: its status and problem+json text. */
export interface HttpRefusalProblem {
  readonly status: number;
  readonly body: string;
}

export interface HttpTimeouts {
  /** The whole request head must arrive within this. Default 10 s. */
  readonly headersMs: number;
  /** The whole request, head and body, must arrive within this. Default 30 s. */
  readonly requestMs: number;
  /** An idle keep-alive connection is closed after this. Default 65 s (longer than clients keep one). */
  readonly keepAliveMs: number;
  /** How often Node looks for requests past their time. Default 1 s. */
  readonly checkIntervalMs: number;
}

export const defaultHttpTimeouts: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 65_000,
  checkIntervalMs: 1_000,
};

export interface CreateHttpServerOptions {
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Renders a refusal as a problem (the caller owns the error catalog). */
  readonly refusal: (code: HttpRefusalCode, detail: string) => HttpRefusalProblem;
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** What Node's error says, as one of our refusals and a sentence for the client. */
function refusalFor(error: NodeJS.ErrnoException): [HttpRefusalCode, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        'request_header_fields_too_large',
        'the request head is larger than this server takes (16 KiB); send fewer or shorter headers',
      ];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request did not arrive in time; send it again at once'];
    default:
      return ['malformed_http_request', 'the request is not well-formed HTTP/1.1'];
  }
}

/** Checked: a positive whole number of milliseconds. */
function checkTimeout(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `expected a positive whole number of milliseconds "${field}", got ${value}`,
    );
  }
  return value;
}

/** The timeouts with the defaults filled in, checked. */
export function resolveHttpTimeouts(timeouts: Partial<HttpTimeouts> = {}): HttpTimeouts {
  const t = { ...defaultHttpTimeouts, ...timeouts };
  for (const [field, value] of Object.entries(t)) checkTimeout(value, field);
  if (t.headersMs > t.requestMs) {
    throw new RangeError(
      '"headersMs" must not exceed "requestMs" (the head is part of the request)',
    );
  }
  return t;
}

/** A `node:http` server with the timeouts set and Node's refusals answered as problems. */
export function createHttpServer(
  listener: RequestListener,
  options: CreateHttpServerOptions,
): Server {
  const t = resolveHttpTimeouts(options.timeouts);
  const server = createServer(
    {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      keepAliveTimeout: t.keepAliveMs,
      connectionsCheckingInterval: t.checkIntervalMs,
    },
    listener,
  );
  server.keepAliveTimeout = t.keepAliveMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    answerClientError(error, socket, options.refusal);
  });
  return server;
}

function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  render: CreateHttpServerOptions['refusal'],
): void {
  // A reset connection, or one whose response has begun, cannot carry an answer.
  const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
    ?.headersSent;
  if (error.code === 'ECONNRESET' || !socket.writable || started === true) {
    socket.destroy();
    return;
  }
  const [code, detail] = refusalFor(error);
  const problem = render(code, detail);
  const body = Buffer.from(problem.body, 'utf8');
  const head =
    `HTTP/1.1 ${problem.status} ${reasons[problem.status] ?? 'Error'}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  // A client that does not read its answer does not keep the socket either.
  setTimeout(() => socket.destroy(), 1_000).unref();
}
