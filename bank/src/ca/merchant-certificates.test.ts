/**
 * The bank's CA issues merchant certificates that the wallet's verifier accepts, and that two
 * independent implementations read the same way: Node's X509Certificate and the openssl CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { isFarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import {
  type MerchantCertificateFields,
  verifyMerchantCertificate,
} from '@farthing/protocol/x509/merchant-certificate';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { farthingKeyPurposes } from '@farthing/protocol/x509/oids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority } from './certificate-authority.ts';
import {
  certifyMerchantRegistration,
  clockSkewAllowance,
  type IssuedCertificate,
  issueMerchantCertificate,
} from './merchant-certificates.ts';

const now = Date.UTC(2026, 0, 1);
const day = 86_400_000;
const merchantSigner = ed25519Signer(new Uint8Array(32).fill(0x4d));
const merchant: MerchantCertificateFields = {
  merchantId: 'demo-shop',
  name: 'Demo Shop',
  origins: ['https://shop.example', 'http://localhost:8701'],
  offerPublicKey: merchantSigner.publicKey,
};
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

let ca: CertificateAuthority;
let issued: IssuedCertificate;

beforeAll(async () => {
  ca = await createCertificateAuthority({
    name: 'Farthing Demo Bank',
    secretKey: new Uint8Array(32).fill(0xca),
    notBefore: now - day,
    notAfter: now + 3650 * day,
  });
  issued = await issueMerchantCertificate(ca, {
    ...merchant,
    notBefore: now,
    notAfter: now + 30 * day + 123,
  });
});

async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isFarthingError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('issueMerchantCertificate', () => {
  it('issues a certificate the wallet accepts for each of the merchant’s origins', () => {
    for (const origin of merchant.origins) {
      const verified = verifyMerchantCertificate({
        chain: issued.pem,
        trustedRoots: [ca.certificatePem],
        origin,
        now: now + day,
        ed25519Verify: nodeEd25519Verify,
      });
      expect(verified).toMatchObject({
        merchantId: 'demo-shop',
        name: 'Demo Shop',
        origins: merchant.origins,
        offerPublicKey: merchantSigner.publicKey,
        notAfter: now + 30 * day,
        issuerName: 'Farthing Demo Bank',
      });
    }
    expect(issued.notAfter).toBe(now + 30 * day); // whole seconds
    expect(issued.serialNumber.length).toBeGreaterThan(8);
  });

  it('issues a fresh random serial number every time', async () => {
    const again = await issueMerchantCertificate(ca, {
      ...merchant,
      notBefore: now,
      notAfter: now + day,
    });
    expect(again.serialNumber).not.toEqual(issued.serialNumber);
  });

  it('reads the same in Node’s X509Certificate: issuer, signature, SAN, key, purposes', () => {
    const leaf = new X509Certificate(issued.der);
    const root = new X509Certificate(ca.certificate);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe('CN=Demo Shop');
    expect(leaf.issuer).toBe('CN=Farthing Demo Bank');
    expect(leaf.subjectAltName).toBe(
      'URI:urn:farthing:merchant:demo-shop, URI:https://shop.example, URI:http://localhost:8701',
    );
    expect(leaf.keyUsage).toEqual([farthingKeyPurposes.merchantOfferSigning]); // Node: EKU OIDs
    expect(leaf.publicKey.asymmetricKeyType).toBe('ed25519');
    const raw = leaf.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(new Uint8Array(raw)).toEqual(merchantSigner.publicKey);
    expect(leaf.serialNumber.toLowerCase()).toBe(Buffer.from(issued.serialNumber).toString('hex'));
    expect(root.checkIssued(leaf)).toBe(false);
  });

  describe.skipIf(!hasOpenssl)('with the openssl CLI', () => {
    let dir: string;
    const path = (name: string) => join(dir, name);
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'farthing-ca-'));
      writeFileSync(path('ca.pem'), ca.certificatePem);
      writeFileSync(path('leaf.pem'), issued.pem);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const verify = (at: number, ...extra: string[]) =>
      spawnSync(
        'openssl',
        [
          'verify',
          '-attime',
          String(Math.floor(at / 1000)),
          ...extra,
          '-CAfile',
          path('ca.pem'),
          path('leaf.pem'),
        ],
        { encoding: 'utf8' },
      );

    it('verifies the chain with openssl verify -CAfile', () => {
      const result = verify(now + day);
      expect(result.stdout.trim()).toBe(`${path('leaf.pem')}: OK`);
      expect(result.status).toBe(0);
    });

    it('agrees that the certificate is expired after notAfter', () => {
      const result = verify(now + 31 * day);
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('certificate has expired');
    });

    it('shows the profile in openssl x509 -text', () => {
      const text = execFileSync('openssl', ['x509', '-in', path('leaf.pem'), '-noout', '-text'], {
        encoding: 'utf8',
      });
      expect(text).toContain('Subject: CN = Demo Shop');
      expect(text).toContain('Public Key Algorithm: ED25519');
      expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
      expect(text).toMatch(
        new RegExp(
          `Extended Key Usage: critical\\s+${farthingKeyPurposes.merchantOfferSigning.replaceAll('.', '\\.')}`,
        ),
      );
      expect(text).toContain(
        'URI:urn:farthing:merchant:demo-shop, URI:https://shop.example, URI:http://localhost:8701',
      );
      expect(text).toContain('Authority Key Identifier');
    });
  });

  it('refuses fields outside the profile and validity beyond the CA’s', async () => {
    const base = { ...merchant, notBefore: now, notAfter: now + day };
    expect(
      await rejection(issueMerchantCertificate(ca, { ...base, origins: ['http://shop.example'] })),
    ).toBe('invalid_argument');
    expect(
      await rejection(issueMerchantCertificate(ca, { ...base, notAfter: ca.notAfter + 1000 })),
    ).toBe('invalid_argument');
    expect(
      await rejection(issueMerchantCertificate(ca, { ...base, notBefore: now - 2 * day })),
    ).toBe('invalid_argument');
  });
});

describe('certifyMerchantRegistration', () => {
  const request = {
    merchantId: merchant.merchantId,
    name: merchant.name,
    origins: merchant.origins,
    bankId: 'demo-bank',
    createdAt: now,
  };

  it('certifies the key of a verified request, dated back for clock skew', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const received = merchantRegistrations.parse(
      JSON.parse(JSON.stringify(merchantRegistrations.signedToWire(signed))),
    );
    const certificate = await certifyMerchantRegistration(ca, received, {
      bankId: 'demo-bank',
      now: now + 1000,
      validity: 7 * day,
    });
    expect(certificate.notBefore).toBe(now + 1000 - clockSkewAllowance);
    expect(certificate.notAfter).toBe(now + 1000 + 7 * day);
    const verified = verifyMerchantCertificate({
      chain: certificate.der,
      trustedRoots: [ca.certificate],
      origin: 'https://shop.example',
      now: now + day,
    });
    expect(verified.offerPublicKey).toEqual(merchantSigner.publicKey);
  });

  it('refuses a forged, misaddressed or stale request', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const at = { bankId: 'demo-bank', now: now + 1000 };
    const other = ed25519Signer(new Uint8Array(32).fill(7)).publicKey;
    expect(
      await rejection(certifyMerchantRegistration(ca, { ...signed, offerPublicKey: other }, at)),
    ).toBe('bad_signature');
    expect(
      await rejection(certifyMerchantRegistration(ca, signed, { ...at, bankId: 'other' })),
    ).toBe('registration_wrong_bank');
    expect(
      await rejection(certifyMerchantRegistration(ca, signed, { ...at, now: now + day })),
    ).toBe('registration_stale');
  });
});
