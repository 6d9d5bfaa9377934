/**
 * The bank as certificate authority (DESIGN.md "SET"): one self-signed Ed25519 CA certificate,
 * the trust anchor a wallet installs for this bank, signing merchant certificates now and SET
 * cardholder and gateway certificates later (each profile brings its own template; the CA
 * signs them all through `signCertificate`).
 *
 * Plain functions over bytes: the key goes in and out as the raw 32-byte Ed25519 seed or as
 * PKCS#8 DER (RFC 5208 / RFC 8410 §7), the certificate as DER or PEM. Keeping them is the
 * bank's storage's job. Persist the certificate beside the key: a new certificate for the same
 * key would carry a new serial number and validity, and wallets pin the one they installed.
 */
import { createPrivateKey } from 'node:crypto';
import { ed25519PublicKey, ed25519SecretKeyLength } from '@farthing/protocol/ed25519';
import { assertBytes, assertInteger, FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { ed25519CertificateSigner } from '@farthing/protocol/x509/algorithms';
import { type CertificateInput, readCertificates } from '@farthing/protocol/x509/certificate';
import {
  type CertificateIssuer,
  certificateIssuer,
  distinguishedName,
  signSelfSignedCaCertificate,
} from '@farthing/protocol/x509/certificate-builder';
import { idAtCommonName } from '@farthing/protocol/x509/oids';
import { encodePem } from '@farthing/protocol/x509/pem';

export interface CertificateAuthority {
  /** DER of the CA's self-signed certificate: what wallets install as the bank's trust anchor. */
  readonly certificate: Uint8Array;
  readonly certificatePem: string;
  /** The CA certificate's common name. */
  readonly name: string | undefined;
  /** Milliseconds since the Unix epoch; nothing the CA issues should outlive `notAfter`. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Signs certificates with the CA key (Node's native Ed25519). */
  readonly issuer: CertificateIssuer;
}

/**
 * RFC 5280 §4.1.2.2: positive, at most 20 octets, unpredictable. 16 random bytes with the top
 * bit cleared, so the INTEGER is positive without a sign octet: 127 bits of entropy.
 */
export function randomSerialNumber(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  // RFC 5280 §4.1.2.2: positive, at most 20 octets, DER-minimal. Top bit clear keeps it
  // positive; a non-zero first byte keeps all 16 bytes significant, so the DER INTEGER is
  // exactly these bytes (a leading zero byte would be stripped and the serial refused).
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}

// --- key material as bytes

/** RFC 8410 §7: the seed as PKCS#8 OneAsymmetricKey DER, the form OpenSSL and HSMs import. */
export function ed25519SecretKeyToPkcs8(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', ed25519SecretKeyLength);
  const key = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: Buffer.from(secretKey).toString('base64url'),
      x: Buffer.from(ed25519PublicKey(secretKey)).toString('base64url'),
    },
    format: 'jwk',
  });
  return new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
}

/** The 32-byte seed inside an Ed25519 PKCS#8 key; `invalid_key` for anything else. */
export function ed25519SecretKeyFromPkcs8(pkcs8: Uint8Array): Uint8Array {
  assertBytes(pkcs8, 'pkcs8');
  let jwk: { crv?: unknown; d?: unknown };
  try {
    jwk = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({
      format: 'jwk',
    });
  } catch (cause) {
    throw new FarthingError('invalid_key', 'not a PKCS#8 private key', {
      details: { field: 'pkcs8' },
      cause,
    });
  }
  if (jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new FarthingError('invalid_key', 'the PKCS#8 key is not an Ed25519 key', {
      details: { field: 'pkcs8' },
    });
  }
  return new Uint8Array(Buffer.from(jwk.d, 'base64url'));
}

// --- the CA

function authority(certificate: Uint8Array, issuer: CertificateIssuer): CertificateAuthority {
  const [parsed] = readCertificates(certificate, 'certificate');
  const name = parsed!.subjectAttributes.find((a) => a.type === idAtCommonName)?.value;
  return Object.freeze({
    certificate: certificate.slice(),
    certificatePem: encodePem('CERTIFICATE', certificate),
    name,
    notBefore: parsed!.notBefore,
    notAfter: parsed!.notAfter,
    issuer,
  });
}

export interface CreateCertificateAuthorityParameters {
  /** Common name, shown by wallets as who certifies the merchant, e.g. "Farthing Demo Bank". */
  readonly name: string;
  /** The CA's 32-byte Ed25519 seed (`randomSecretKey()`), stored by the caller. */
  readonly secretKey: Uint8Array;
  /** Milliseconds since the Unix epoch, rounded down to the second. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Defaults to `randomSerialNumber()`. */
  readonly serialNumber?: Uint8Array;
}

/**
 * Makes the bank's self-signed CA certificate (RFC 5280): basicConstraints cA with
 * pathLenConstraint 0, so it signs end-entity certificates only (§4.2.1.9), keyUsage
 * keyCertSign and cRLSign (§4.2.1.3), subjectKeyIdentifier (§4.2.1.2), Ed25519 (RFC 8410).
 */
export async function createCertificateAuthority(
  parameters: CreateCertificateAuthorityParameters,
): Promise<CertificateAuthority> {
  const { name, secretKey, notBefore, notAfter } = parameters ?? {};
  assertBytes(secretKey, 'secretKey', ed25519SecretKeyLength);
  assertInteger(notBefore, 'notBefore');
  assertInteger(notAfter, 'notAfter');
  const signer = ed25519CertificateSigner(nodeEd25519Signer(secretKey));
  const { certificate, issuer } = await signSelfSignedCaCertificate(
    {
      serialNumber: parameters.serialNumber ?? randomSerialNumber(),
      subject: distinguishedName([{ type: idAtCommonName, value: name }]),
      notBefore,
      notAfter,
      pathLength: 0,
    },
    signer,
  );
  return authority(certificate, issuer);
}

export interface LoadCertificateAuthorityParameters {
  /** The stored CA certificate, DER or PEM. */
  readonly certificate: CertificateInput;
  /** The stored key: the 32-byte seed, or PKCS#8 DER. */
  readonly secretKey: Uint8Array;
}

/**
 * The CA from stored bytes. Throws `invalid_argument` unless the certificate is a CA
 * certificate for exactly this key, so a mix-up of stored files fails at start-up, not when
 * the first wallet rejects a merchant.
 */
export function loadCertificateAuthority(
  parameters: LoadCertificateAuthorityParameters,
): CertificateAuthority {
  const { certificate, secretKey } = parameters ?? {};
  assertBytes(secretKey, 'secretKey');
  const seed =
    secretKey.length === ed25519SecretKeyLength ? secretKey : ed25519SecretKeyFromPkcs8(secretKey);
  const certificates = readCertificates(certificate, 'certificate');
  if (certificates.length !== 1) {
    throw new FarthingError('invalid_argument', 'expected exactly one CA certificate', {
      details: { field: 'certificate' },
    });
  }
  const der = certificates[0]!.der;
  const signer = ed25519CertificateSigner(nodeEd25519Signer(seed));
  return authority(der, certificateIssuer(der, signer));
}
