import { execFileSync, spawnSync } from 'node:child_process';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519PublicKey } from '@farthing/protocol/ed25519';
import { isFarthingError } from '@farthing/protocol/errors';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  ed25519SecretKeyFromPkcs8,
  ed25519SecretKeyToPkcs8,
  loadCertificateAuthority,
  randomSerialNumber,
} from './certificate-authority.ts';
import { issueMerchantCertificate } from './merchant-certificates.ts';

const now = Date.UTC(2026, 0, 1);
const year = 365 * 86_400_000;
const secretKey = new Uint8Array(32).fill(0xca);
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

let ca: CertificateAuthority;

beforeAll(async () => {
  ca = await createCertificateAuthority({
    name: 'Farthing Demo Bank',
    secretKey,
    notBefore: now,
    notAfter: now + 10 * year,
  });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isFarthingError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('createCertificateAuthority', () => {
  it('makes a self-signed Ed25519 CA limited to end-entity certificates', () => {
    const parsed = parseCertificate(ca.certificate);
    expect(parsed.basicConstraints).toEqual({ cA: true, pathLength: 0 });
    expect([...(parsed.keyUsage ?? [])].sort()).toEqual(['cRLSign', 'keyCertSign']);
    expect(parsed.publicKey).toEqual({ type: 'ed25519', raw: ed25519PublicKey(secretKey) });
    expect(parsed.subjectKeyIdentifier).toHaveLength(20);
    expect(parsed.serialNumber.length).toBeLessThanOrEqual(16);
    expect(ca).toMatchObject({
      name: 'Farthing Demo Bank',
      notBefore: now,
      notAfter: now + 10 * year,
    });
  });

  it('is a CA certificate to Node’s X509Certificate (an independent parser)', () => {
    const x509 = new X509Certificate(ca.certificate);
    expect(x509.ca).toBe(true);
    expect(x509.subject).toBe('CN=Farthing Demo Bank');
    expect(x509.checkIssued(x509)).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(new Date(x509.validFrom).getTime()).toBe(now);
    expect(x509.toString()).toBe(ca.certificatePem);
  });

  it.skipIf(!hasOpenssl)(
    'passes openssl verify and shows the extensions the profile asks for',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'farthing-ca-'));
      try {
        writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
        const text = execFileSync(
          'openssl',
          ['x509', '-in', join(dir, 'ca.pem'), '-noout', '-text'],
          {
            encoding: 'utf8',
          },
        );
        expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
        expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
        expect(text).toContain('Subject Key Identifier');
        expect(text).toContain('Signature Algorithm: ED25519');
        const attime = String(now / 1000 + 86_400);
        const verified = execFileSync(
          'openssl',
          [
            'verify',
            '-attime',
            attime,
            '-check_ss_sig',
            '-CAfile',
            join(dir, 'ca.pem'),
            join(dir, 'ca.pem'),
          ],
          { encoding: 'utf8' },
        );
        expect(verified.trim()).toBe(`${join(dir, 'ca.pem')}: OK`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('loadCertificateAuthority', () => {
  it('loads the stored certificate with the raw seed or PKCS#8, DER or PEM', () => {
    for (const loaded of [
      loadCertificateAuthority({ certificate: ca.certificate, secretKey }),
      loadCertificateAuthority({
        certificate: ca.certificatePem,
        secretKey: ed25519SecretKeyToPkcs8(secretKey),
      }),
    ]) {
      expect(loaded.certificate).toEqual(ca.certificate);
      expect(loaded.issuer.keyIdentifier).toEqual(ca.issuer.keyIdentifier);
      expect(loaded.issuer.name).toEqual(ca.issuer.name);
    }
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(
      codeOf(() =>
        loadCertificateAuthority({ certificate: ca.certificate, secretKey: new Uint8Array(32) }),
      ),
    ).toBe('invalid_argument');
    expect(
      codeOf(() =>
        loadCertificateAuthority({ certificate: ca.certificate, secretKey: Uint8Array.of(1) }),
      ),
    ).toBe('invalid_key');
  });
});

describe('PKCS#8', () => {
  it('round-trips the seed, and Node reads it as the same Ed25519 key', () => {
    const pkcs8 = ed25519SecretKeyToPkcs8(secretKey);
    expect(ed25519SecretKeyFromPkcs8(pkcs8)).toEqual(secretKey);
    // RFC 8410 §7: a 48-byte OneAsymmetricKey, id-Ed25519, CurvePrivateKey OCTET STRING.
    expect(Buffer.from(pkcs8.subarray(0, 16)).toString('hex')).toBe(
      '302e020100300506032b657004220420',
    );
    const publicKey = createPublicKey(
      createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
    );
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    expect(new Uint8Array(spki.subarray(-32))).toEqual(ed25519PublicKey(secretKey));
  });

  it('refuses other keys and garbage', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    expect(codeOf(() => ed25519SecretKeyFromPkcs8(ec))).toBe('invalid_key');
    expect(codeOf(() => ed25519SecretKeyFromPkcs8(Uint8Array.of(1, 2, 3)))).toBe('invalid_key');
  });
});

describe('randomSerialNumber', () => {
  it('is 16 unpredictable bytes making a positive INTEGER (RFC 5280 §4.1.2.2)', () => {
    const serials = Array.from({ length: 200 }, randomSerialNumber);
    for (const serial of serials) {
      expect(serial).toHaveLength(16);
      expect(serial[0]! & 0x80).toBe(0);
      // A zero first byte would let DER drop it, and the verifier refuse the serial.
      expect(serial[0]).toBeGreaterThan(0);
    }
    expect(new Set(serials.map((s) => Buffer.from(s).toString('hex'))).size).toBe(200);
  });

  it('always issues a certificate whose serial survives DER, even for serials starting 00 80', async () => {
    const ca = await createCertificateAuthority({
      name: 'Serial CA',
      secretKey: new Uint8Array(32).fill(3),
      notBefore: Date.UTC(2026, 0, 1),
      notAfter: Date.UTC(2036, 0, 1),
    });
    for (let i = 0; i < 300; i++) {
      await expect(
        (async () =>
          issueMerchantCertificate(ca, {
            merchantId: 'shop',
            name: 'Shop',
            origins: ['https://shop.example'],
            offerPublicKey: new Uint8Array(32).fill(9),
            notBefore: Date.UTC(2026, 0, 1),
            notAfter: Date.UTC(2026, 1, 1),
          }))(),
      ).resolves.toBeDefined();
    }
  });
});
