/**
 * What every certificate the bank's CA issues to a party has in common (the merchant, purse
 * card, SET cardholder and payment gateway profiles): an end-entity X.509 v3 certificate
 * (RFC 5280) with one common name, subjectAltName URIs that name the party, one key usage, one
 * critical Farthing extended key usage (so it cannot pass as another profile's or a TLS
 * certificate), cA FALSE and a subject key identifier (RFC 7093 §2 method 1). Each profile
 * module says what its names, URIs, key and purpose are.
 */
import { keyIdentifier } from './algorithms.ts';
import type { KeyUsageName, ParsedCertificate } from './certificate.ts';
import {
  basicConstraintsExtension,
  type CertificateTemplate,
  distinguishedName,
  extendedKeyUsageExtension,
  keyUsageExtension,
  subjectAltNameUrisExtension,
  subjectKeyIdentifierExtension,
} from './certificate-builder.ts';
import { idAtCommonName } from './oids.ts';

export interface PartyCertificateTemplateParameters {
  readonly serialNumber: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly commonName: string;
  /** The subjectAltName URIs, in order. */
  readonly uris: readonly string[];
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly usage: KeyUsageName;
  /** The Farthing key purpose (oids.ts `farthingKeyPurposes`). */
  readonly purpose: string;
}

/** The template the bank's CA signs with `signCertificate`. */
export function partyCertificateTemplate(
  parameters: PartyCertificateTemplateParameters,
): CertificateTemplate {
  return {
    serialNumber: parameters.serialNumber,
    subject: distinguishedName([{ type: idAtCommonName, value: parameters.commonName }]),
    notBefore: parameters.notBefore,
    notAfter: parameters.notAfter,
    subjectPublicKeyInfo: parameters.subjectPublicKeyInfo,
    extensions: [
      basicConstraintsExtension(false),
      keyUsageExtension([parameters.usage]),
      extendedKeyUsageExtension([parameters.purpose], true),
      subjectAltNameUrisExtension(parameters.uris),
      subjectKeyIdentifierExtension(keyIdentifier(parameters.subjectPublicKeyInfo)),
    ],
  };
}

/**
 * Whether the certificate's key is for `purpose` and may do `usage`: both extensions present
 * and saying so (RFC 5280 §4.2.1.12, §4.2.1.3: without keyUsage a key may do anything, so the
 * profiles require it).
 */
export function certifiesPurpose(
  certificate: ParsedCertificate,
  purpose: string,
  usage: KeyUsageName,
): boolean {
  return (
    certificate.extendedKeyUsage?.includes(purpose) === true &&
    certificate.keyUsage?.has(usage) === true
  );
}

/** Lower-case hex of a serial number, as logs and revocation lists name a certificate. */
export function serialNumberHex(certificate: ParsedCertificate): string {
  return Array.from(certificate.serialNumber, (byte) => byte.toString(16).padStart(2, '0')).join(
    '',
  );
}
