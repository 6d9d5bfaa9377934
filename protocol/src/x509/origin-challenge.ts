/**
 * Proving control of a merchant origin before the bank certifies it, modelled on ACME's
 * HTTP-01 challenge (RFC 8555 §8.3): the bank hands the merchant a random token, the merchant
 * serves the token's key authorization at `<origin>/.well-known/farthing-challenge/<token>`,
 * and the bank fetches it from that origin and compares.
 *
 * Differences from HTTP-01, and why:
 * - The path is `/.well-known/farthing-challenge/`, not ACME's `acme-challenge`: a site's own
 *   ACME client (certbot's webroot, a proxy routing that prefix to it) owns that folder, and a
 *   Farthing token there would be served by, or lost to, software that knows nothing of it.
 * - The bank fetches the origin exactly as named (scheme, host and port), since the wallet
 *   matches the certificate against the exact origin (x509/merchant-certificate.ts), where
 *   ACME always asks port 80 over plain HTTP.
 * - ACME's key authorization binds the token to the account key (§8.1, the JWK thumbprint).
 *   A merchant account here has no key, only an API key the bank never shows, so the token is
 *   bound to the account's name at this bank: `token "." base64url(SHA-256(canonical bytes of
 *   (bankId, merchantId, origin)))`. A responder that echoes any token back, or one serving
 *   another merchant's challenge, does not produce it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { signingBytes, toBase64url } from '../encoding.ts';
import { assertString } from '../errors.ts';
import { identifierSchema } from '../schema.ts';
import { isMerchantOrigin } from './merchant-certificate.ts';

export const originChallengeVersion = 1;
export const originChallengePathPrefix = '/.well-known/farthing-challenge/';
/** RFC 8555 §8.3: at least 128 bits of entropy; the bank uses 32 random bytes (43 characters). */
export const originChallengeTokenLength = 43;
/** The most the bank reads of an answer: the key authorization is 87 characters. */
export const maxKeyAuthorizationLength = 256;

/** A base64url token of 32 bytes, the only thing the path segment may be. */
export function isOriginChallengeToken(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length === originChallengeTokenLength &&
    /^[A-Za-z0-9_-]+$/.test(value)
  );
}

/** Where the merchant serves the answer to `token` on its origin. */
export function originChallengePath(token: string): string {
  if (!isOriginChallengeToken(token)) {
    assertString(token, 'token', originChallengeTokenLength);
    throw new TypeError(`expected a ${originChallengeTokenLength}-character base64url "token"`);
  }
  return `${originChallengePathPrefix}${token}`;
}

/** What the merchant serves for `token` (see the module comment). */
export function originKeyAuthorization(parameters: {
  readonly token: string;
  readonly bankId: string;
  readonly merchantId: string;
  readonly origin: string;
}): string {
  const { token, bankId, merchantId, origin } = parameters;
  originChallengePath(token);
  const thumbprint = sha256(
    signingBytes('originChallenge', originChallengeVersion, (w) =>
      w
        .string(bankId, 'bankId', 128)
        .string(merchantId, 'merchantId', 128)
        .string(origin, 'origin', 2048),
    ),
  );
  return `${token}.${toBase64url(thumbprint)}`;
}

/** `POST /v1/merchants/me/origin-challenges`. */
export const originChallengeRequestSchema = v.strictObject({
  origin: v.pipe(
    v.string(),
    v.maxLength(2048),
    v.check(
      (text: string) => isMerchantOrigin(text),
      'expected an https origin (http only on loopback hosts)',
    ),
  ),
});

/** The bank's answer: what to serve, where, until when. */
export const originChallengeSchema = v.object({
  origin: v.pipe(v.string(), v.maxLength(2048)),
  merchantId: identifierSchema,
  token: v.pipe(
    v.string(),
    v.maxLength(originChallengeTokenLength),
    v.check((text: string) => isOriginChallengeToken(text), 'expected a challenge token'),
  ),
  keyAuthorization: v.pipe(v.string(), v.maxLength(maxKeyAuthorizationLength)),
  path: v.pipe(v.string(), v.maxLength(128)),
  status: v.picklist(['pending', 'valid', 'invalid']),
  expiresAt: v.pipe(v.number(), v.safeInteger()),
});
export type OriginChallengeWire = v.InferOutput<typeof originChallengeSchema>;
