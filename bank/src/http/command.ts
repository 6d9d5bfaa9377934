/**
 * Reading a state-changing request: JSON only, validated once with its schema, and its
 * idempotency claim (draft-ietf-httpapi-idempotency-key-header): the `Idempotency-Key`
 * header plus a hash of method, path and body, so the same key with another body is caught.
 */
import { createHash } from 'node:crypto';
import { FarthingError } from '@farthing/protocol/errors';
import { parseMessage } from '@farthing/protocol/schema';
import type { Context } from 'hono';
import type * as v from 'valibot';
import type { IdempotencyClaim } from '../store/store.ts';
import type { BankEnv } from './context.ts';

export interface Command<T> {
  readonly input: T;
  /** The claim under `scope` (an account id, or "public" for anonymous calls). */
  claim(scope: string): IdempotencyClaim;
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;

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

/** The `Idempotency-Key` header, checked; every state-changing call needs one. */
export function idempotencyKeyOf(header: string | undefined): string {
  if (header === undefined) {
    throw new FarthingError(
      'idempotency_key_missing',
      'state-changing calls need an Idempotency-Key header (a fresh random value per operation)',
    );
  }
  if (!keyPattern.test(header)) {
    throw new FarthingError(
      'invalid_message',
      'Idempotency-Key must be 1–255 visible ASCII characters',
      {
        details: { field: 'idempotency-key' },
      },
    );
  }
  return header;
}

/** SHA-256 of method, path and body: the same key with another request is caught. */
export function requestHashOf(method: string, path: string, body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${method} ${path}\n`).update(body).digest());
}

/** 415 unless the body is declared `application/json`. */
export function requireJsonBody(contentType: string | undefined): void {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    throw new FarthingError('unsupported_media_type', 'send the body as application/json');
  }
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 JSON validated by `schema`; `invalid_message` if it is not JSON at all. */
export function parseJsonBody<S extends v.GenericSchema>(
  raw: Uint8Array,
  schema: S,
  what: string,
): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(raw));
  } catch (cause) {
    throw new FarthingError('invalid_message', `the ${what} is not valid JSON`, { cause });
  }
  return parseMessage(schema, json, what);
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

/** Exactly `length` bytes from a request that declared them in `Content-Length`. */
export async function readIncomingBody(
  incoming: AsyncIterable<Buffer>,
  length: number,
): Promise<Uint8Array> {
  const body = new Uint8Array(length);
  let offset = 0;
  for await (const chunk of incoming) {
    if (offset + chunk.length > length) {
      throw new FarthingError('invalid_message', 'the body is longer than its Content-Length');
    }
    body.set(chunk, offset);
    offset += chunk.length;
  }
  if (offset !== length) {
    throw new FarthingError('invalid_message', 'the body is shorter than its Content-Length');
  }
  return body;
}
