/**
 * The JSON wire form the PayWord certificate and commitment share: `version: 1` first, the
 * Ed25519 signature last as unpadded base64url, an expiry that must come after the message's
 * start (`issuedAt`, `createdAt`), and the version dropped again on parsing. Each message
 * names only its own fields.
 */
import * as v from 'valibot';
import { ed25519SignatureLength } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { bytesSchema } from '../schema.ts';

/** The wire version of every PayWord message. */
export const paywordWireVersion = 1;

/**
 * The strict schema of a signed PayWord message whose fields are `entries` (in wire order,
 * `expiresAt` among them): parses to the message without its version.
 */
export function signedPaywordSchema<T extends { readonly expiresAt: number }>(
  entries: v.ObjectEntries,
  start: keyof T & string,
): v.GenericSchema<unknown, T> {
  return v.pipe(
    v.strictObject({
      version: v.literal(paywordWireVersion),
      ...entries,
      signature: bytesSchema(ed25519SignatureLength),
    }),
    v.check((message) => {
      const times = message as unknown as Record<string, number>;
      return (times.expiresAt as number) > (times[start] as number);
    }, `expiresAt must be after ${start}`),
    v.transform(({ version: _, ...message }) => message as unknown as T),
  );
}

/** `{ version: 1, ...fields, signature }`: the wire form, given its fields already encoded. */
export function signedPaywordJson<F extends object>(
  fields: F,
  signature: Uint8Array,
): { readonly version: 1 } & F & { readonly signature: string } {
  return { version: paywordWireVersion, ...fields, signature: toBase64url(signature) };
}
