/**
 * The merchant certificate: a bank vouches that an Ed25519 offer-signing key belongs to a
 * merchant it knows, and names the web origins that merchant serves. Before paying, the wallet
 * checks the offer's signature with the key from this certificate, the certificate's chain to
 * a bank the user trusts, and that the page's origin is one of the certificate's (DESIGN.md
 * "Priced link", steps 1 and 3).
 *
 * Profile (an X.509 v3 certificate, RFC 5280):
 *
 *   subject            CN = the merchant's display name (UTF8String, 1–64 characters,
 *                      ub-common-name; no control or bidi-override characters, since the
 *                      wallet shows it as the payee)
 *   subjectAltName     (not critical) URIs only:
 *                      - exactly one `urn:farthing:merchant:<merchant id>`
 *                      - one per origin the merchant serves: `https://host[:port]`, or
 *                        `http://…` for loopback hosts only (localhost, *.localhost,
 *                        127.0.0.0/8, [::1]), for the local demo; each exactly as the browser
 *                        serializes the origin (lower-case, A-label host, no default port, no
 *                        path or trailing slash), at most 16
 *   subjectPublicKey   the merchant's Ed25519 offer-signing key (RFC 8410)
 *   keyUsage           (critical) digitalSignature; required, and keyCertSign is refused
 *   extKeyUsage        (critical) Farthing merchant offer signing, 2.25.…315726.1.1 (oids.ts)
 *   basicConstraints   (critical) cA FALSE
 *   subjectKeyIdentifier, authorityKeyIdentifier (RFC 7093 §2 method 1)
 *   validity           as the bank decides; the bank issues short-lived certificates, and
 *                      lists revoked ones (merchant-revocations.ts)
 *   serialNumber       16 random bytes, positive (RFC 5280 §4.1.2.2)
 *
 * Why the merchant id is a SAN URI and not the subject's serialNumber attribute: the SAN is
 * where RFC 5280 §4.2.1.6 binds identities to the key, and a URN there is typed and
 * unambiguous (`urn:farthing:merchant:` cannot be confused with anything else), whereas X.520
 * serialNumber is free text meant to tell apart subjects with the same name. Keeping the id and
 * the origins in one extension also means one list to read and check.
 *
 * Why an extended key usage and not a certificate policy: EKU says what the key may be used for
 * (signing Farthing offers) and ordinary X.509 software enforces it, so marking it critical
 * keeps the certificate from passing as, say, a TLS server certificate. A policy OID describes
 * how the CA issues, which is not what the wallet needs to know.
 */
import * as v from 'valibot';
import { type Ed25519Verify, ed25519PublicKeyLength } from '../ed25519.ts';
import { FarthingError, invalidArgument } from '../errors.ts';
import {
  assertFieldValues,
  bytesField,
  type FieldValues,
  identifierField,
  listField,
  type MessageField,
} from '../message-fields.ts';
import { identifierSchema } from '../schema.ts';
import { ed25519SubjectPublicKeyInfo } from './algorithms.ts';
import type { CertificateInput, ParsedCertificate } from './certificate.ts';
import type { CertificateTemplate } from './certificate-builder.ts';
import { verifyCertificateChain } from './chain.ts';
import { farthingKeyPurposes, idAtCommonName } from './oids.ts';
import { partyCertificateTemplate, serialNumberHex } from './party-certificate.ts';

export const merchantIdUriPrefix = 'urn:farthing:merchant:';
export const maxMerchantNameLength = 64;
export const maxMerchantOrigins = 16;

// --- the fields and their rules, shared with merchant registration

/** Hosts a browser treats as this machine (W3C Secure Contexts §3.2, "potentially trustworthy"). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/** A serialized https origin, or an http one on a loopback host. */
export function isMerchantOrigin(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.origin !== value) return false; // not in the browser's own serialization
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

// C0/C1 controls, format characters (bidi overrides, zero-width), line/paragraph separators.
const unsafeNameCharacters = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** A display name the wallet can show as the payee without it being disguised. */
export function isMerchantName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= maxMerchantNameLength &&
    value.isWellFormed() &&
    value.trim() === value &&
    !unsafeNameCharacters.test(value)
  );
}

