/**
 * The `Farthing` HTTP authentication scheme: how a priced URL asks for payment (HTTP 402 with
 * `WWW-Authenticate`) and how the wallet answers (`Authorization`), on top of the generic
 * RFC 9110 §11 grammar in `auth-header.ts`.
 *
 * Challenge (in `WWW-Authenticate`, next to any other schemes the server offers):
 *
 *   Farthing realm="<origin>", offer="<b64u>", descriptor="<url>"
 *            [, error="<code>" [, error_description="<text>"]]
 *
 *   realm        REQUIRED. The merchant's origin, in its serialized form (`new URL(x).origin
 *                === x`): `https://host[:port]`, or `http://` on a loopback host (what
 *                browsers count as potentially trustworthy; the demo runs on loopback).
 *   offer        REQUIRED. The signed offer's wire bytes, unpadded base64url (RFC 4648 §5).
 *                Opaque here; the offers module gives the bytes meaning.
 *   descriptor   REQUIRED. Absolute URL of the merchant descriptor, in serialized form
 *                (`new URL(x).href === x`), on the realm's origin (so a challenge cannot send
 *                the wallet to fetch from a third party), no userinfo, no fragment.
 *   error        OPTIONAL, after a rejected credential, modelled on RFC 6750 §3: a stable
 *                Farthing error code (`errors.ts`), lowercase `[a-z][a-z0-9_]*`. Codes this
 *                version does not know are passed on, not refused (newer servers add codes).
 *   error_description  OPTIONAL. Human-readable, RFC 6750 §3 charset (%x20-21 / %x23-5B /
 *                %x5D-7E), never shown as authoritative.
 *
 * Credentials (in `Authorization`):
 *
 *   Farthing credential="<b64u>"
 *
 *   credential   REQUIRED. The credential's wire bytes, unpadded base64url. Opaque here.
 *
 *   The auth-param form is the only one accepted: the token68 form (`Farthing <b64u>`) is
 *   refused. RFC 9110 §16.4.2 says token68 exists for older schemes and new ones ought to use
 *   auth-params, since a token68 leaves no room for a later parameter; accepting both would
 *   give one credential two spellings for every implementation to get right.
 *
 * Both directions:
 * - Values may arrive as token or quoted-string (§11.2 requires recipients to accept both);
 *   we always send them quoted, in the order above, separated by ", ".
 * - Unknown parameters are ignored (§11.2: extensions must not break older recipients). They
 *   cannot change what is paid: the offer and credential bytes are signed and versioned.
 * - Base64url padding is refused with `details.reason = 'base64url_padding'`: one byte string
 *   must have one text form (encoding.ts), and a padded value means the sender encodes
 *   differently from every other Farthing party, which is better found than tolerated.
 * - Every failure is `malformed_header` with `details.reason` (and `details.param`).
 */

import { fromBase64url, toBase64url } from '../encoding.ts';
import { assertBytes, FarthingError, isFarthingError } from '../errors.ts';
import {
  type AuthChallenge,
  formatChallenge,
  formatCredentials,
  parseChallenges,
  parseCredentials,
} from './auth-header.ts';

/** As sent; parsing compares case-insensitively (§11.1). */
export const farthingScheme = 'Farthing';

export interface FarthingChallenge {
  /** The merchant's serialized origin. */
  readonly realm: string;
  /** The signed offer's wire bytes. */
  readonly offer: Uint8Array;
  /** URL of the merchant descriptor, on `realm`. */
  readonly descriptor: string;
  /** Why the last credential was refused: a Farthing error code (maybe one newer than ours). */
  readonly error?: string;
  readonly errorDescription?: string;
}

export interface FarthingCredentials {
  /** The credential's wire bytes. */
  readonly credential: Uint8Array;
}

/** Stable values of `details.reason` on the `malformed_header` errors of this module. */
export type FarthingAuthFailure =
  | 'wrong_scheme'
  | 'token68_not_accepted'
  | 'missing_param'
  | 'empty_param'
  | 'base64url_padding'
  | 'invalid_base64url'
  | 'invalid_realm'
  | 'invalid_descriptor'
  | 'invalid_error_code'
  | 'invalid_error_description'
  | 'multiple_farthing_challenges';

