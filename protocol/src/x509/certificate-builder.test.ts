import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { ed25519Signer } from '../ed25519.ts';
import { catchFarthingError, rejectsWithFarthingError } from '../errors.fixture.ts';
import { ed25519SubjectPublicKeyInfo, keyIdentifier } from './algorithms.ts';
import { parseCertificate } from './certificate.ts';
import {
  basicConstraintsExtension,
  certificateIssuer,
  keyUsageExtension,
  signSelfSignedCaCertificate,
} from './certificate-builder.ts';
import { decodePem, encodePem } from './pem.ts';
import {
  caSecretKey,
  customCertificate,
  day,
  ed25519CaSigner,
  makeCa,
  makeMerchantCertificate,
  now,
  otherCaSecretKey,
} from './x509.fixture.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('extensions', () => {
  it('encodes key usage as a DER named bit string without trailing zero bits (X.690 §11.2.2)', () => {
    expect(hex(keyUsageExtension(['digitalSignature']).value)).toBe('03020780');
    expect(hex(keyUsageExtension(['keyCertSign', 'cRLSign']).value)).toBe('03020106');
    expect(hex(keyUsageExtension(['decipherOnly']).value)).toBe('0303070080');
  });

  it('omits cA FALSE, the DEFAULT, from basicConstraints (X.690 §11.5)', () => {
    expect(hex(basicConstraintsExtension(false).value)).toBe('3000');
    expect(hex(basicConstraintsExtension(true, 0).value)).toBe('30060101ff020100');
  });
});

describe('signSelfSignedCaCertificate', () => {
  it('makes a trust anchor: CA, pathLen, keyCertSign and cRLSign, its own key identifier', async () => {
    const signer = ed25519CaSigner();
    const { certificate, issuer } = await signSelfSignedCaCertificate(
      {
        serialNumber: Uint8Array.of(7),
        subject: (await makeCa()).issuer.name,
        notBefore: now,
        notAfter: now + day,
        pathLength: 0,
      },
      signer,
    );
    const parsed = parseCertificate(certificate);
    expect(parsed.basicConstraints).toEqual({ cA: true, pathLength: 0 });
    expect([...(parsed.keyUsage ?? [])].sort()).toEqual(['cRLSign', 'keyCertSign']);
    expect(parsed.subjectKeyIdentifier).toEqual(issuer.keyIdentifier);
    expect(parsed.issuer).toEqual(parsed.subject);
  });
});

describe('keyIdentifier', () => {
  it('is the leftmost 160 bits of SHA-256 over the key bits (RFC 7093 §2 method 1)', () => {
    const key = ed25519Signer(caSecretKey).publicKey;
    expect(keyIdentifier(ed25519SubjectPublicKeyInfo(key))).toEqual(sha256(key).slice(0, 20));
  });
});

describe('signCertificate', () => {
  it('writes whole seconds, UTCTime before 2050 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', async () => {
    const ca = await makeCa({ notAfter: Date.UTC(2060, 0, 1) });
    const der = await makeMerchantCertificate(ca, {
      notBefore: now + 999,
      notAfter: Date.UTC(2050, 0, 1, 0, 0, 0, 500),
    });
    const { validity } = AsnConvert.parse(der, Certificate).tbsCertificate;
    expect(validity.notBefore.utcTime?.getTime()).toBe(now);
    expect(validity.notAfter.generalTime?.getTime()).toBe(Date.UTC(2050, 0, 1));
  });

  it('writes serial numbers as positive minimal integers and refuses others', async () => {
    const ca = await makeCa();
    const der = await makeMerchantCertificate(ca, { serialNumber: Uint8Array.of(0, 0, 0x7f, 1) });
    expect(parseCertificate(der).serialNumber).toEqual(Uint8Array.of(0x7f, 1));
    for (const serialNumber of [
      new Uint8Array(3),
      Uint8Array.of(0x80),
      new Uint8Array(21).fill(1),
    ]) {
      const error = await rejectsWithFarthingError(makeMerchantCertificate(ca, { serialNumber }));
      expect(error.code).toBe('invalid_argument');
      expect(error.details.field).toBe('serialNumber');
    }
  });

  it('refuses a validity period that ends before it starts', async () => {
    const ca = await makeCa();
    const error = await rejectsWithFarthingError(
      makeMerchantCertificate(ca, { notBefore: now, notAfter: now - 1000 }),
    );
    expect(error.details.field).toBe('notAfter');
  });

  it('refuses a subject that is not a DER Name', async () => {
    const ca = await makeCa();
    const error = await rejectsWithFarthingError(
      customCertificate(ca, (t) => ({ ...t, subject: Uint8Array.of(1, 2, 3) })),
    );
    expect(error.code).toBe('invalid_argument');
  });
});

describe('certificateIssuer', () => {
  it('pairs a stored CA certificate with its key, and refuses another key or a non-CA', async () => {
    const ca = await makeCa();
    const issuer = certificateIssuer(ca.certificate, ed25519CaSigner());
    expect(issuer.keyIdentifier).toEqual(ca.issuer.keyIdentifier);
    expect(issuer.name).toEqual(ca.issuer.name);
    const wrongKey = catchFarthingError(() =>
      certificateIssuer(ca.certificate, ed25519CaSigner(otherCaSecretKey)),
    );
    expect(wrongKey.code).toBe('invalid_argument');
    const notCa = await makeCa({ cA: false, keyUsage: ['digitalSignature'] });
    expect(
      catchFarthingError(() => certificateIssuer(notCa.certificate, ed25519CaSigner())).code,
    ).toBe('invalid_argument');
  });
});

describe('PEM', () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => i);

  it('writes RFC 7468 strict text and reads it back', () => {
    const pem = encodePem('CERTIFICATE', der);
    const lines = pem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(lines.slice(1, -1).every((line) => line.length <= 64)).toBe(true);
    expect(lines[1]).toHaveLength(64);
    expect(pem.endsWith('\n')).toBe(true);
    expect(decodePem(pem, 'CERTIFICATE')).toEqual([der]);
  });

  it('reads several blocks with CRLF, indentation and text in between', () => {
    const one = encodePem('CERTIFICATE', der).replaceAll('\n', '\r\n  ');
    const two = encodePem('CERTIFICATE', der.subarray(0, 3));
    expect(decodePem(`subject=CN=x\n${one}issuer=y\n${two}`, 'CERTIFICATE')).toEqual([
      der,
      der.subarray(0, 3),
    ]);
  });

  it.each([
    ['no block', 'hello'],
    ['another label', encodePem('PRIVATE KEY', der)],
    ['mismatched END', encodePem('CERTIFICATE', der).replace('END CERTIFICATE', 'END X509 CRL')],
    ['non-canonical base64', '-----BEGIN CERTIFICATE-----\nAB=\n-----END CERTIFICATE-----'],
    ['headers', '-----BEGIN CERTIFICATE-----\nProc-Type: 4\n\nAAAA\n-----END CERTIFICATE-----'],
  ])('refuses %s', (_, text) => {
    expect(catchFarthingError(() => decodePem(text, 'CERTIFICATE')).code).toBe('invalid_encoding');
  });
});
