/**
 * Writing X.509 v3 certificates (RFC 5280 §4.1): a template of subject, key, validity and
 * extensions, signed by a `CertificateSigner`. Generic on purpose: each profile (merchant
 * certificates now, SET cardholder and gateway certificates later) builds its own template
 * and extensions, and a CA signs them all the same way.
 *
 * The encoder is @peculiar/asn1-x509, and the output is read back with certificate.ts before
 * it is returned, so nothing is issued that our own verifier would not read.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { equalBytes } from '../encoding.ts';
import { assertBytes, assertInteger, assertString, FarthingError } from '../errors.ts';
import {
  type CertificateSigner,
  certificatePublicKey,
  keyIdentifier,
  signatureAlgorithmIdentifier,
  toArrayBuffer,
} from './algorithms.ts';
import { type KeyUsageName, keyUsageNames, parseCertificate } from './certificate.ts';
import { extensionOids } from './oids.ts';

export interface CertificateExtension {
  readonly id: string;
  readonly critical: boolean;
  /** DER of the extension's value (what goes inside extnValue's OCTET STRING). */
  readonly value: Uint8Array;
}

export interface CertificateTemplate {
  /** Positive, unsigned big-endian, 1–20 bytes (RFC 5280 §4.1.2.2). */
  readonly serialNumber: Uint8Array;
  /** DER Name, e.g. from `distinguishedName`. */
  readonly subject: Uint8Array;
  /** Milliseconds since the Unix epoch; certificates count in whole seconds, so both are
   * rounded down to the second. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** DER SubjectPublicKeyInfo of the key being certified. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly extensions: readonly CertificateExtension[];
}

/** Who signs: the issuing CA's name and key identifier (from its own certificate) and key. */
export interface CertificateIssuer {
  /** DER Name: the subject of the issuer's certificate. */
  readonly name: Uint8Array;
  /** The subjectKeyIdentifier of the issuer's certificate, repeated as authorityKeyIdentifier. */
  readonly keyIdentifier: Uint8Array;
  readonly signer: CertificateSigner;
}

function encode(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

function decodeArgument<T>(bytes: Uint8Array, type: new () => T, field: string): T {
  try {
    return AsnConvert.parse(bytes, type);
  } catch (cause) {
    throw new FarthingError('invalid_argument', `"${field}" is not DER of the expected type`, {
      details: { field },
      cause,
    });
  }
}

/** RFC 5280 §4.1.2.4/§4.1.2.6: a Name of single-valued RDNs, values as UTF8String. */
export function distinguishedName(
  attributes: readonly { readonly type: string; readonly value: string }[],
): Uint8Array {
  if (!Array.isArray(attributes) || attributes.length === 0) {
    throw new FarthingError('invalid_argument', 'expected at least one name attribute', {
      details: { field: 'attributes' },
    });
  }
  const rdns = attributes.map(({ type, value }, index) => {
    assertString(type, `attributes.${index}.type`, 128);
    // RFC 5280 Appendix A: ub-name and friends cap most attributes at 64 characters or fewer.
    assertString(value, `attributes.${index}.value`, 64);
    return new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  });
  return encode(new Name(rdns));
}

/** RFC 5280 §4.2.1.9; MUST be critical in CA certificates, so it always is here. */
export function basicConstraintsExtension(cA: boolean, pathLength?: number): CertificateExtension {
  if (pathLength !== undefined) assertInteger(pathLength, 'pathLength', 0, 255);
  const value = new BasicConstraints({
    cA,
    ...(cA && pathLength !== undefined ? { pathLenConstraint: pathLength } : {}),
  });
  return { id: extensionOids.basicConstraints, critical: true, value: encode(value) };
}

/** RFC 5280 §4.2.1.3; "SHOULD mark this extension critical". */
export function keyUsageExtension(usages: readonly KeyUsageName[]): CertificateExtension {
  let flags = 0;
  for (const usage of usages) {
    const bit = keyUsageNames.indexOf(usage);
    if (bit < 0) {
      throw new FarthingError('invalid_argument', `unknown key usage "${String(usage)}"`, {
        details: { field: 'usages' },
      });
    }
    flags |= 1 << bit; // the library numbers bits from digitalSignature = 1
  }
  if (flags === 0) {
    throw new FarthingError('invalid_argument', 'expected at least one key usage', {
      details: { field: 'usages' },
    });
  }
  return { id: extensionOids.keyUsage, critical: true, value: encode(new KeyUsage(flags)) };
}

/** RFC 5280 §4.2.1.12. Critical restricts the key to exactly these purposes. */
export function extendedKeyUsageExtension(
  purposes: readonly string[],
  critical: boolean,
): CertificateExtension {
  return {
    id: extensionOids.extKeyUsage,
    critical,
    value: encode(new ExtendedKeyUsage([...purposes])),
  };
}

/** RFC 5280 §4.2.1.6: URIs as uniformResourceIdentifier (IA5String, so ASCII only). */
export function subjectAltNameUrisExtension(uris: readonly string[]): CertificateExtension {
  for (const [index, uri] of uris.entries()) {
    assertString(uri, `uris.${index}`);
    if (!/^[\x21-\x7e]+$/.test(uri)) {
      throw new FarthingError('invalid_argument', `"uris.${index}" must be printable ASCII`, {
        details: { field: `uris.${index}` },
      });
    }
  }
  const names = uris.map((uri) => new GeneralName({ uniformResourceIdentifier: uri }));
  return {
    id: extensionOids.subjectAltName,
    critical: false,
    value: encode(new SubjectAlternativeName(names)),
  };
}

/** RFC 5280 §4.2.1.2 (MUST appear in CA certificates, SHOULD in others); never critical. */
export function subjectKeyIdentifierExtension(identifier: Uint8Array): CertificateExtension {
  assertBytes(identifier, 'identifier');
  const value = new SubjectKeyIdentifier(toArrayBuffer(identifier));
  return { id: extensionOids.subjectKeyIdentifier, critical: false, value: encode(value) };
}

/** RFC 5280 §4.2.1.1 (MUST appear except in self-signed certificates); never critical. */
export function authorityKeyIdentifierExtension(identifier: Uint8Array): CertificateExtension {
  assertBytes(identifier, 'identifier');
  const value = new AuthorityKeyIdentifier({
    keyIdentifier: new KeyIdentifier(toArrayBuffer(identifier)),
  });
  return { id: extensionOids.authorityKeyIdentifier, critical: false, value: encode(value) };
}

function encodeSerialNumber(serial: Uint8Array): ArrayBuffer {
  assertBytes(serial, 'serialNumber');
  let start = 0;
  while (start < serial.length && serial[start] === 0) start++;
  const magnitude = serial.subarray(start);
  if (magnitude.length === 0 || magnitude.length > 20 || (magnitude[0]! & 0x80) !== 0) {
    throw new FarthingError(
      'invalid_argument',
      '"serialNumber" must be a positive integer of at most 20 octets',
      { details: { field: 'serialNumber' } },
    );
  }
  return toArrayBuffer(magnitude); // a positive INTEGER needs no sign octet once bit 8 is clear
}

function wholeSeconds(value: number, field: string): Date {
  assertInteger(value, field);
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; the library chooses.
  return new Date(value - (value % 1000));
}

/**
 * Signs `template` as `issuer` and returns the DER certificate. Adds the authorityKeyIdentifier
 * from the issuer; the template brings every other extension.
 */
export async function signCertificate(
  template: CertificateTemplate,
  issuer: CertificateIssuer,
): Promise<Uint8Array> {
  assertBytes(template?.subject, 'subject');
  assertBytes(template.subjectPublicKeyInfo, 'subjectPublicKeyInfo');
  assertBytes(issuer?.name, 'issuer.name');
  assertBytes(issuer.keyIdentifier, 'issuer.keyIdentifier');
  if (typeof issuer.signer?.sign !== 'function') {
    throw new FarthingError('invalid_argument', 'expected a certificate signer "issuer.signer"', {
      details: { field: 'issuer.signer' },
    });
  }
  const notBefore = wholeSeconds(template.notBefore, 'notBefore');
  const notAfter = wholeSeconds(template.notAfter, 'notAfter');
  if (notAfter.getTime() < notBefore.getTime()) {
    throw new FarthingError('invalid_argument', '"notAfter" must not be before "notBefore"', {
      details: { field: 'notAfter' },
    });
  }
  const algorithm = signatureAlgorithmIdentifier(issuer.signer.algorithm);
  const extensions = [
    ...template.extensions,
    authorityKeyIdentifierExtension(issuer.keyIdentifier),
  ].map(
    (extension) =>
      new Extension({
        extnID: extension.id,
        critical: extension.critical,
        extnValue: new OctetString(toArrayBuffer(extension.value)),
      }),
  );
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: encodeSerialNumber(template.serialNumber),
    signature: algorithm,
    issuer: decodeArgument(issuer.name, Name, 'issuer.name'),
    validity: new Validity({ notBefore, notAfter }),
    subject: decodeArgument(template.subject, Name, 'subject'),
    subjectPublicKeyInfo: decodeArgument(
      template.subjectPublicKeyInfo,
      SubjectPublicKeyInfo,
      'subjectPublicKeyInfo',
    ),
    extensions: new Extensions(extensions),
  });
  const signature = await issuer.signer.sign(encode(tbsCertificate));
  assertBytes(signature, 'signature');
  const der = encode(
    new Certificate({
      tbsCertificate,
      signatureAlgorithm: algorithm,
      signatureValue: toArrayBuffer(signature),
    }),
  );
  parseCertificate(der); // refuse to hand out what our own verifier cannot read
  return der;
}

