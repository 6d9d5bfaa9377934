/**
 * SET's certificate profiles under the bank's CA (X.509 v3, RFC 5280), beside the merchant
 * certificate (x509/merchant-certificate.ts):
 *
 * Cardholder certificate (oids.ts `.1.2`): certifies the Ed25519 key that makes dual
 * signatures, for one card account, without naming the card:
 *
 *   subject           CN = "Cardholder" (the same for everyone: the certificate says nothing
 *                     about who the cardholder is)
 *   subjectAltName    exactly one URI `urn:farthing:card-account:<b64u SHA-256>` where the
 *                     digest is `cardAccountDigest(PAN, expiry, card secret)` (card-account.ts)
 *   subjectPublicKey  Ed25519 (RFC 8410)
 *   keyUsage          (critical) digitalSignature
 *   extKeyUsage       (critical) Farthing SET cardholder
 *   basicConstraints  (critical) cA FALSE; subjectKeyIdentifier
 *   validity          no longer than the card; the bank may revoke one earlier
 *
 * Payment gateway certificates (oids.ts `.1.3`), two as in SET (Book 2 §4.3: a signature
 * certificate and a key-exchange certificate), both naming `urn:farthing:gateway:<id>`:
 *
 *   signature         Ed25519 key, keyUsage digitalSignature: signs the gateway's answers
 *   key exchange      X25519 key (RFC 8410), keyUsage keyAgreement: PI envelopes are sealed
 *                     to it (HPKE, hpke.ts); its SHA-256 fingerprint is what OI and PI name
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Ed25519Verify } from '../ed25519.ts';
import { fromBase64url, toBase64url } from '../encoding.ts';
import { assertBytes, assertString, FarthingError } from '../errors.ts';
import { ed25519SubjectPublicKeyInfo, x25519SubjectPublicKeyInfo } from '../x509/algorithms.ts';
import type { CertificateInput, KeyUsageName, ParsedCertificate } from '../x509/certificate.ts';
import type { CertificateTemplate } from '../x509/certificate-builder.ts';
import { type VerifyCertificateChainParameters, verifyCertificateChain } from '../x509/chain.ts';
import { farthingKeyPurposes } from '../x509/oids.ts';
import {
  certifiesPurpose,
  partyCertificateTemplate,
  serialNumberHex,
} from '../x509/party-certificate.ts';
import { digestLength } from './fields.ts';

export const cardAccountUriPrefix = 'urn:farthing:card-account:';
export const gatewayUriPrefix = 'urn:farthing:gateway:';
export const cardholderCommonName = 'Cardholder';

interface Validity {
  readonly serialNumber: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

export function cardholderCertificateTemplate(
  parameters: Validity & { readonly publicKey: Uint8Array; readonly accountDigest: Uint8Array },
): CertificateTemplate {
  assertBytes(parameters.accountDigest, 'accountDigest', digestLength);
  return partyCertificateTemplate({
    ...parameters,
    commonName: cardholderCommonName,
    uris: [`${cardAccountUriPrefix}${toBase64url(parameters.accountDigest)}`],
    subjectPublicKeyInfo: ed25519SubjectPublicKeyInfo(parameters.publicKey),
    usage: 'digitalSignature',
    purpose: farthingKeyPurposes.setCardholder,
  });
}

export interface GatewayCertificateParameters extends Validity {
  /** Names the gateway: the bank's id. */
  readonly gatewayId: string;
  readonly name: string;
}

type GatewayKeyParameters = GatewayCertificateParameters & { readonly publicKey: Uint8Array };

/** A gateway's two certificates differ only in the key's kind and what it may do. */
function gatewayTemplate(
  parameters: GatewayKeyParameters,
  subjectPublicKeyInfo: (publicKey: Uint8Array) => Uint8Array,
  usage: 'digitalSignature' | 'keyAgreement',
): CertificateTemplate {
  assertString(parameters.gatewayId, 'gatewayId', 128);
  return partyCertificateTemplate({
    ...parameters,
    commonName: parameters.name,
    uris: [`${gatewayUriPrefix}${parameters.gatewayId}`],
    subjectPublicKeyInfo: subjectPublicKeyInfo(parameters.publicKey),
    usage,
    purpose: farthingKeyPurposes.setPaymentGateway,
  });
}

export function gatewaySignatureCertificateTemplate(
  parameters: GatewayKeyParameters,
): CertificateTemplate {
  return gatewayTemplate(parameters, ed25519SubjectPublicKeyInfo, 'digitalSignature');
}

export function gatewayKeyExchangeCertificateTemplate(
  parameters: GatewayKeyParameters,
): CertificateTemplate {
  return gatewayTemplate(parameters, x25519SubjectPublicKeyInfo, 'keyAgreement');
}

// --- verifying

export interface VerifySetCertificateParameters extends VerifyCertificateChainParameters {}

function wrongPurpose(what: string, field: string): FarthingError {
  return new FarthingError('certificate_wrong_purpose', `the certificate is not a ${what}`, {
    details: { field },
  });
}

function invalid(reason: string, field: string): FarthingError {
  return new FarthingError('certificate_invalid', `the certificate ${reason}`, {
    details: { field },
  });
}

/** The single URI with `prefix` the profile requires, without the prefix. */
function onlyUri(leaf: ParsedCertificate, prefix: string, field: string): string {
  const names = leaf.subjectAltNames ?? [];
  const [name] = names;
  if (names.length !== 1 || name?.type !== 'uri' || !name.value.startsWith(prefix)) {
    throw invalid(`must name exactly one ${prefix}… URI`, field);
  }
  return name.value.slice(prefix.length);
}