type HeaderName = 'WWW-Authenticate' | 'Authorization';

function malformed(
  header: HeaderName,
  reason: FarthingAuthFailure,
  message: string,
  extra: Record<string, unknown> = {},
  cause?: unknown,
): FarthingError {
  return new FarthingError('malformed_header', `${header}: ${message}`, {
    details: { header, reason, ...extra },
    ...(cause === undefined ? {} : { cause }),
  });
}

// --- parameter checks, shared by the parser (malformed_header) and formatter (invalid_argument)

/** Secure Contexts §3.1 "potentially trustworthy": https, or http on a loopback host. */
function isTrustworthy(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname;
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Returns why `realm` is unacceptable, or undefined when it is fine. */
function realmProblem(realm: string): string | undefined {
  const url = parseUrl(realm);
  if (url === undefined || url.origin !== realm) return 'realm must be a serialized origin';
  if (!isTrustworthy(url)) return 'realm must be https (or http on loopback)';
  return undefined;
}

function descriptorProblem(descriptor: string, realm: string): string | undefined {
  const url = parseUrl(descriptor);
  if (url === undefined || url.href !== descriptor) return 'descriptor must be a serialized URL';
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    return 'descriptor must carry no userinfo or fragment';
  }
  if (url.origin !== realm) return 'descriptor must be on the realm origin';
  return undefined;
}

const maxErrorCodeLength = 64;

function isErrorCodeSyntax(value: string): boolean {
  if (value.length === 0 || value.length > maxErrorCodeLength) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const lower = c >= 0x61 && c <= 0x7a;
    if (!(lower || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x5f)))) return false;
  }
  return true;
}

/** RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E ). */
function isErrorDescriptionSyntax(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

function decodeBytesParam(header: HeaderName, param: string, value: string): Uint8Array {
  if (value.includes('=')) {
    throw malformed(header, 'base64url_padding', `"${param}" must be unpadded base64url`, {
      param,
    });
  }
  if (value.length === 0) throw malformed(header, 'empty_param', `"${param}" is empty`, { param });
  try {
    return fromBase64url(value, param);
  } catch (cause) {
    if (!isFarthingError(cause, 'invalid_encoding')) throw cause;
    throw malformed(header, 'invalid_base64url', `"${param}" is not base64url`, { param }, cause);
  }
}

function requireParam(
  header: HeaderName,
  params: ReadonlyMap<string, string>,
  param: string,
): string {
  const value = params.get(param);
  if (value === undefined) {
    throw malformed(header, 'missing_param', `missing "${param}" parameter`, { param });
  }
  return value;
}

// --- challenge

/** Reads a generic challenge already known to be of the Farthing scheme. */
export function parseFarthingChallenge(challenge: AuthChallenge): FarthingChallenge {
  const header = 'WWW-Authenticate';
  if (challenge.scheme.toLowerCase() !== 'farthing') {
    throw malformed(header, 'wrong_scheme', `expected the ${farthingScheme} scheme`);
  }
  if (challenge.type !== 'params') {
    throw malformed(header, 'token68_not_accepted', 'a Farthing challenge takes parameters');
  }
  const { params } = challenge;
  const realm = requireParam(header, params, 'realm');
  const offerText = requireParam(header, params, 'offer');
  const descriptor = requireParam(header, params, 'descriptor');
  const realmError = realmProblem(realm);
  if (realmError !== undefined) {
    throw malformed(header, 'invalid_realm', realmError, { param: 'realm' });
  }
  const offer = decodeBytesParam(header, 'offer', offerText);
  const descriptorError = descriptorProblem(descriptor, realm);
  if (descriptorError !== undefined) {
    throw malformed(header, 'invalid_descriptor', descriptorError, { param: 'descriptor' });
  }
  const error = params.get('error');
  if (error !== undefined && !isErrorCodeSyntax(error)) {
    throw malformed(header, 'invalid_error_code', '"error" is not an error code', {
      param: 'error',
    });
  }
  const errorDescription = params.get('error_description');
  if (errorDescription !== undefined && !isErrorDescriptionSyntax(errorDescription)) {
    throw malformed(header, 'invalid_error_description', 'bad "error_description" characters', {
      param: 'error_description',
    });
  }
  return {
    realm,
    offer,
    descriptor,
    ...(error === undefined ? {} : { error }),
    ...(errorDescription === undefined ? {} : { errorDescription }),
  };
}

/**
 * Picks the Farthing challenge out of a `WWW-Authenticate` value that may offer other schemes
 * too. Returns undefined when there is none (the 402 is someone else's payment scheme). The
 * whole value must parse; more than one Farthing challenge is refused, since the wallet could
 * not tell which offer the server means.
 */
export function findFarthingChallenge(wwwAuthenticateValue: string): FarthingChallenge | undefined {
  const found = parseChallenges(wwwAuthenticateValue).filter((c) => c.scheme === 'farthing');
  if (found.length > 1) {
    throw malformed(
      'WWW-Authenticate',
      'multiple_farthing_challenges',
      'more than one Farthing challenge',
      { count: found.length },
    );
  }
  return found[0] === undefined ? undefined : parseFarthingChallenge(found[0]);
}

function argumentError(field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `${field}: ${message}`, { details: { field } });
}

