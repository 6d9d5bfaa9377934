/**
 * Every failure leaves the bank as RFC 9457 problem details with a stable code. Unexpected
 * errors are logged with the request id and answered as `internal` without their message.
 */
import {
  FarthingError,
  problemContentType,
  problemResponse,
  toProblemDetails,
} from '@farthing/protocol/errors';
import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../log.ts';
import type { BankEnv } from './context.ts';

export interface Problem {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The answer to a request that failed with `error`: the same for the Hono app and for the
 * routes served straight from node:http (mint/deposit-http.ts).
 */
export function problemFor(
  error: unknown,
  log: Logger,
  request: { readonly instance: string; readonly requestId: string | undefined },
): Problem {
  const { instance, requestId } = request;
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  let reported: unknown = error;
  if (error instanceof HTTPException && error.status === 413) {
    reported = new FarthingError('payload_too_large', 'the request body is too large');
  } else if (!(error instanceof FarthingError)) {
    log.error({ err: error, requestId, path: instance }, 'unexpected error');
  }
  if (reported instanceof FarthingError && reported.status === 401) {
    // RFC 6750 §3: a 401 names the scheme the client should use.
    headers['www-authenticate'] = 'Bearer realm="farthing-bank"';
  }
  const problem = toProblemDetails(reported, instance);
  headers['content-type'] = problemContentType;
  return { status: problem.status, headers, body: JSON.stringify(problem) };
}

export function problemHandler(log: Logger): ErrorHandler<BankEnv> {
  return function handleProblem(error, c) {
    const { status, headers, body } = problemFor(error, log, {
      instance: c.req.path,
      requestId: c.get('requestId'),
    });
    return new Response(body, { status, headers });
  };
}

export const notFoundHandler: NotFoundHandler<BankEnv> = (c) =>
  problemResponse(new FarthingError('not_found', `no route for ${c.req.method} ${c.req.path}`), {
    instance: c.req.path,
  });
