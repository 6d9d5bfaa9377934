/**
 * Reading a request without the bank's context: the `Idempotency-Key` header
 * (draft-ietf-httpapi-idempotency-key-header), the hash of method, path and body that goes with
 * it in a claim, the JSON media type, a body of declared length, and JSON validated once by its
 * schema. The Hono routes (command.ts), the deposit path on node:http and the deposit worker
 * threads all read requests this way; this module imports nothing of the bank, so the layers
 * below `http/context.ts` (the mint's workers) can use it without a cycle.
 */
import { createHash } from 'node:crypto';
import { FarthingError } from '@farthing/protocol/errors';
import { parseMessage } from '@farthing/protocol/schema';
import type * as v from 'valibot';

const keyPattern = /^[\x21-\x7e]{1,255}$/;

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
