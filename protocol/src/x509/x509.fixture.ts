/**
 * CAs and certificates for the X.509 tests (not part of the API). Fixed secrets keep failures
 * reproducible; `customCertificate` builds certificates that break the profile on purpose.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { ed25519Signer } from '../ed25519.ts';
import { type CertificateSigner, ed25519CertificateSigner, keyIdentifier } from './algorithms.ts';
import type { KeyUsageName } from './certificate.ts';
import {
  basicConstraintsExtension,
  type CertificateExtension,
  type CertificateIssuer,
  type CertificateTemplate,
  distinguishedName,
  keyUsageExtension,
  signCertificate,
  subjectKeyIdentifierExtension,
} from './certificate-builder.ts';
import {
  type MerchantCertificateTemplateParameters,
  merchantCertificateTemplate,
} from './merchant-certificate.ts';
import { idAtCommonName } from './oids.ts';

/** 2026-01-01T00:00:00Z. */
export const now = Date.UTC(2026, 0, 1);
export const day = 86_400_000;

export const caSecretKey = new Uint8Array(32).fill(0xca);
export const otherCaSecretKey = new Uint8Array(32).fill(0xcb);
export const merchantSecretKey = new Uint8Array(32).fill(0x4d);
export const merchantSigner = ed25519Signer(merchantSecretKey);

export function ed25519CaSigner(secretKey = caSecretKey): CertificateSigner {
  return ed25519CertificateSigner(ed25519Signer(secretKey));
}

/** A P-256 CA key held by Node's OpenSSL, signing ECDSA with SHA-256 (DER signatures). */
export function p256CaSigner(): CertificateSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    algorithm: 'ecdsa-p256-sha256',
    subjectPublicKeyInfo: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign: async (data) => new Uint8Array(sign('sha256', data, privateKey)),
  };
}

export interface TestCa {
  readonly certificate: Uint8Array;
  readonly issuer: CertificateIssuer;
}

export interface TestCaOptions {
  readonly name?: string;
  readonly signer?: CertificateSigner;
  readonly notBefore?: number;
  readonly notAfter?: number;
  readonly cA?: boolean;
  readonly pathLength?: number;
  readonly keyUsage?: readonly KeyUsageName[];
  /** Signs the CA certificate as this issuer instead of self-signing (an intermediate). */
  readonly parent?: TestCa;
}

let serial = 1;
function nextSerial(): Uint8Array {
  serial += 1;
  return Uint8Array.of(0x10, serial & 0xff);
}

/** A self-signed CA (or an intermediate under `parent`), by default the Demo Bank's. */
export async function makeCa(options: TestCaOptions = {}): Promise<TestCa> {
  const signer = options.signer ?? ed25519CaSigner();
  const subject = distinguishedName([{ type: idAtCommonName, value: options.name ?? 'Demo Bank' }]);
  const identifier = keyIdentifier(signer.subjectPublicKeyInfo);
  const self: CertificateIssuer = { name: subject, keyIdentifier: identifier, signer };
  const certificate = await signCertificate(
    {
      serialNumber: nextSerial(),
      subject,
      notBefore: options.notBefore ?? now - 365 * day,
      notAfter: options.notAfter ?? now + 3650 * day,
      subjectPublicKeyInfo: signer.subjectPublicKeyInfo,
      extensions: [
        basicConstraintsExtension(options.cA ?? true, options.pathLength ?? 0),
        keyUsageExtension(options.keyUsage ?? ['keyCertSign', 'cRLSign']),
        subjectKeyIdentifierExtension(identifier),
      ],
    },
    options.parent?.issuer ?? self,
  );
  return { certificate, issuer: self };
}

export const demoMerchant = {
  merchantId: 'demo-shop',
  name: 'Demo Shop',
  origins: ['https://shop.example', 'http://localhost:8701'],
  offerPublicKey: merchantSigner.publicKey,
} as const;

/** A merchant certificate following the profile, with any field overridden. */
export async function makeMerchantCertificate(
  ca: TestCa,
  overrides: Partial<MerchantCertificateTemplateParameters> = {},
): Promise<Uint8Array> {
  const template = merchantCertificateTemplate({
    ...demoMerchant,
    serialNumber: nextSerial(),
    notBefore: now - day,
    notAfter: now + 90 * day,
    ...overrides,
  });
  return signCertificate(template, ca.issuer);
}

/** A merchant template with its extensions replaced or edited, for certificates that break
 * the profile in exactly one way. */
export async function customCertificate(
  ca: TestCa,
  edit: (template: CertificateTemplate) => CertificateTemplate,
): Promise<Uint8Array> {
  const template = merchantCertificateTemplate({
    ...demoMerchant,
    serialNumber: nextSerial(),
    notBefore: now - day,
    notAfter: now + 90 * day,
  });
  return signCertificate(edit(template), ca.issuer);
}

/** Replaces the extension with the same id (or appends it). */
export function withExtension(
  template: CertificateTemplate,
  extension: CertificateExtension,
): CertificateTemplate {
  const others = template.extensions.filter((e) => e.id !== extension.id);
  return { ...template, extensions: [...others, extension] };
}

export function withoutExtension(template: CertificateTemplate, id: string): CertificateTemplate {
  return { ...template, extensions: template.extensions.filter((e) => e.id !== id) };
}