export interface SelfSignedCaTemplate {
  readonly serialNumber: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  /** RFC 5280 §4.2.1.9 pathLenConstraint; 0 lets the CA issue only end-entity certificates. */
  readonly pathLength?: number;
}

/**
 * A self-signed trust anchor for `signer`'s key: basicConstraints cA (critical), keyUsage
 * keyCertSign and cRLSign (critical), subjectKeyIdentifier. Returns the DER certificate and the
 * issuer to sign with.
 */
export async function signSelfSignedCaCertificate(
  template: SelfSignedCaTemplate,
  signer: CertificateSigner,
): Promise<{ readonly certificate: Uint8Array; readonly issuer: CertificateIssuer }> {
  const identifier = keyIdentifier(signer.subjectPublicKeyInfo);
  const issuer: CertificateIssuer = { name: template.subject, keyIdentifier: identifier, signer };
  const certificate = await signCertificate(
    {
      serialNumber: template.serialNumber,
      subject: template.subject,
      notBefore: template.notBefore,
      notAfter: template.notAfter,
      subjectPublicKeyInfo: signer.subjectPublicKeyInfo,
      extensions: [
        basicConstraintsExtension(true, template.pathLength),
        keyUsageExtension(['keyCertSign', 'cRLSign']),
        subjectKeyIdentifierExtension(identifier),
      ],
    },
    issuer,
  );
  return { certificate, issuer };
}

