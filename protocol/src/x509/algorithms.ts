/**
 * The key and signature algorithms certificates may use (DESIGN.md: "X.509 certificates
 * (Ed25519 or P-256)"), and nothing else: a certificate with any other algorithm is refused,
 * so an attacker cannot steer verification to a weaker one.
 *
 * - Ed25519 (RFC 8410): keys and signatures, parameters absent (§3). Verified through the
 *   pluggable `Ed25519Verify` (pure JS by default, Node's native verifier on servers).
 * - ECDSA P-256 with SHA-256 (RFC 5480 keys, RFC 5758 §3.2 signatures), for CA keys held in
 *   hardware that lacks Ed25519. Verified with @noble/curves, which runs in the service worker
 *   without making verification asynchronous as WebCrypto would.
 */

import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '../ed25519.ts';
import { equalBytes } from '../encoding.ts';
import { assertBytes, FarthingError } from '../errors.ts';
import { idEcdsaWithSha256, idEcPublicKey, idEd25519, idX25519 } from './oids.ts';

/** A certificate's subject public key, classified. */
export type CertificatePublicKey =
  | { readonly type: 'ed25519'; readonly raw: Uint8Array }
  /** SEC 1 point encoding (RFC 5480 §2.2), compressed or not. */
  | { readonly type: 'p256'; readonly raw: Uint8Array }
  /** RFC 8410: an X25519 key-agreement key (SET gateway key exchange); it cannot sign. */
  | { readonly type: 'x25519'; readonly raw: Uint8Array }
  | { readonly type: 'unsupported'; readonly algorithm: string };

export type CertificateSignatureAlgorithm = 'ed25519' | 'ecdsa-p256-sha256';

/** What signs certificates: the CA's key, wherever it lives. */
export interface CertificateSigner {
  readonly algorithm: CertificateSignatureAlgorithm;
  /** DER SubjectPublicKeyInfo of the signing key. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Ed25519: the 64-byte signature of `data`. ECDSA: a DER Ecdsa-Sig-Value over SHA-256(data). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** An Ed25519 signer (in memory, native, or a non-extractable CryptoKey) as a certificate signer. */
export function ed25519CertificateSigner(signer: Ed25519Signer): CertificateSigner {
  assertBytes(signer?.publicKey, 'signer.publicKey', ed25519PublicKeyLength);
  return {
    algorithm: 'ed25519',
    subjectPublicKeyInfo: ed25519SubjectPublicKeyInfo(signer.publicKey),
    sign: (data) => signer.sign(data),
  };
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** RFC 8410 §4: SubjectPublicKeyInfo for a raw 32-byte Ed25519 public key. */
export function ed25519SubjectPublicKeyInfo(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', ed25519PublicKeyLength);
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: idEd25519 }),
    subjectPublicKey: toArrayBuffer(publicKey),
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

/** RFC 8410 §4: SubjectPublicKeyInfo for a raw 32-byte X25519 public key. */
export function x25519SubjectPublicKeyInfo(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', 32);
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: idX25519 }),
    subjectPublicKey: toArrayBuffer(publicKey),
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

// RFC 5480 §2.1.1.1: the namedCurve parameter for secp256r1, as the DER OBJECT IDENTIFIER the
// library hands back for the ANY-typed parameters field.
const secp256r1Parameters = Uint8Array.of(
  0x06,
  0x08,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x03,
  0x01,
  0x07,
);

/** Classifies a parsed SubjectPublicKeyInfo; anything but Ed25519, P-256 and X25519 is `unsupported`. */
export function certificatePublicKey(spki: SubjectPublicKeyInfo): CertificatePublicKey {
  const { algorithm, parameters } = spki.algorithm;
  const raw = new Uint8Array(spki.subjectPublicKey);
  if (algorithm === idEd25519) {
    // RFC 8410 §3: parameters MUST be absent; §4: the key is the 32-byte RFC 8032 encoding.
    if (parameters !== undefined || raw.length !== ed25519PublicKeyLength) {
      return { type: 'unsupported', algorithm };
    }
    return { type: 'ed25519', raw };
  }
  if (algorithm === idX25519) {
    // RFC 8410 §3 and §4, as for Ed25519: no parameters, the 32-byte RFC 7748 encoding.
    if (parameters !== undefined || raw.length !== 32) return { type: 'unsupported', algorithm };
    return { type: 'x25519', raw };
  }
  if (
    algorithm === idEcPublicKey &&
    parameters instanceof ArrayBuffer &&
    equalBytes(new Uint8Array(parameters), secp256r1Parameters)
  ) {
    try {
      p256.Point.fromBytes(raw).assertValidity();
      return { type: 'p256', raw };
    } catch {
      return { type: 'unsupported', algorithm };
    }
  }
  return { type: 'unsupported', algorithm };
}

/** The signature algorithm named by an AlgorithmIdentifier, if it is one we accept. */
export function signatureAlgorithm(
  identifier: AlgorithmIdentifier,
): CertificateSignatureAlgorithm | undefined {
  // RFC 8410 §3 and RFC 5758 §3.2: for both, the parameters field MUST be absent.
  if (identifier.parameters !== undefined) return undefined;
  if (identifier.algorithm === idEd25519) return 'ed25519';
  if (identifier.algorithm === idEcdsaWithSha256) return 'ecdsa-p256-sha256';
  return undefined;
}

export function signatureAlgorithmIdentifier(
  algorithm: CertificateSignatureAlgorithm,
): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: algorithm === 'ed25519' ? idEd25519 : idEcdsaWithSha256,
  });
}

/**
 * True when `signature` over `data` verifies under `key` with `algorithm`; false for a bad
 * signature or a key that does not fit the algorithm. Never throws on attacker-chosen bytes.
 */
export function verifyCertificateSignature(
  algorithm: CertificateSignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  key: CertificatePublicKey,
  ed25519Verify: Ed25519Verify,
): boolean {
  if (algorithm === 'ed25519') {
    return (
      key.type === 'ed25519' &&
      signature.length === ed25519SignatureLength &&
      ed25519Verify(signature, data, key.raw)
    );
  }
  if (key.type !== 'p256') return false;
  try {
    // X.509 ECDSA signatures are DER (RFC 5758 §3.2) and need not be low-S: OpenSSL and
    // WebCrypto produce either half, so insisting on low-S would refuse valid certificates.
    return p256.verify(signature, data, key.raw, { format: 'der', lowS: false, prehash: true });
  } catch {
    return false;
  }
}

/**
 * RFC 7093 §2 method 1: the key identifier is the leftmost 160 bits of the SHA-256 hash of the
 * subjectPublicKey BIT STRING value. Used for subjectKeyIdentifier and authorityKeyIdentifier.
 */
export function keyIdentifier(subjectPublicKeyInfo: Uint8Array): Uint8Array {
  assertBytes(subjectPublicKeyInfo, 'subjectPublicKeyInfo');
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(subjectPublicKeyInfo, SubjectPublicKeyInfo);
  } catch (cause) {
    throw new FarthingError('invalid_key', 'not a DER SubjectPublicKeyInfo', {
      details: { field: 'subjectPublicKeyInfo' },
      cause,
    });
  }
  return sha256(new Uint8Array(spki.subjectPublicKey)).slice(0, 20);
}