function checkPurpose(
  leaf: ParsedCertificate,
  purpose: string,
  usage: KeyUsageName,
  what: string,
  field: string,
): void {
  if (!certifiesPurpose(leaf, purpose, usage)) throw wrongPurpose(what, field);
}

export interface VerifiedCardholderCertificate {
  /** Ed25519 key that makes the dual signatures. */
  readonly publicKey: Uint8Array;
  readonly accountDigest: Uint8Array;
  /** Lower-case hex; the bank revokes by serial. */
  readonly serialNumber: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Chain to a trusted bank, then the cardholder profile. */
export function verifyCardholderCertificate(
  parameters: VerifySetCertificateParameters,
  field = 'cardholderCertificate',
): VerifiedCardholderCertificate {
  const { leaf } = verifyCertificateChain(parameters);
  checkPurpose(
    leaf,
    farthingKeyPurposes.setCardholder,
    'digitalSignature',
    'SET cardholder certificate',
    field,
  );
  if (leaf.publicKey.type !== 'ed25519') throw invalid('does not certify an Ed25519 key', field);
  const accountDigest = fromBase64url(
    onlyUri(leaf, cardAccountUriPrefix, field),
    `${field}.accountDigest`,
    digestLength,
  );
  return {
    publicKey: leaf.publicKey.raw.slice(),
    accountDigest,
    serialNumber: serialNumberHex(leaf),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
  };
}

/**
 * `verifyCardholderCertificate` for one set of trusted roots, remembering chains it accepted:
 * the answer depends only on the chain's bytes, the roots and the time, so a chain seen before
 * is accepted again without parsing while `now` is inside its validity. A cardholder buys
 * again and again with one certificate, and parsing and checking the chain was most of a
 * merchant's or gateway's time per purchase. Refusals are not remembered. Revocation is the
 * caller's to check on every use (the bank keeps it; a cache here must not hide it).
 */
export function cardholderCertificateVerifier(parameters: {
  readonly trustedRoots: readonly CertificateInput[];
  readonly ed25519Verify?: Ed25519Verify;
  /** Chains remembered; the oldest is forgotten first. Default 4,096. */
  readonly maxEntries?: number;
}): (chain: readonly Uint8Array[], now: number, field?: string) => VerifiedCardholderCertificate {
  const remembered = new Map<string, VerifiedCardholderCertificate>();
  const maxEntries = parameters.maxEntries ?? 4096;
  return (chain, now, field = 'cardholderCertificate') => {
    const digest = sha256.create();
    for (const der of chain) {
      assertBytes(der, field);
      digest.update(
        Uint8Array.of(der.length >>> 24, der.length >>> 16, der.length >>> 8, der.length),
      );
      digest.update(der);
    }
    const key = toBase64url(digest.digest());
    const hit = remembered.get(key);
    if (hit !== undefined && now >= hit.notBefore && now <= hit.notAfter) return hit;
    const verified = verifyCardholderCertificate(
      {
        chain,
        trustedRoots: parameters.trustedRoots,
        now,
        ...(parameters.ed25519Verify === undefined
          ? {}
          : { ed25519Verify: parameters.ed25519Verify }),
      },
      field,
    );
    if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!);
    remembered.set(key, verified);
    return verified;
  };
}

export interface VerifiedGateway {
  readonly gatewayId: string;
  /** Ed25519 key the gateway signs its answers with. */
  readonly signaturePublicKey: Uint8Array;
  /** X25519 key PI envelopes are sealed to. */
  readonly keyExchangePublicKey: Uint8Array;
  /** SHA-256 of the key-exchange certificate's DER: what OI and PI name. */
  readonly fingerprint: Uint8Array;
}

/** Both gateway certificates, each chained to a trusted bank, naming the same gateway. */
export function verifyGatewayCertificates(parameters: {
  readonly signatureChain: CertificateInput | readonly CertificateInput[];
  readonly keyExchangeChain: CertificateInput | readonly CertificateInput[];
  readonly trustedRoots: readonly CertificateInput[];
  readonly now: number;
  readonly ed25519Verify?: Ed25519Verify;
}): VerifiedGateway {
  const common = {
    trustedRoots: parameters.trustedRoots,
    now: parameters.now,
    ...(parameters.ed25519Verify === undefined ? {} : { ed25519Verify: parameters.ed25519Verify }),
  };
  const signature = verifyCertificateChain({ ...common, chain: parameters.signatureChain }).leaf;
  const exchange = verifyCertificateChain({ ...common, chain: parameters.keyExchangeChain }).leaf;
  const what = 'SET payment gateway certificate';
  const purpose = farthingKeyPurposes.setPaymentGateway;
  checkPurpose(signature, purpose, 'digitalSignature', what, 'signatureChain');
  checkPurpose(exchange, purpose, 'keyAgreement', what, 'keyExchangeChain');
  if (signature.publicKey.type !== 'ed25519') {
    throw invalid('does not certify an Ed25519 signing key', 'signatureChain');
  }
  if (exchange.publicKey.type !== 'x25519') {
    throw invalid('does not certify an X25519 key-exchange key', 'keyExchangeChain');
  }
  const gatewayId = onlyUri(signature, gatewayUriPrefix, 'signatureChain');
  if (onlyUri(exchange, gatewayUriPrefix, 'keyExchangeChain') !== gatewayId) {
    throw invalid('pair names two different gateways', 'keyExchangeChain');
  }
  return {
    gatewayId,
    signaturePublicKey: signature.publicKey.raw.slice(),
    keyExchangePublicKey: exchange.publicKey.raw.slice(),
    fingerprint: sha256(exchange.der),
  };
}

/** SHA-256 of a certificate's DER, as OI and PI name the gateway. */
export function certificateFingerprint(der: Uint8Array): Uint8Array {
  assertBytes(der, 'der');
  return sha256(der);
}
