/**
 * The purse card certificate: the issuing bank vouches that an Ed25519 key lives in one of its
 * stored-value cards (DESIGN.md "Hardware purse"). Merchants verify a payment proof offline
 * against it and the bank's CA, with no call to the bank — GeldKarte's DES MACs replaced by
 * public-key signatures.
 *
 * Profile (an X.509 v3 certificate, RFC 5280), beside the merchant profile
 * (x509/merchant-certificate.ts) and signed by the same bank CA:
 *
 *   subject            CN = "Farthing purse card <card id>"
 *   subjectAltName     (not critical) exactly one URI `urn:farthing:purse-card:<card id>`,
 *                      the card id being 16 lower-case hex digits (8 bytes, as printed on it)
 *   subjectPublicKey   the card's Ed25519 key (RFC 8410), made on the card
 *   keyUsage           (critical) digitalSignature only
 *   extKeyUsage        (critical) Farthing purse card, 2.25.…315726.1.4 (oids.ts): the key signs
 *                      payment proofs and load requests, nothing else; critical so the
 *                      certificate cannot pass as a merchant's or a TLS certificate
 *   basicConstraints   (critical) cA FALSE
 *   subjectKeyIdentifier, authorityKeyIdentifier (RFC 7093 §2 method 1)
 */
import { ed25519PublicKeyLength } from '../ed25519.ts';
import { assertBytes, FarthingError } from '../errors.ts';
import { ed25519SubjectPublicKeyInfo } from '../x509/algorithms.ts';
import type { CertificateTemplate } from '../x509/certificate-builder.ts';
import { type VerifyCertificateChainParameters, verifyCertificateChain } from '../x509/chain.ts';
import { farthingKeyPurposes } from '../x509/oids.ts';
import {
  certifiesPurpose,
  partyCertificateTemplate,
  serialNumberHex,
} from '../x509/party-certificate.ts';

export const purseCardUriPrefix = 'urn:farthing:purse-card:';
export const cardIdPattern = /^[0-9a-f]{16}$/;

export function isCardId(value: unknown): value is string {
  return typeof value === 'string' && cardIdPattern.test(value);
}

export function assertCardId(value: unknown, field = 'cardId'): asserts value is string {
  if (!isCardId(value)) {
    throw new FarthingError('invalid_argument', `"${field}" must be 16 lower-case hex digits`, {
      details: { field },
    });
  }
}

export interface PurseCardCertificateTemplateParameters {
  readonly cardId: string;
  readonly cardPublicKey: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The certificate template for this profile; the bank's CA signs it with `signCertificate`. */
export function purseCardCertificateTemplate(
  parameters: PurseCardCertificateTemplateParameters,
): CertificateTemplate {
  assertCardId(parameters.cardId);
  assertBytes(parameters.cardPublicKey, 'cardPublicKey', ed25519PublicKeyLength);
  return partyCertificateTemplate({
    ...parameters,
    commonName: `Farthing purse card ${parameters.cardId}`,
    uris: [`${purseCardUriPrefix}${parameters.cardId}`],
    subjectPublicKeyInfo: ed25519SubjectPublicKeyInfo(parameters.cardPublicKey),
    usage: 'digitalSignature',
    purpose: farthingKeyPurposes.purseCard,
  });
}

/** A card's chain; `trustedRoots` are the issuing banks' CA certificates the verifier trusts. */
export interface VerifyPurseCardCertificateParameters extends VerifyCertificateChainParameters {}

export interface VerifiedPurseCardCertificate {
  readonly cardId: string;
  readonly cardPublicKey: Uint8Array;
  readonly notAfter: number;
  /** Lower-case hex. */
  readonly serialNumber: string;
}

function profileInvalid(reason: string): FarthingError {
  return new FarthingError('certificate_invalid', `the purse card certificate ${reason}`, {
    details: { field: 'chain.0' },
  });
}

/**
 * Validates a card certificate chain at `now`: `certificate_invalid`, `certificate_untrusted`,
 * `certificate_not_yet_valid`, `certificate_expired` (x509/chain.ts), then
 * `certificate_wrong_purpose` and `certificate_invalid` for this profile.
 */
export function verifyPurseCardCertificate(
  parameters: VerifyPurseCardCertificateParameters,
): VerifiedPurseCardCertificate {
  const { leaf } = verifyCertificateChain(parameters);
  if (!certifiesPurpose(leaf, farthingKeyPurposes.purseCard, 'digitalSignature')) {
    throw new FarthingError(
      'certificate_wrong_purpose',
      'the certificate is not a Farthing purse card certificate',
      { details: { field: 'chain.0' } },
    );
  }
  if (leaf.publicKey.type !== 'ed25519') throw profileInvalid('does not certify an Ed25519 key');
  const names = leaf.subjectAltNames ?? [];
  const only = names[0];
  if (names.length !== 1 || only?.type !== 'uri' || !only.value.startsWith(purseCardUriPrefix)) {
    throw profileInvalid('does not name exactly one card');
  }
  const cardId = only.value.slice(purseCardUriPrefix.length);
  if (!isCardId(cardId)) throw profileInvalid('names a malformed card id');
  return Object.freeze({
    cardId,
    cardPublicKey: leaf.publicKey.raw.slice(),
    notAfter: leaf.notAfter,
    serialNumber: serialNumberHex(leaf),
  });
}
