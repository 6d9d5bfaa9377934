/**
 * The access grant: what the merchant hands the payer after payment so the payer can reach
 * the paid resource (DESIGN.md "Priced link", step 5), set as an HttpOnly cookie on the
 * merchant's origin. It names one resource, so a grant bought for one article does not open
 * another, and it expires.
 *
 * Only the merchant that issued a grant ever checks it (the wallet never sees the HttpOnly
 * cookie), so it carries an HMAC-SHA256 tag (RFC 2104) under a secret of the merchant's rather
 * than a signature: a bearer token checked by its issuer needs no public verifiability, and a
 * MAC costs a few microseconds where an Ed25519 signature costs ~50 (measured here), on the
 * hot path of every paid click. Version 1 grants (Ed25519-signed) are no longer accepted.
 *
 * Token (the cookie value; base64url is within RFC 6265 §4.1.1 cookie-octets):
 *
 *   token = base64url( signingBytes('accessGrant', 2,
 *                        merchantId ‖ resource ‖ offerHash[32] ‖ issuedAt u64 ‖
 *                        expiresAt u64 ‖ grantId[16])
 *                      ‖ HMAC-SHA256(grantSecret, those bytes)[32] )
 *
 * Parsing is strict (one grant, one token); a token that is not such bytes is
 * `invalid_encoding`.
 */

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { CanonicalReader, readSigningHeader } from './canonical-reader.ts';
import { concatBytes, equalBytes, fromBase64url, signingBytes, toBase64url } from './encoding.ts';
import {
  assertBytes,
  assertInteger,
  FarthingError,
  invalidArgument,
  isFarthingError,
} from './errors.ts';
import { offerHashLength } from './offer.ts';
import { assertCanonicalResource, normalizeResource } from './offer-resource.ts';
import { identifierSchema } from './schema.ts';

export const accessGrantVersion = 2;
export const grantIdLength = 16;
/** HMAC-SHA256 output (RFC 6234 §8.1, SHA-256 digest size). */
export const grantTagLength = 32;
/** The grant secret: 32 bytes, the HMAC-SHA256 block size's key recommendation (RFC 2104 §3). */
export const grantSecretLength = 32;
/** Cookies are limited to ~4 KiB (RFC 6265 §6.1); real grants are ~200 bytes. */
export const maxGrantTokenLength = 4000;

export interface AccessGrant {
  readonly version: typeof accessGrantVersion;
  readonly merchantId: string;
  /** The paid resource, in the normal form of offer-resource.ts. */
  readonly resource: string;
  /** The offer that was paid. */
  readonly offerHash: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly issuedAt: number;
  /** The grant opens the resource while `now < expiresAt`. */
  readonly expiresAt: number;
  /**
   * Unique, chosen by the merchant (the SDK's: its payment's credential id's first 16 bytes);
   * lets the merchant log or revoke one grant.
   */
  readonly grantId: Uint8Array;
}

/**
 * The merchant's grant secret as the two operations grants need. `hmacAccessGrantKey` is the
 * portable one; a server may supply its platform's HMAC (the merchant SDK uses node:crypto).
 */
export interface AccessGrantKey {
  /** HMAC-SHA256 of `message` under the grant secret (32 bytes). */
  readonly tag: (message: Uint8Array) => Uint8Array;
  /** Whether `tag` is the tag of `message`, compared in constant time. */
  readonly check: (message: Uint8Array, tag: Uint8Array) => boolean;
}

/** An `AccessGrantKey` over a 32-byte secret with @noble/hashes' HMAC-SHA256. */
export function hmacAccessGrantKey(secret: Uint8Array): AccessGrantKey {
  assertBytes(secret, 'grantSecret', grantSecretLength);
  const key = secret.slice();
  const tag = (message: Uint8Array) => hmac(sha256, key, message);
  return {
    tag,
    check: (message, given) => given.length === grantTagLength && equalBytes(tag(message), given),
  };
}

function assertGrantKey(key: unknown, field: string): asserts key is AccessGrantKey {
  const candidate = key as Partial<AccessGrantKey> | null | undefined;
  if (typeof candidate?.tag !== 'function' || typeof candidate.check !== 'function') {
    throw new FarthingError('invalid_argument', `expected an AccessGrantKey "${field}"`, {
      details: { field },
    });
  }
}

/**
 * Resources already found in normal form: a merchant grants the same few resources over and
 * over, and normalising one is a good part of issuing a grant on the pay endpoint's hot path.
 */
const canonicalResources = new Set<string>();

