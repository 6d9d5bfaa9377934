/**
 * Reading one X.509 v3 certificate (RFC 5280 §4) into the facts path validation and the
 * profiles need. DER decoding is @peculiar/asn1-x509; this module adds the checks RFC 5280
 * puts on a conforming certificate and refuses anything it cannot fully account for.
 *
 * Every failure is `certificate_invalid`: the bytes are not a certificate we can reason about.
 * Whether it is trusted, current, or fit for a purpose is for chain.ts and the profiles.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  type Name,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  Version,
} from '@peculiar/asn1-x509';
import { equalBytes } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import {
  type CertificatePublicKey,
  type CertificateSignatureAlgorithm,
  certificatePublicKey,
  signatureAlgorithm,
} from './algorithms.ts';
import { extensionOids } from './oids.ts';
import { decodePem } from './pem.ts';

/** DER bytes, or PEM text holding one or more CERTIFICATE blocks. */
export type CertificateInput = Uint8Array | string;

/** RFC 5280 §4.2.1.3, in bit order. */
export const keyUsageNames = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof keyUsageNames)[number];

export type SubjectAltName =
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'other' };

export interface NameAttribute {
  /** Attribute type OID, e.g. 2.5.4.3 (commonName). */
  readonly type: string;
  /** The value when it is a UTF8String or PrintableString; undefined for any other syntax. */
  readonly value: string | undefined;
}

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** The exact bytes the issuer signed (RFC 5280 §4.1.1.1). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: CertificateSignatureAlgorithm;
  readonly signature: Uint8Array;
  /** Unsigned big-endian, without leading zero bytes. */
  readonly serialNumber: Uint8Array;
  /** DER of the issuer and subject Names, for name chaining (RFC 5280 §6.1.3 (a)(4)). */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly subjectAttributes: readonly NameAttribute[];
  /** Milliseconds since the Unix epoch; valid from notBefore through notAfter inclusive. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly publicKey: CertificatePublicKey;
  readonly basicConstraints: { readonly cA: boolean; readonly pathLength?: number } | undefined;
  readonly keyUsage: ReadonlySet<KeyUsageName> | undefined;
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly subjectAltNames: readonly SubjectAltName[] | undefined;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
}

/** RFC 5280 §4.2: extensions this module understands, so they may be marked critical. */
const recognizedExtensions = new Set<string>(Object.values(extensionOids));

function invalid(reason: string, field = 'certificate', cause?: unknown): FarthingError {
  return new FarthingError('certificate_invalid', `the certificate ${reason}`, {
    details: { field },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Decodes `bytes` as `type` and insists that re-encoding gives the same bytes: RFC 5280 §4.1
 * requires DER, and a value with trailing bytes or a BER-only form is refused, so every
 * certificate has exactly one encoding. `normalize` repairs what the decoder cannot represent
 * (see `decimalObjectIdentifier`) before re-encoding.
 */
function decodeDer<T>(
  bytes: Uint8Array,
  type: new () => T,
  what: string,
  field: string,
  normalize: (value: T) => T = (value) => value,
): T {
  let value: T;
  let again: Uint8Array;
  try {
    value = normalize(AsnConvert.parse(bytes, type));
    again = new Uint8Array(AsnConvert.serialize(value));
  } catch (cause) {
    throw invalid(`has a malformed ${what}`, field, cause);
  }
  if (!equalBytes(again, bytes)) throw invalid(`has a ${what} that is not DER`, field);
  return value;
}

/**
 * asn1js (under @peculiar/asn1-schema) decodes an OID arc above 2^53 as "{hex}" of its
 * base-128 digits instead of a decimal number, and cannot re-encode that form. UUID-derived
 * OIDs (2.25.<128-bit integer>, oids.ts) always have such an arc, so it is rewritten here:
 * X.690 §8.19.2, each hex pair is one 7-bit digit, most significant first. Encoding decimal
 * arcs of any size works in the library, so the DER round trip still checks the result.
 */
export function decimalObjectIdentifier(text: string): string {
  return text.replace(/\{([0-9a-f]+)\}/g, (_, digits: string) => {
    let value = 0n;
    for (let i = 0; i < digits.length; i += 2) {
      value = (value << 7n) | BigInt(Number.parseInt(digits.slice(i, i + 2), 16) & 0x7f);
    }
    return value.toString();
  });
}

/** Parses every certificate of `input`: DER bytes are one certificate, PEM may hold several. */
export function readCertificates(
  input: CertificateInput,
  field = 'certificate',
): ParsedCertificate[] {
  if (typeof input === 'string') {
    let blocks: Uint8Array[];
    try {
      blocks = decodePem(input, 'CERTIFICATE');
    } catch (cause) {
      throw invalid('is neither DER nor PEM text with CERTIFICATE blocks', field, cause);
    }
    return blocks.map((der, index) =>
      parseCertificate(der, blocks.length === 1 ? field : `${field}.${index}`),
    );
  }
  return [parseCertificate(input, field)];
}

function serialNumberOf(raw: Uint8Array, field: string): Uint8Array {
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.
  if (raw.length === 0 || raw.length > 20 || (raw[0]! & 0x80) !== 0) {
    throw invalid('has a serial number that is not a positive integer of at most 20 octets', field);
  }
  let start = 0;
  while (start < raw.length - 1 && raw[start] === 0) start++;
  if (raw[start] === 0) throw invalid('has serial number zero', field);
  return raw.slice(start);
}

function attributesOf(name: Name): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      const { utf8String, printableString } = attribute.value;
      out.push({ type: attribute.type, value: utf8String ?? printableString });
    }
  }
  return out;
}