/** The canonical challenge: all values quoted, parameters in the documented order. */
export function formatFarthingChallenge(challenge: FarthingChallenge): string {
  const { realm, offer, descriptor, error, errorDescription } = challenge;
  if (typeof realm !== 'string') throw argumentError('realm', 'expected a string');
  const realmError = realmProblem(realm);
  if (realmError !== undefined) throw argumentError('realm', realmError);
  if (typeof descriptor !== 'string') throw argumentError('descriptor', 'expected a string');
  const descriptorError = descriptorProblem(descriptor, realm);
  if (descriptorError !== undefined) throw argumentError('descriptor', descriptorError);
  assertBytes(offer, 'offer');
  const offerText = toBase64url(offer);
  if (offerText.length === 0) throw argumentError('offer', 'expected at least one byte');
  const params = new Map([
    ['realm', realm],
    ['offer', offerText],
    ['descriptor', descriptor],
  ]);
  if (error !== undefined) {
    if (typeof error !== 'string' || !isErrorCodeSyntax(error)) {
      throw argumentError('error', 'expected a lowercase error code');
    }
    params.set('error', error);
  }
  if (errorDescription !== undefined) {
    if (typeof errorDescription !== 'string' || !isErrorDescriptionSyntax(errorDescription)) {
      throw argumentError('errorDescription', 'expected printable ASCII without " or \\');
    }
    params.set('error_description', errorDescription);
  }
  return formatChallenge({ type: 'params', scheme: farthingScheme, params }, { quote: 'always' });
}

// --- credentials

export function parseFarthingCredentials(authorizationValue: string): FarthingCredentials {
  const header = 'Authorization';
  const credentials = parseCredentials(authorizationValue);
  if (credentials.scheme !== 'farthing') {
    throw malformed(header, 'wrong_scheme', `expected the ${farthingScheme} scheme`, {
      scheme: credentials.scheme,
    });
  }
  if (credentials.type !== 'params') {
    throw malformed(header, 'token68_not_accepted', 'use credential="…", not the token68 form');
  }
  const text = requireParam(header, credentials.params, 'credential');
  return { credential: decodeBytesParam(header, 'credential', text) };
}

/** The canonical credentials: `Farthing credential="<base64url>"`. */
export function formatFarthingCredentials(credentials: FarthingCredentials): string {
  assertBytes(credentials.credential, 'credential');
  const text = toBase64url(credentials.credential);
  if (text.length === 0) throw argumentError('credential', 'expected at least one byte');
  return formatCredentials(
    { type: 'params', scheme: farthingScheme, params: new Map([['credential', text]]) },
    { quote: 'always' },
  );
}