const merchantNameSchema = v.pipe(
  v.string(),
  v.maxLength(maxMerchantNameLength),
  v.check(
    (text: string) => isMerchantName(text),
    `expected a display name of 1–${maxMerchantNameLength} characters`,
  ),
);

const merchantNameField: MessageField<string, string> = {
  assert(value, field) {
    if (!isMerchantName(value)) {
      throw invalidArgument(
        field,
        `must be 1–${maxMerchantNameLength} characters without control characters or surrounding spaces`,
      );
    }
  },
  write: (writer, value, field) => writer.string(value, field, maxMerchantNameLength),
  schema: merchantNameSchema,
  toWire: (value) => value,
};

/** A serialized https origin (http only on loopback hosts), as the certificate names it. */
const merchantOriginField: MessageField<string, string> = {
  assert(value, field) {
    if (!isMerchantOrigin(value)) {
      throw invalidArgument(
        field,
        'must be a serialized https origin (http only on loopback hosts)',
      );
    }
  },
  write: (writer, value, field) => writer.string(value, field),
  schema: v.pipe(
    v.string(),
    v.maxLength(2048),
    v.check(
      (text: string) => isMerchantOrigin(text),
      'expected an https origin (http only on loopback hosts)',
    ),
  ),
  toWire: (value) => value,
};

/**
 * What a merchant certificate certifies, as a field table: the rules here, and the order in
 * which merchant registration (merchant-registration.ts) signs and sends them.
 */
export const merchantCertificateFieldTable = {
  merchantId: identifierField,
  name: merchantNameField,
  /** Serialized origins; at least one, no duplicates. */
  origins: listField(merchantOriginField, {
    max: maxMerchantOrigins,
    items: 'origins',
    distinct: true,
  }),
  /** The merchant's Ed25519 offer-signing public key. */
  offerPublicKey: bytesField(ed25519PublicKeyLength),
};

export type MerchantCertificateFields = FieldValues<typeof merchantCertificateFieldTable>;

/** Throws `invalid_argument` naming the first field that breaks the profile. */
export function assertMerchantCertificateFields(fields: MerchantCertificateFields): void {
  if (typeof fields !== 'object' || fields === null) {
    throw invalidArgument('fields', 'must be an object');
  }
  assertFieldValues(merchantCertificateFieldTable, fields);
}

// --- issuing (the bank's CA signs the template)

