/**
 * The access grant: what the merchant hands the payer after payment so the payer can reach
 * the paid resource (DESIGN.md "Priced link", step 5), set as an HttpOnly cookie on the
 * merchant's origin. It is signed with the merchant's Ed25519 key, so any of the merchant's
 * servers can check it without shared state, and it names one resource, so a grant bought
 * for one article does not open another.
 *
 * Token (the cookie value; base64url is within RFC 6265 §4.1.1 cookie-octets):
 *
 *   token = base64url( signingBytes('accessGrant', 1,
 *                        merchantId ‖ resource ‖ offerHash[32] ‖ issuedAt u64 ‖
 *                        expiresAt u64 ‖ grantId[16])
 *                      ‖ signature[64] )
 *
 * Parsing is strict (one grant, one token); a token that is not such bytes is
 * `invalid_encoding`.
 */
import * as v from 'valibot';
import { CanonicalReader, readSigningHeader } from './canonical-reader.ts';
import { type Ed25519Signer, type Ed25519Verify, nobleEd25519Verify } from './ed25519.ts';
import { concatBytes, fromBase64url, signingBytes, toBase64url } from './encoding.ts';
import { assertBytes, assertInteger, FarthingError, isFarthingError } from './errors.ts';
import { offerHashLength } from './offer.ts';
import { assertCanonicalResource, normalizeResource } from './offer-resource.ts';
import { identifierSchema } from './schema.ts';

export const accessGrantVersion = 1;
export const grantIdLength = 16;
const signatureLength = 64;
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
  /** Random; lets the merchant log or revoke one grant. */
  readonly grantId: Uint8Array;
}

function invalid(field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `"${field}" ${message}`, { details: { field } });
}

function assertAccessGrant(grant: AccessGrant): void {
  if (typeof grant !== 'object' || grant === null) throw invalid('grant', 'must be an object');
  if (grant.version !== accessGrantVersion) {
    throw new FarthingError('unsupported_version', `grant version must be ${accessGrantVersion}`, {
      details: { field: 'version', expected: accessGrantVersion, got: grant.version },
    });
  }
  if (!v.is(identifierSchema, grant.merchantId)) {
    throw invalid('merchantId', 'must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
  assertCanonicalResource(grant.resource, 'resource');
  assertBytes(grant.offerHash, 'offerHash', offerHashLength);
  assertInteger(grant.issuedAt, 'issuedAt');
  assertInteger(grant.expiresAt, 'expiresAt');
  if (grant.expiresAt <= grant.issuedAt) throw invalid('expiresAt', 'must be after issuedAt');
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

export type IssueAccessGrantParameters = Omit<AccessGrant, 'version' | 'grantId'> & {
  /** Defaults to 16 fresh random bytes. */
  readonly grantId?: Uint8Array;
};

export interface IssuedAccessGrant {
  readonly grant: AccessGrant;
  /** The cookie value. */
  readonly token: string;
}

/** Signs a grant with the merchant's key and returns it with its token. */
export async function issueAccessGrant(
  parameters: IssueAccessGrantParameters,
  signer: Ed25519Signer,
): Promise<IssuedAccessGrant> {
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
  const signature = await signer.sign(bytes);
  assertBytes(signature, 'signature', signatureLength);
  return { grant, token: toBase64url(concatBytes(bytes, signature)) };
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
  readonly signedBytes: Uint8Array;
  readonly signature: Uint8Array;
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
  const signedLength = bytes.length - reader.remaining;
  const signature = reader.fixed(signatureLength, 'signature');
  reader.end('grant');
  try {
    assertAccessGrant(grant);
  } catch (error) {
    if (isFarthingError(error, 'invalid_argument')) throw malformed(error);
    throw error;
  }
  return { grant, signedBytes: bytes.subarray(0, signedLength), signature };
}

export interface VerifyAccessGrantParameters {
  /** The merchant's own Ed25519 public key. */
  readonly merchantPublicKey: Uint8Array;
  readonly merchantId: string;
  /** The path (and query) being requested; normalised before comparing. */
  readonly resource: string;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
  readonly ed25519Verify?: Ed25519Verify;
}

/**
 * Checks a grant token presented for `resource`: `invalid_encoding` (not a grant),
 * `unsupported_version`, `bad_signature` (not signed by this merchant), `merchant_mismatch`,
 * `resource_mismatch`, `grant_expired`. Returns the grant.
 */
export function verifyAccessGrant(
  token: unknown,
  parameters: VerifyAccessGrantParameters,
): AccessGrant {
  const {
    merchantPublicKey,
    merchantId,
    resource: requested,
    now,
    ed25519Verify = nobleEd25519Verify,
  }: Partial<VerifyAccessGrantParameters> = parameters ?? {};
  if (typeof ed25519Verify !== 'function') {
    throw new FarthingError('invalid_argument', 'expected a function "ed25519Verify"', {
      details: { field: 'ed25519Verify' },
    });
  }
  assertBytes(merchantPublicKey, 'merchantPublicKey', 32);
  if (!v.is(identifierSchema, merchantId)) throw invalid('merchantId', 'is not an identifier');
  if (typeof requested !== 'string') throw invalid('resource', 'must be a string');
  const resource = normalizeResource(requested);
  assertInteger(now, 'now');

  const { grant, signedBytes, signature } = parseAccessGrantToken(token);
  // The signature first: nothing in a forged grant is worth reporting on.
  if (!ed25519Verify(signature, signedBytes, merchantPublicKey)) {
    throw new FarthingError('bad_signature', 'the access grant is not signed by this merchant', {
      details: { field: 'signature' },
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
