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
  const key = c.req.header('idempotency-key');
  if (key === undefined) {
    throw new FarthingError(
      'idempotency_key_missing',
      'state-changing calls need an Idempotency-Key header (a fresh random value per operation)',
    );
  }
  if (!keyPattern.test(key)) {
    throw new FarthingError(
      'invalid_message',
      'Idempotency-Key must be 1–255 visible ASCII characters',
      {
        details: { field: 'idempotency-key' },
      },
    );
  }
  const input = await readJson(c, schema, what);
  const raw = c.get('rawBody');
  const requestHash = new Uint8Array(
    createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(raw).digest(),
  );
  return { input, claim: (scope) => ({ scope, key, requestHash }) };
}

/** The body as JSON validated by `schema`; 415 unless it is `application/json`. */
export async function readJson<S extends v.GenericSchema>(
  c: Context<BankEnv>,
  schema: S,
  what: string,
): Promise<v.InferOutput<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new FarthingError('unsupported_media_type', 'send the body as application/json');
  }
  const raw = await readBody(c);
  c.set('rawBody', raw);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
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
  const length = Number(declared);
  const body = new Uint8Array(length);
  let offset = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
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
