import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { catchFarthingError, rejectsWithFarthingError } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import {
  type PaywordUserCertificate,
  paywordCertificates,
  verifyPaywordUserCertificate,
} from './certificate.ts';
import {
  brokerSigner,
  certificateFields,
  day,
  eur,
  makeCertificate,
  now,
  otherSigner,
} from './payword.fixture.ts';

const brokerPublicKey = brokerSigner.publicKey;

describe('signing and verifying a user certificate', () => {
  it('verifies a certificate the broker signed, with noble and with node:crypto', async () => {
    const certificate = await makeCertificate();
    verifyPaywordUserCertificate(certificate, { brokerPublicKey, now });
    verifyPaywordUserCertificate(certificate, { brokerPublicKey, now, verify: nodeEd25519Verify });
  });

  it('is valid until the millisecond before it expires', async () => {
    const certificate = await makeCertificate();
    const at = certificate.expiresAt;
    verifyPaywordUserCertificate(certificate, { brokerPublicKey, now: at - 1 });
    expect(
      catchFarthingError(() =>
        verifyPaywordUserCertificate(certificate, { brokerPublicKey, now: at }),
      ),
    ).toMatchObject({ code: 'payword_certificate_expired' });
  });

  it('rejects a certificate signed by another key', async () => {
    const certificate = await paywordCertificates.sign(certificateFields(), otherSigner);
    expect(
      catchFarthingError(() => verifyPaywordUserCertificate(certificate, { brokerPublicKey, now })),
    ).toMatchObject({ code: 'bad_signature', details: { field: 'certificate.signature' } });
  });

  const tampered: Record<string, (c: PaywordUserCertificate) => PaywordUserCertificate> = {
    brokerId: (c) => ({ ...c, brokerId: 'evil.example' }),
    userId: (c) => ({ ...c, userId: 'mallory' }),
    userPublicKey: (c) => ({ ...c, userPublicKey: otherSigner.publicKey }),
    serial: (c) => ({ ...c, serial: c.serial + 1 }),
    issuedAt: (c) => ({ ...c, issuedAt: c.issuedAt - 1 }),
    expiresAt: (c) => ({ ...c, expiresAt: c.expiresAt + day }),
    'creditLimit.minor': (c) => ({ ...c, creditLimit: eur(c.creditLimit.minor * 10) }),
    'creditLimit.currency': (c) => ({ ...c, creditLimit: amount('USD', c.creditLimit.minor) }),
    signature: (c) => {
      const signature = c.signature.slice();
      signature[10]! ^= 1;
      return { ...c, signature };
    },
  };
  for (const [field, tamper] of Object.entries(tampered)) {
    it(`rejects a certificate whose ${field} was changed after signing`, async () => {
      const certificate = tamper(await makeCertificate());
      expect(
        catchFarthingError(() =>
          verifyPaywordUserCertificate(certificate, { brokerPublicKey, now }),
        ),
      ).toMatchObject({ code: 'bad_signature' });
    });
  }

  it('names a different id for every different certificate', async () => {
    const ids = new Set<string>();
    const base = certificateFields();
    for (const fields of [
      base,
      { ...base, serial: 43 },
      { ...base, userId: 'bob' },
      { ...base, creditLimit: eur(10_001) },
    ]) {
      ids.add(Buffer.from(paywordCertificates.id(fields)).toString('hex'));
    }
    expect(ids.size).toBe(4);
  });
});

describe('certificate arguments', () => {
  it('names the field of a 31-byte user key', async () => {
    const error = await rejectsWithFarthingError(
      paywordCertificates.sign(
        certificateFields({ userPublicKey: new Uint8Array(31) }),
        brokerSigner,
      ),
    );
    expect(error).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'certificate.userPublicKey', expected: 32, got: 31 },
    });
  });

  it('refuses identifiers outside the wire alphabet', async () => {
    const error = await rejectsWithFarthingError(
      paywordCertificates.sign(certificateFields({ brokerId: 'bank example' }), brokerSigner),
    );
    expect(error).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'certificate.brokerId' },
    });
  });

  it('refuses a certificate that expires when it is issued', async () => {
    const error = await rejectsWithFarthingError(
      paywordCertificates.sign(certificateFields({ expiresAt: now - day }), brokerSigner),
    );
    expect(error).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'certificate.expiresAt' },
    });
  });

  it('keeps the amount module’s code for a bad credit limit and names the field', async () => {
    const error = await rejectsWithFarthingError(
      paywordCertificates.sign(
        certificateFields({ creditLimit: { currency: 'XXX', minor: 5 } }),
        brokerSigner,
      ),
    );
    expect(error).toMatchObject({
      code: 'unknown_currency',
      details: { field: 'certificate.creditLimit' },
    });
  });

  it('requires a broker key and a time to verify', async () => {
    const certificate = await makeCertificate();
    expect(
      catchFarthingError(() =>
        verifyPaywordUserCertificate(certificate, { brokerPublicKey: new Uint8Array(33), now }),
      ),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'brokerPublicKey' } });
    expect(
      catchFarthingError(() =>
        verifyPaywordUserCertificate(certificate, { brokerPublicKey, now: -1 }),
      ),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'now' } });
  });
});

describe('the certificate wire form', () => {
  it('round-trips through JSON text', async () => {
    const certificate = await makeCertificate();
    const json = JSON.parse(JSON.stringify(paywordCertificates.toJson(certificate)));
    expect(json).toMatchObject({ version: 1, creditLimit: 'EUR 100.00', serial: 42 });
    const parsed = paywordCertificates.parse(json);
    expect(parsed).toEqual({ ...certificate });
    verifyPaywordUserCertificate(parsed, { brokerPublicKey, now });
  });

  it('rejects unknown members, other versions and malformed fields', async () => {
    const json = paywordCertificates.toJson(await makeCertificate());
    const cases: [unknown, string, string][] = [
      [{ ...json, note: 'x' }, 'invalid_message', 'note'],
      [{ ...json, version: 2 }, 'invalid_message', 'version'],
      [
        { ...json, userPublicKey: json.userPublicKey.slice(1) },
        'invalid_encoding',
        'userPublicKey',
      ],
      [{ ...json, signature: `${json.signature}=` }, 'invalid_encoding', 'signature'],
      [{ ...json, creditLimit: 'EUR 1.001' }, 'invalid_amount', 'creditLimit'],
      [{ ...json, serial: -1 }, 'invalid_message', 'serial'],
      [{ ...json, userId: '' }, 'invalid_message', 'userId'],
      [{ ...json, expiresAt: json.issuedAt }, 'invalid_message', 'PayWord user certificate'],
      ['text', 'invalid_message', 'PayWord user certificate'],
    ];
    for (const [input, code, field] of cases) {
      expect(catchFarthingError(() => paywordCertificates.parse(input))).toMatchObject({
        code,
        details: { field },
      });
    }
  });
});