function keyUsageOf(bits: KeyUsage): Set<KeyUsageName> {
  const bytes = new Uint8Array(bits.value);
  const names = new Set<KeyUsageName>();
  for (const [index, name] of keyUsageNames.entries()) {
    const byte = bytes[index >> 3];
    if (byte !== undefined && (byte & (0x80 >> (index & 7))) !== 0) names.add(name);
  }
  return names;
}

function subjectAltNamesOf(names: SubjectAlternativeName): SubjectAltName[] {
  return names.map((name): SubjectAltName => {
    if (name.uniformResourceIdentifier !== undefined) {
      return { type: 'uri', value: name.uniformResourceIdentifier };
    }
    if (name.dNSName !== undefined) return { type: 'dns', value: name.dNSName };
    return { type: 'other' };
  });
}

/** Parses one DER certificate; throws `certificate_invalid` naming `field`. */
export function parseCertificate(der: Uint8Array, field = 'certificate'): ParsedCertificate {
  if (!(der instanceof Uint8Array) || der.length === 0) {
    throw invalid('is not DER bytes or PEM text', field);
  }
  const certificate = decodeDer(der, Certificate, 'encoding', field);
  const tbsCertificate = certificate.tbsCertificate;
  const tbsRaw = certificate.tbsCertificateRaw;
  if (tbsRaw === undefined) throw invalid('has no TBSCertificate', field);

  // RFC 5280 §4.1.2.1: extensions exist only in v3.
  if (tbsCertificate.version !== Version.v3) throw invalid('is not an X.509 v3 certificate', field);
  // RFC 5280 §4.1.1.2 and §4.1.2.3: the outer and inner algorithm identifiers MUST match.
  if (!certificate.signatureAlgorithm.isEqual(tbsCertificate.signature)) {
    throw invalid('names two different signature algorithms', field);
  }
  const algorithm = signatureAlgorithm(certificate.signatureAlgorithm);
  if (algorithm === undefined) {
    throw invalid(
      `is signed with ${certificate.signatureAlgorithm.algorithm}; only Ed25519 and ECDSA P-256 SHA-256 are accepted`,
      field,
    );
  }

  let basicConstraints: ParsedCertificate['basicConstraints'];
  let keyUsage: ParsedCertificate['keyUsage'];
  let extendedKeyUsage: ParsedCertificate['extendedKeyUsage'];
  let subjectAltNames: ParsedCertificate['subjectAltNames'];
  let subjectKeyIdentifier: Uint8Array | undefined;
  let authorityKeyIdentifier: Uint8Array | undefined;
  const seen = new Set<string>();
  for (const extension of tbsCertificate.extensions ?? []) {
    const id = extension.extnID;
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(id)) throw invalid(`repeats extension ${id}`, field);
    seen.add(id);
    // RFC 5280 §4.2: refuse a certificate with a critical extension we do not process.
    if (!recognizedExtensions.has(id)) {
      if (extension.critical) throw invalid(`has unrecognized critical extension ${id}`, field);
      continue;
    }
    const value = new Uint8Array(extension.extnValue.buffer);
    const where = `${field}.extensions.${id}`;
    switch (id) {
      case extensionOids.basicConstraints: {
        const parsed = decodeDer(value, BasicConstraints, 'basicConstraints', where);
        const pathLength = parsed.pathLenConstraint;
        if (pathLength !== undefined && (!Number.isSafeInteger(pathLength) || pathLength < 0)) {
          throw invalid('has a negative or huge pathLenConstraint', where);
        }
        basicConstraints = { cA: parsed.cA, ...(pathLength === undefined ? {} : { pathLength }) };
        break;
      }
      case extensionOids.keyUsage:
        keyUsage = keyUsageOf(decodeDer(value, KeyUsage, 'keyUsage', where));
        // RFC 5280 §4.2.1.3: "at least one of the bits in the KeyUsage type MUST be set to 1".
        if (keyUsage.size === 0) throw invalid('has an empty keyUsage', where);
        break;
      case extensionOids.extKeyUsage:
        extendedKeyUsage = [
          ...decodeDer(
            value,
            ExtendedKeyUsage,
            'extKeyUsage',
            where,
            (list) => new ExtendedKeyUsage(list.map(decimalObjectIdentifier)),
          ),
        ];
        if (extendedKeyUsage.length === 0) throw invalid('has an empty extKeyUsage', where);
        break;
      case extensionOids.subjectAltName:
        subjectAltNames = subjectAltNamesOf(
          decodeDer(value, SubjectAlternativeName, 'subjectAltName', where),
        );
        // RFC 5280 §4.2.1.6: "the subjectAltName extension MUST contain at least one entry".
        if (subjectAltNames.length === 0) throw invalid('has an empty subjectAltName', where);
        break;
      case extensionOids.subjectKeyIdentifier:
        subjectKeyIdentifier = new Uint8Array(
          decodeDer(value, SubjectKeyIdentifier, 'subjectKeyIdentifier', where).buffer,
        );
        break;
      case extensionOids.authorityKeyIdentifier: {
        const parsed = decodeDer(value, AuthorityKeyIdentifier, 'authorityKeyIdentifier', where);
        if (parsed.keyIdentifier !== undefined) {
          authorityKeyIdentifier = new Uint8Array(parsed.keyIdentifier.buffer);
        }
        break;
      }
    }
  }

  let notBefore: number;
  let notAfter: number;
  try {
    notBefore = tbsCertificate.validity.notBefore.getTime().getTime();
    notAfter = tbsCertificate.validity.notAfter.getTime().getTime();
  } catch (cause) {
    throw invalid('has an unreadable validity period', field, cause);
  }
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter) || notAfter < notBefore) {
    throw invalid('has a validity period that ends before it starts', field);
  }

  return Object.freeze({
    der: der.slice(),
    tbs: new Uint8Array(tbsRaw),
    signatureAlgorithm: algorithm,
    signature: new Uint8Array(certificate.signatureValue),
    serialNumber: serialNumberOf(new Uint8Array(tbsCertificate.serialNumber), field),
    issuer: new Uint8Array(AsnConvert.serialize(tbsCertificate.issuer)),
    subject: new Uint8Array(AsnConvert.serialize(tbsCertificate.subject)),
    subjectAttributes: attributesOf(tbsCertificate.subject),
    notBefore,
    notAfter,
    publicKey: certificatePublicKey(tbsCertificate.subjectPublicKeyInfo),
    basicConstraints,
    keyUsage,
    extendedKeyUsage,
    subjectAltNames,
    subjectKeyIdentifier,
    authorityKeyIdentifier,
  });
}
