/**
 * `POST /v1/mint/deposits`, written once for its two entry points: the Hono route (routes.ts)
 * and the node:http fast path (deposit-http.ts), which only say how to read the request's
 * headers and body. The checks run in the contract's order: the merchant's API key, the
 * `Idempotency-Key`, the media type, then the body (JSON and schema, in `depositCoins`).
 */
import { merchantAuthenticator } from '../http/auth.ts';
import type { BankContext } from '../http/context.ts';
import { idempotencyKeyOf, requireJsonBody } from '../http/request.ts';
import { type DepositView, depositCoins } from './deposit.ts';

/** The headers the route reads, as the web `Headers` gives them (repeated fields joined). */
export interface DepositRequestHeaders {
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly contentType: string | undefined;
}

/** Serves one deposit: `readBody` is called only once the headers passed. */
export type DepositRoute = (
  headers: DepositRequestHeaders,
  readBody: () => Promise<Uint8Array>,
) => Promise<DepositView>;

export function depositRoute(ctx: BankContext): DepositRoute {
  const authenticate = merchantAuthenticator(ctx);
  return async function deposit(headers, readBody) {
    const merchant = await authenticate(headers.authorization);
    const idempotencyKey = idempotencyKeyOf(headers.idempotencyKey);
    requireJsonBody(headers.contentType);
    const body = await readBody();
    return depositCoins(ctx, merchant, { body, idempotencyKey });
  };
}