export interface MerchantCertificateTemplateParameters extends MerchantCertificateFields {
  readonly serialNumber: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The certificate template for this profile; sign it with `signCertificate`. */
export function merchantCertificateTemplate(
  parameters: MerchantCertificateTemplateParameters,
): CertificateTemplate {
  assertMerchantCertificateFields(parameters);
  return partyCertificateTemplate({
    ...parameters,
    commonName: parameters.name,
    uris: [`${merchantIdUriPrefix}${parameters.merchantId}`, ...parameters.origins],
    subjectPublicKeyInfo: ed25519SubjectPublicKeyInfo(parameters.offerPublicKey),
    usage: 'digitalSignature',
    purpose: farthingKeyPurposes.merchantOfferSigning,
  });
}

// --- verifying (the wallet, before paying)

export interface VerifyMerchantCertificateParameters {
  /** The merchant's certificate, then any intermediates (DER, PEM, or a list of either). */
  readonly chain: CertificateInput | readonly CertificateInput[];
  /** CA certificates of the banks the user trusts. */
  readonly trustedRoots: readonly CertificateInput[];
  /** The page's origin, from the browser (never from the page's own claims). */
  readonly origin: string;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
  readonly ed25519Verify?: Ed25519Verify;
}

export interface VerifiedMerchantCertificate {
  readonly merchantId: string;
  readonly name: string;
  readonly origins: readonly string[];
  /** Raw 32-byte Ed25519 key: verify offers with it (`verifyOffer`). */
  readonly offerPublicKey: Uint8Array;
  /** Milliseconds since the Unix epoch; the wallet may cache the result until then. */
  readonly notAfter: number;
  /** Lower-case hex, to name the certificate in logs and revocation lists. */
  readonly serialNumber: string;
  /** The common name of the trusted bank the chain ends at. */
  readonly issuerName: string | undefined;
}

function profileInvalid(reason: string, field = 'chain.0'): FarthingError {
  return new FarthingError('certificate_invalid', `the merchant certificate ${reason}`, {
    details: { field },
  });
}

function commonNameOf(certificate: ParsedCertificate): string | undefined {
  const names = certificate.subjectAttributes.filter((a) => a.type === idAtCommonName);
  return names.length === 1 ? names[0]!.value : undefined;
}

/**
 * Validates a merchant certificate chain for a payment on `origin` at `now` and returns what
 * the wallet needs. Throws `certificate_invalid`, `certificate_untrusted`,
 * `certificate_not_yet_valid`, `certificate_expired` (chain.ts), then
 * `certificate_wrong_purpose` (not a Farthing merchant certificate), `certificate_invalid`
 * (breaks this profile) and `certificate_origin_mismatch`.
 */
export function verifyMerchantCertificate(
  parameters: VerifyMerchantCertificateParameters,
): VerifiedMerchantCertificate {
  const { origin } = parameters ?? {};
  if (typeof origin !== 'string') {
    throw invalidArgument('origin', 'must be the serialized origin of the page');
  }
  const { leaf, root } = verifyCertificateChain(parameters);

  // The purpose: RFC 5280 §4.2.1.12 and §4.2.1.3.
  if (leaf.extendedKeyUsage?.includes(farthingKeyPurposes.merchantOfferSigning) !== true) {
    throw new FarthingError(
      'certificate_wrong_purpose',
      'the certificate is not a Farthing merchant certificate',
      { details: { field: 'chain.0' } },
    );
  }
  // Without keyUsage a key may do anything (RFC 5280 §4.2.1.3); the profile requires it.
  if (leaf.keyUsage?.has('digitalSignature') !== true) {
    throw new FarthingError(
      'certificate_wrong_purpose',
      'the certificate does not allow its key to sign',
      { details: { field: 'chain.0' } },
    );
  }

  if (leaf.publicKey.type !== 'ed25519') {
    throw profileInvalid('does not certify an Ed25519 offer-signing key');
  }
  const name = commonNameOf(leaf);
  if (!isMerchantName(name)) throw profileInvalid('does not carry one displayable name');

  const merchantIds: string[] = [];
  const origins: string[] = [];
  for (const entry of leaf.subjectAltNames ?? []) {
    if (entry.type === 'uri' && entry.value.startsWith(merchantIdUriPrefix)) {
      merchantIds.push(entry.value.slice(merchantIdUriPrefix.length));
    } else if (entry.type === 'uri' && isMerchantOrigin(entry.value)) {
      origins.push(entry.value);
    } else {
      throw profileInvalid(
        'names something other than the merchant id and https (or loopback http) origins',
      );
    }
  }
  const [merchantId] = merchantIds;
  if (merchantIds.length !== 1 || !v.is(identifierSchema, merchantId)) {
    throw profileInvalid('does not carry exactly one valid merchant id');
  }
  if (origins.length === 0 || new Set(origins).size !== origins.length) {
    throw profileInvalid('does not list its origins once each');
  }

  // Exact match with the browser's serialization of the page origin: no wildcards, no
  // scheme or port leniency, so a certificate for https://shop.example never covers
  // http://shop.example or https://shop.example:8443.
  if (!origins.includes(origin)) {
    throw new FarthingError(
      'certificate_origin_mismatch',
      `the merchant certificate is not valid for ${origin}; this page may be impersonating the shop`,
      { details: { field: 'origin', origin, origins } },
    );
  }

  return Object.freeze({
    merchantId,
    name,
    origins: Object.freeze(origins),
    offerPublicKey: leaf.publicKey.raw.slice(),
    notAfter: leaf.notAfter,
    serialNumber: serialNumberHex(leaf),
    issuerName: commonNameOf(root),
  });
}
