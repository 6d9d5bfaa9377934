/**
 * Talking HTTP to banks and merchants: JSON in and out, RFC 9457 problems turned into
 * `WalletFailure`s that keep the server's code (`detail.cause`) and say whether trying again
 * later can help (`detail.transient`: no answer, or a 5xx). Every answer is validated with
 * its schema here, once, at the edge.
 */

import { navigationHeader } from '@farthing/protocol/http/paying-navigation';
import * as v from 'valibot';
import type { WalletErrorCode } from '../messages/contract.ts';
import { assertSecureBankUrl } from './bank/secure-url.ts';
import { WalletFailure } from './errors.ts';
import type { WalletPlatform } from './platform.ts';

export interface JsonRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly token?: string;
  readonly body?: unknown;
  /** Raw JSON text, sent as it is (a credential resent byte for byte). */
  readonly text?: string;
  readonly idempotencyKey?: string;
  /** Send and keep cookies (the merchant's grant cookie). */
  readonly credentials?: RequestCredentials;
  /** The page's navigation this payment is for (`@farthing/protocol/http/paying-navigation`). */
  readonly navigation?: string;
}

export interface Party {
  /** Codes for "could not reach" and "answered with an error". */
  readonly unreachable: WalletErrorCode;
  readonly refused: WalletErrorCode;
  readonly name: string;
}

export const bankParty: Party = {
  unreachable: 'bank_unreachable',
  refused: 'bank_error',
  name: 'bank',
};
export const merchantParty: Party = {
  unreachable: 'merchant_unreachable',
  refused: 'merchant_refused',
  name: 'merchant',
};

/** Bank codes with a contract code of their own. */
const mappedCodes: Readonly<Record<string, WalletErrorCode>> = {
  invalid_credentials: 'login_failed',
  unauthorized: 'not_logged_in',
  token_expired: 'not_logged_in',
  insufficient_scope: 'not_logged_in',
  insufficient_funds: 'insufficient_funds',
};

export async function requestJson<S extends v.GenericSchema>(
  platform: WalletPlatform,
  party: Party,
  request: JsonRequest,
  schema: S,
): Promise<v.InferOutput<S>> {
  // Whatever URL a bank request was built from (a stored bank, a restored backup): never in clear.
  if (party === bankParty) assertSecureBankUrl(request.url);
  const headers = new Headers({ accept: 'application/json' });
  if (request.token !== undefined) headers.set('authorization', `Bearer ${request.token}`);
  if (request.idempotencyKey !== undefined) headers.set('idempotency-key', request.idempotencyKey);
  if (request.navigation !== undefined) headers.set(navigationHeader, request.navigation);
  const body =
    request.text ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  if (body !== undefined) headers.set('content-type', 'application/json');
  let response: Response;
  try {
    response = await platform.fetch(request.url, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(request.credentials === undefined ? {} : { credentials: request.credentials }),
    });
  } catch (cause) {
    throw new WalletFailure(
      party.unreachable,
      `The ${party.name} at ${new URL(request.url).origin} did not answer. Check the connection; the wallet tries again.`,
      { detail: { transient: true }, cause },
    );
  }
  let json: unknown;
  try {
    json = response.status === 204 ? null : await response.json();
  } catch (cause) {
    throw new WalletFailure(
      party.refused,
      `The ${party.name} sent an answer the wallet cannot read.`,
      {
        detail: { status: response.status, transient: response.status >= 500 },
        cause,
      },
    );
  }
  if (!response.ok) throw problemFailure(party, response.status, json);
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) {
    throw new WalletFailure(
      party.refused,
      `The ${party.name} sent an answer the wallet cannot read.`,
      {
        detail: { status: response.status, transient: false },
      },
    );
  }
  return parsed.output;
}

function problemFailure(party: Party, status: number, json: unknown): WalletFailure {
  const problem =
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const cause = typeof problem.code === 'string' ? problem.code.slice(0, 64) : 'unknown';
  const said = typeof problem.detail === 'string' ? problem.detail.slice(0, 300) : `HTTP ${status}`;
  const code = (party === bankParty ? mappedCodes[cause] : undefined) ?? party.refused;
  return new WalletFailure(code, `The ${party.name} refused: ${said}`, {
    detail: { status, cause, transient: status >= 500 || status === 429 },
  });
}

/**
 * A server's answer the wallet cannot accept (a signature that does not verify, a certificate
 * for another key): asking again would bring the same, so it is not `transient`.
 */
export function unacceptableAnswer(
  code: WalletErrorCode,
  message: string,
  cause?: unknown,
): WalletFailure {
  return new WalletFailure(code, message, {
    detail: { transient: false },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The checks of a server's answer (its parse, signature, that it is about what was asked): any
 * failure is `unacceptableAnswer(code, message)`, the check's own failure kept as its cause.
 */
export function checkAnswer<T>(code: WalletErrorCode, message: string, check: () => T): T {
  try {
    return check();
  } catch (cause) {
    throw unacceptableAnswer(code, message, cause);
  }
}

/** Whether a failure may go away by itself (no answer, or the server's own trouble). */
export function isTransient(error: unknown): boolean {
  return error instanceof WalletFailure && error.detail?.transient === true;
}

/** The server's own code behind a failure (`coin_already_spent`, `not_found`, …). */
export function causeOf(error: unknown): string | undefined {
  if (!(error instanceof WalletFailure)) return undefined;
  const cause = error.detail?.cause;
  return typeof cause === 'string' ? cause : undefined;
}