/**
 * The issuer for a CA whose certificate (DER) and signer are at hand, e.g. loaded from storage.
 * Throws `invalid_argument` unless the certificate is a CA certificate for the signer's key.
 */
export function certificateIssuer(
  certificate: Uint8Array,
  signer: CertificateSigner,
): CertificateIssuer {
  const parsed = parseCertificate(certificate);
  const key = certificatePublicKey(
    decodeArgument(
      signer?.subjectPublicKeyInfo,
      SubjectPublicKeyInfo,
      'signer.subjectPublicKeyInfo',
    ),
  );
  if (
    key.type === 'unsupported' ||
    key.type !== parsed.publicKey.type ||
    !equalBytes(key.raw, parsed.publicKey.raw)
  ) {
    throw new FarthingError('invalid_argument', "the signer's key is not the certificate's key", {
      details: { field: 'signer' },
    });
  }
  if (parsed.basicConstraints?.cA !== true || parsed.keyUsage?.has('keyCertSign') !== true) {
    throw new FarthingError('invalid_argument', 'the certificate is not a CA certificate', {
      details: { field: 'certificate' },
    });
  }
  return {
    name: parsed.subject,
    keyIdentifier: parsed.subjectKeyIdentifier ?? keyIdentifier(signer.subjectPublicKeyInfo),
    signer,
  };
}
