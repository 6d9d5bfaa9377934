/**
 * Reading a state-changing request on the Hono app: JSON only, validated once with its schema,
 * and its idempotency claim (draft-ietf-httpapi-idempotency-key-header): the `Idempotency-Key`
 * header plus a hash of method, path and body, so the same key with another body is caught.
 * The parts that need no Hono context are in request.ts.
 */
import type { Context, Handler } from 'hono';
import type * as v from 'valibot';
import type { BankStore, IdempotencyClaim } from '../store/store.ts';
import type { BankEnv } from './context.ts';
import {
  idempotencyKeyOf,
  parseJsonBody,
  readIncomingBody,
  requestHashOf,
  requireJsonBody,
} from './request.ts';

export interface Command<T> {
  readonly input: T;
  /** The claim under `scope` (an account id, or "public" for anonymous calls). */
  claim(scope: string): IdempotencyClaim;
}

export async function readCommand<S extends v.GenericSchema>(
  c: Context<BankEnv>,
  schema: S,
  what: string,
): Promise<Command<v.InferOutput<S>>> {
  const key = idempotencyKeyOf(c.req.header('idempotency-key'));
  const input = await readJson(c, schema, what);
  const requestHash = requestHashOf(c.req.method, c.req.path, c.get('rawBody'));
  return { input, claim: (scope) => ({ scope, key, requestHash }) };
}

export interface AnsweredOnce<S extends v.GenericSchema> {
  readonly schema: S;
  /** What the body is, for its errors ("the load is not valid JSON"). */
  readonly what: string;
  /** The status of the first answer and of every repeat of it. */
  readonly status: 200 | 201;
  /** The claim's scope for an anonymous call; otherwise the calling account's id. */
  readonly scope?: string;
}

/**
 * A state-changing route whose answer is recorded under its idempotency claim: a retry gets
 * the stored answer before anything is checked, signed or written; otherwise `run` does the
 * work and records its answer under `claim` in the same transaction as the change it makes.
 */
export function answeredOnce<S extends v.GenericSchema>(
  store: Pick<BankStore, 'findIdempotentResult'>,
  route: AnsweredOnce<S>,
  run: (input: v.InferOutput<S>, claim: IdempotencyClaim, c: Context<BankEnv>) => Promise<unknown>,
): Handler<BankEnv> {
  return async function answerOnce(c) {
    const command = await readCommand(c, route.schema, route.what);
    const claim = command.claim(route.scope ?? String(c.get('account').id));
    const stored = await store.findIdempotentResult(claim);
    if (stored !== undefined) return c.json(stored, route.status);
    return c.json(await run(command.input, claim, c), route.status);
  };
}

/** The body as JSON validated by `schema`; 415 unless it is `application/json`. */
export async function readJson<S extends v.GenericSchema>(
  c: Context<BankEnv>,
  schema: S,
  what: string,
): Promise<v.InferOutput<S>> {
  requireJsonBody(c.req.header('content-type'));
  const raw = await readBody(c);
  c.set('rawBody', raw);
  return parseJsonBody(raw, schema, what);
}

/**
 * The request body as bytes. Behind @hono/node-server a request declaring its length is read
 * straight from Node's `IncomingMessage`: going through the web `Request` builds an undici
 * request and stream per call (~60 µs of the event loop on the deposit path). A chunked body
 * may already have been read by the body-limit middleware, so it takes the standard path.
 */
export async function readBody(c: Context<BankEnv>): Promise<Uint8Array> {
  const incoming = c.env?.incoming;
  const declared = c.req.header('content-length');
  if (
    incoming === undefined ||
    declared === undefined ||
    c.req.header('transfer-encoding') !== undefined
  ) {
    return new Uint8Array(await c.req.arrayBuffer());
  }
  return readIncomingBody(incoming, Number(declared));
}