function assertCanonicalResourceOnce(resource: string): void {
  if (canonicalResources.has(resource)) return;
  assertCanonicalResource(resource, 'resource');
  if (canonicalResources.size >= 1024) canonicalResources.clear();
  canonicalResources.add(resource);
}

function assertAccessGrant(grant: AccessGrant): void {
  if (typeof grant !== 'object' || grant === null)
    throw invalidArgument('grant', 'must be an object');
  if (grant.version !== accessGrantVersion) {
    throw new FarthingError('unsupported_version', `grant version must be ${accessGrantVersion}`, {
      details: { field: 'version', expected: accessGrantVersion, got: grant.version },
    });
  }
  if (!v.is(identifierSchema, grant.merchantId)) {
    throw invalidArgument('merchantId', 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
  assertCanonicalResourceOnce(grant.resource);
  assertBytes(grant.offerHash, 'offerHash', offerHashLength);
  assertInteger(grant.issuedAt, 'issuedAt');
  assertInteger(grant.expiresAt, 'expiresAt');
  if (grant.expiresAt <= grant.issuedAt)
    throw invalidArgument('expiresAt', 'must be after issuedAt');
  assertBytes(grant.grantId, 'grantId', grantIdLength);
}

export function accessGrantSigningBytes(grant: AccessGrant): Uint8Array {
  assertAccessGrant(grant);
  return signingBytes('accessGrant', accessGrantVersion, (w) =>
    w
      .string(grant.merchantId, 'merchantId', 128)
      .string(grant.resource, 'resource')
      .fixed(grant.offerHash, offerHashLength, 'offerHash')
      .u64(grant.issuedAt, 'issuedAt')
      .u64(grant.expiresAt, 'expiresAt')
      .fixed(grant.grantId, grantIdLength, 'grantId'),
  );
}

/** A grant's fields that stay the same for every payment of one offer. */
export type AccessGrantFields = Pick<AccessGrant, 'merchantId' | 'resource' | 'offerHash'>;

/** Issues the grants of one offer (`accessGrantIssuer`). */
export type AccessGrantIssuer = (
  times: Pick<AccessGrant, 'issuedAt' | 'expiresAt' | 'grantId'>,
) => IssuedAccessGrant;

/** issuedAt and expiresAt (u64 each) and grantId, the last fields of the signing bytes. */
const grantTailLength = 8 + 8 + grantIdLength;

/**
 * `issueAccessGrant` for many grants of the same offer: the fields they share are checked and
 * encoded once (by `accessGrantSigningBytes` itself, so the bytes cannot drift from it), and
 * each grant only appends its times and id before it is tagged.
 */
export function accessGrantIssuer(
  fields: AccessGrantFields,
  key: AccessGrantKey,
): AccessGrantIssuer {
  assertGrantKey(key, 'key');
  const sample = accessGrantSigningBytes({
    version: accessGrantVersion,
    merchantId: fields.merchantId,
    resource: fields.resource,
    offerHash: fields.offerHash,
    issuedAt: 0,
    expiresAt: 1,
    grantId: new Uint8Array(grantIdLength),
  });
  const prefixLength = sample.length - grantTailLength;
  const prefix = sample.slice(0, prefixLength);
  const offerHash = fields.offerHash.slice();
  return ({ issuedAt, expiresAt, grantId }) => {
    assertInteger(issuedAt, 'issuedAt');
    assertInteger(expiresAt, 'expiresAt');
    if (expiresAt <= issuedAt) throw invalidArgument('expiresAt', 'must be after issuedAt');
    assertBytes(grantId, 'grantId', grantIdLength);
    const token = new Uint8Array(sample.length + grantTagLength);
    token.set(prefix);
    const view = new DataView(token.buffer);
    view.setBigUint64(prefixLength, BigInt(issuedAt));
    view.setBigUint64(prefixLength + 8, BigInt(expiresAt));
    token.set(grantId, prefixLength + 16);
    const bytes = token.subarray(0, sample.length);
    const tag = key.tag(bytes);
    assertBytes(tag, 'tag', grantTagLength);
    token.set(tag, sample.length);
    const grant: AccessGrant = Object.freeze({
      version: accessGrantVersion,
      merchantId: fields.merchantId,
      resource: fields.resource,
      offerHash,
      issuedAt,
      expiresAt,
      grantId,
    });
    return { grant, token: toBase64url(token) };
  };
}

export type IssueAccessGrantParameters = Omit<AccessGrant, 'version' | 'grantId'> & {
  /** Defaults to 16 fresh random bytes. */
  readonly grantId?: Uint8Array;
};

export interface IssuedAccessGrant {
  readonly grant: AccessGrant;
  /** The cookie value. */
  readonly token: string;
}

/** Tags a grant with the merchant's grant key and returns it with its token. */
export function issueAccessGrant(
  parameters: IssueAccessGrantParameters,
  key: AccessGrantKey,
): IssuedAccessGrant {
  assertGrantKey(key, 'key');
  const grant: AccessGrant = Object.freeze({
    version: accessGrantVersion,
    merchantId: parameters.merchantId,
    resource: parameters.resource,
    offerHash: parameters.offerHash,
    issuedAt: parameters.issuedAt,
    expiresAt: parameters.expiresAt,
    grantId: parameters.grantId ?? crypto.getRandomValues(new Uint8Array(grantIdLength)),
  });
  const bytes = accessGrantSigningBytes(grant);
  const tag = key.tag(bytes);
  assertBytes(tag, 'tag', grantTagLength);
  return { grant, token: toBase64url(concatBytes(bytes, tag)) };
}

function malformed(error: FarthingError): FarthingError {
  return new FarthingError('invalid_encoding', `invalid access grant: ${error.shortMessage}`, {
    details: error.details,
    cause: error,
  });
}

/** Decodes a grant token without checking it (`verifyAccessGrant` does). */
export function parseAccessGrantToken(token: unknown): {
  readonly grant: AccessGrant;
  readonly taggedBytes: Uint8Array;
  readonly tag: Uint8Array;
} {
  if (typeof token === 'string' && token.length > maxGrantTokenLength) {
    throw new FarthingError('invalid_encoding', 'access grant token is too long', {
      details: { field: 'grant' },
    });
  }
  const bytes = fromBase64url(token, 'grant');
  const reader = new CanonicalReader(bytes);
  readSigningHeader(reader, 'accessGrant', accessGrantVersion, 'grant');
  const grant: AccessGrant = Object.freeze({
    version: accessGrantVersion,
    merchantId: reader.string('merchantId', 128),
    resource: reader.string('resource'),
    offerHash: reader.fixed(offerHashLength, 'offerHash'),
    issuedAt: reader.u64('issuedAt'),
    expiresAt: reader.u64('expiresAt'),
    grantId: reader.fixed(grantIdLength, 'grantId'),
  });
  const taggedLength = bytes.length - reader.remaining;
  const tag = reader.fixed(grantTagLength, 'tag');
  reader.end('grant');
  try {
    assertAccessGrant(grant);
  } catch (error) {
    if (isFarthingError(error, 'invalid_argument')) throw malformed(error);
    throw error;
  }
  return { grant, taggedBytes: bytes.subarray(0, taggedLength), tag };
}

export interface VerifyAccessGrantParameters {
  /** The merchant's own grant key (the one it issues grants with). */
  readonly key: AccessGrantKey;
  readonly merchantId: string;
  /** The path (and query) being requested; normalised before comparing. */
  readonly resource: string;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
}

/**
 * Checks a grant token presented for `resource`: `invalid_encoding` (not a grant),
 * `unsupported_version`, `bad_signature` (its tag is not this merchant's), `merchant_mismatch`,
 * `resource_mismatch`, `grant_expired`. Returns the grant.
 */
export function verifyAccessGrant(
  token: unknown,
  parameters: VerifyAccessGrantParameters,
): AccessGrant {
  const {
    key,
    merchantId,
    resource: requested,
    now,
  }: Partial<VerifyAccessGrantParameters> = parameters ?? {};
  assertGrantKey(key, 'key');
  if (!v.is(identifierSchema, merchantId))
    throw invalidArgument('merchantId', 'is not an identifier');
  if (typeof requested !== 'string') throw invalidArgument('resource', 'must be a string');
  const resource = normalizeResource(requested);
  assertInteger(now, 'now');

  const { grant, taggedBytes, tag } = parseAccessGrantToken(token);
  // The tag first: nothing in a forged grant is worth reporting on.
  if (!key.check(taggedBytes, tag)) {
    throw new FarthingError('bad_signature', 'the access grant was not issued by this merchant', {
      details: { field: 'tag' },
    });
  }
  if (grant.merchantId !== merchantId) {
    throw new FarthingError('merchant_mismatch', 'the access grant is for another merchant', {
      details: { field: 'merchantId' },
    });
  }
  if (grant.resource !== resource) {
    throw new FarthingError('resource_mismatch', 'the access grant is for another resource', {
      details: { field: 'resource' },
    });
  }
  if (now >= grant.expiresAt) {
    throw new FarthingError('grant_expired', 'access has expired; pay again to reopen it', {
      details: { field: 'expiresAt', expiresAt: grant.expiresAt, now },
    });
  }
  return grant;
}
