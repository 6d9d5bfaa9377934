import { id_ce_extKeyUsage, id_ce_keyUsage } from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { catchFarthingError, farthingErrorCode } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import { signOffer, verifyOffer } from '../offer.ts';
import { ed25519SubjectPublicKeyInfo } from './algorithms.ts';
import {
  basicConstraintsExtension,
  distinguishedName,
  extendedKeyUsageExtension,
  keyUsageExtension,
  subjectAltNameUrisExtension,
} from './certificate-builder.ts';
import {
  isMerchantName,
  isMerchantOrigin,
  merchantCertificateTemplate,
  type VerifyMerchantCertificateParameters,
  verifyMerchantCertificate,
} from './merchant-certificate.ts';
import { idAtCommonName } from './oids.ts';
import { encodePem } from './pem.ts';
import {
  customCertificate,
  day,
  demoMerchant,
  makeCa,
  makeMerchantCertificate,
  merchantSigner,
  now,
  p256CaSigner,
  type TestCa,
  withExtension,
  withoutExtension,
} from './x509.fixture.ts';

let bank: TestCa;
let leaf: Uint8Array;

beforeAll(async () => {
  bank = await makeCa();
  leaf = await makeMerchantCertificate(bank);
});

function verify(overrides: Partial<VerifyMerchantCertificateParameters> = {}) {
  return verifyMerchantCertificate({
    chain: leaf,
    trustedRoots: [bank.certificate],
    origin: 'https://shop.example',
    now,
    ...overrides,
  });
}

describe('verifyMerchantCertificate', () => {
  it('returns the merchant id, name, origins, offer key and expiry of a certificate it issued', () => {
    const verified = verify();
    expect(verified).toEqual({
      merchantId: 'demo-shop',
      name: 'Demo Shop',
      origins: ['https://shop.example', 'http://localhost:8701'],
      offerPublicKey: merchantSigner.publicKey,
      notAfter: now + 90 * day,
      serialNumber: expect.stringMatching(/^[0-9a-f]+$/),
      issuerName: 'Demo Bank',
    });
    expect(verify({ origin: 'http://localhost:8701' }).merchantId).toBe('demo-shop');
  });

  it('yields the key that verifies the merchant’s offers', async () => {
    const offer = await signOffer(
      {
        merchantId: 'demo-shop',
        merchantOrigin: 'https://shop.example',
        resource: '/articles/7',
        amount: amount('EUR', 5),
        createdAt: now,
        expiresAt: now + 600_000,
        instruments: ['ecash'],
      },
      merchantSigner,
    );
    const { offerPublicKey } = verify();
    expect(() => verifyOffer(offer, { merchantPublicKey: offerPublicKey })).not.toThrow();
  });

  it('reads DER, PEM, a chain that repeats the root, and verifies natively too', () => {
    const pem = encodePem('CERTIFICATE', leaf);
    const rootPem = encodePem('CERTIFICATE', bank.certificate);
    expect(verify({ chain: pem, trustedRoots: [rootPem] }).merchantId).toBe('demo-shop');
    expect(verify({ chain: pem + rootPem }).merchantId).toBe('demo-shop');
    expect(verify({ chain: [leaf, bank.certificate] }).merchantId).toBe('demo-shop');
    expect(verify({ ed25519Verify: nodeEd25519Verify }).merchantId).toBe('demo-shop');
  });

  it('accepts a bank whose CA key is ECDSA P-256', async () => {
    const p256Bank = await makeCa({ signer: p256CaSigner(), name: 'P-256 Bank' });
    const chain = await makeMerchantCertificate(p256Bank);
    const verified = verify({ chain, trustedRoots: [bank.certificate, p256Bank.certificate] });
    expect(verified.issuerName).toBe('P-256 Bank');
  });

  it('is valid from notBefore through notAfter inclusive', () => {
    expect(verify({ now: now + 90 * day }).merchantId).toBe('demo-shop');
    expect(verify({ now: now - day }).merchantId).toBe('demo-shop');
  });
});

describe('verifyMerchantCertificate refuses', () => {
  it('a certificate from a CA the user does not trust', async () => {
    const impostor = await makeCa({ signer: p256CaSigner() }); // same name, another key
    const chain = await makeMerchantCertificate(impostor);
    expect(farthingErrorCode(() => verify({ chain }))).toBe('certificate_untrusted');
    const stranger = await makeCa({ name: 'Stranger Bank', signer: p256CaSigner() });
    const other = await makeMerchantCertificate(stranger);
    expect(catchFarthingError(() => verify({ chain: other })).shortMessage).toContain('unknown CA');
    expect(farthingErrorCode(() => verify({ trustedRoots: [] }))).toBe('certificate_untrusted');
  });

  it('a certificate with one byte changed', () => {
    const name = new TextEncoder().encode('Demo Shop');
    const at = Buffer.from(leaf).indexOf(Buffer.from(name));
    const renamed = leaf.slice();
    renamed[at + name.length - 1]! ^= 0x01; // "Demo Shoq" still parses
    expect(farthingErrorCode(() => verify({ chain: renamed }))).toBe('certificate_untrusted');
    const badSignature = leaf.slice();
    badSignature[badSignature.length - 1]! ^= 0x80;
    expect(farthingErrorCode(() => verify({ chain: badSignature }))).toBe('certificate_untrusted');
  });

  it('every single-byte change, anywhere in the certificate', () => {
    for (let index = 0; index < leaf.length; index++) {
      const changed = leaf.slice();
      changed[index]! ^= 0x04;
      const code = farthingErrorCode(() => verify({ chain: changed }));
      expect(['certificate_invalid', 'certificate_untrusted']).toContain(code);
    }
  });

  it('an expired or not yet valid certificate', async () => {
    expect(farthingErrorCode(() => verify({ now: now + 90 * day + 1 }))).toBe(
      'certificate_expired',
    );
    const error = catchFarthingError(() => verify({ now: now - day - 1 }));
    expect(error.code).toBe('certificate_not_yet_valid');
    expect(error.details).toMatchObject({ field: 'chain.0', notBefore: now - day });
  });

  it('a certificate from an expired or not yet valid CA', async () => {
    const expired = await makeCa({ notBefore: now - 10 * day, notAfter: now - day });
    const chain = await makeMerchantCertificate(expired);
    const error = catchFarthingError(() => verify({ chain, trustedRoots: [expired.certificate] }));
    expect(error.code).toBe('certificate_expired');
    expect(error.details.field).toBe('trustedRoot');
    const future = await makeCa({ notBefore: now + day, notAfter: now + 10 * day });
    const early = await makeMerchantCertificate(future);
    expect(
      farthingErrorCode(() => verify({ chain: early, trustedRoots: [future.certificate] })),
    ).toBe('certificate_not_yet_valid');
  });

  it('a page origin the certificate does not name, however close', () => {
    for (const origin of [
      'https://evil.example',
      'http://shop.example',
      'https://shop.example:8443',
      'https://shop.example/',
      'https://SHOP.example',
      'https://sub.shop.example',
      'http://127.0.0.1:8701',
      'null',
    ]) {
      const error = catchFarthingError(() => verify({ origin }));
      expect(error.code).toBe('certificate_origin_mismatch');
    }
    expect(farthingErrorCode(() => verify({ origin: undefined as never }))).toBe(
      'invalid_argument',
    );
  });

  it('a certificate naming a plain-http origin on a public host', async () => {
    const chain = await customCertificate(bank, (t) =>
      withExtension(
        t,
        subjectAltNameUrisExtension(['urn:farthing:merchant:demo-shop', 'http://shop.example']),
      ),
    );
    expect(farthingErrorCode(() => verify({ chain, origin: 'http://shop.example' }))).toBe(
      'certificate_invalid',
    );
  });

  it('a leaf that is itself a CA', async () => {
    const ca = await customCertificate(bank, (t) =>
      withExtension(t, basicConstraintsExtension(true)),
    );
    expect(catchFarthingError(() => verify({ chain: ca })).shortMessage).toContain(
      'CA certificate',
    );
    const signer = await customCertificate(bank, (t) =>
      withExtension(t, keyUsageExtension(['digitalSignature', 'keyCertSign'])),
    );
    expect(farthingErrorCode(() => verify({ chain: signer }))).toBe('certificate_invalid');
  });

  it('a certificate signed by a CA without keyCertSign, or by a non-CA', async () => {
    const noCertSign = await makeCa({ keyUsage: ['digitalSignature', 'cRLSign'] });
    const chain = await makeMerchantCertificate(noCertSign);
    const error = catchFarthingError(() =>
      verify({ chain, trustedRoots: [noCertSign.certificate] }),
    );
    expect(error.code).toBe('certificate_untrusted');
    expect(error.shortMessage).toContain('not allowed to sign certificates');
    const notCa = await makeCa({ cA: false, keyUsage: ['digitalSignature'] });
    const chain2 = await makeMerchantCertificate(notCa);
    expect(
      farthingErrorCode(() => verify({ chain: chain2, trustedRoots: [notCa.certificate] })),
    ).toBe('certificate_untrusted');
  });

  it('a certificate without the Farthing merchant purpose', async () => {
    for (const edit of [
      extendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'], false), // TLS server
      extendedKeyUsageExtension(['2.25.125787674023513304205142869238587315726.1.2'], true),
      keyUsageExtension(['keyAgreement']),
    ]) {
      const chain = await customCertificate(bank, (t) => withExtension(t, edit));
      expect(farthingErrorCode(() => verify({ chain }))).toBe('certificate_wrong_purpose');
    }
    for (const id of [id_ce_extKeyUsage, id_ce_keyUsage]) {
      const chain = await customCertificate(bank, (t) => withoutExtension(t, id));
      expect(farthingErrorCode(() => verify({ chain }))).toBe('certificate_wrong_purpose');
    }
  });

  it('a certificate whose key is not Ed25519', async () => {
    const p256Key = p256CaSigner().subjectPublicKeyInfo;
    const chain = await customCertificate(bank, (t) => ({ ...t, subjectPublicKeyInfo: p256Key }));
    const error = catchFarthingError(() => verify({ chain }));
    expect(error.code).toBe('certificate_invalid');
    expect(error.shortMessage).toContain('Ed25519');
  });

  it('a certificate without exactly one merchant id, or naming other things', async () => {
    for (const uris of [
      ['https://shop.example'],
      ['urn:farthing:merchant:a', 'urn:farthing:merchant:b', 'https://shop.example'],
      ['urn:farthing:merchant:', 'https://shop.example'],
      ['urn:farthing:merchant:demo-shop'],
      ['urn:farthing:merchant:demo-shop', 'https://shop.example', 'https://shop.example'],
      ['urn:farthing:merchant:demo-shop', 'https://shop.example', 'mailto:a@shop.example'],
    ]) {
      const chain = await customCertificate(bank, (t) =>
        withExtension(t, subjectAltNameUrisExtension(uris)),
      );
      expect(farthingErrorCode(() => verify({ chain }))).toBe('certificate_invalid');
    }
  });

  it('a display name that could disguise the payee', async () => {
    const chain = await customCertificate(bank, (t) => ({
      ...t,
      subject: distinguishedName([{ type: idAtCommonName, value: 'Shop\u202Eevil' }]),
    }));
    expect(farthingErrorCode(() => verify({ chain }))).toBe('certificate_invalid');
  });

  it('garbage, truncated or padded input, and PEM of another kind', () => {
    const truncated = leaf.slice(0, -1);
    const padded = Uint8Array.of(...leaf, 0);
    const key = encodePem('PUBLIC KEY', ed25519SubjectPublicKeyInfo(merchantSigner.publicKey));
    for (const chain of [
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01),
      crypto.getRandomValues(new Uint8Array(300)),
      truncated,
      padded,
      '',
      'not a certificate',
      key,
      42 as never,
      [] as never,
    ]) {
      expect(farthingErrorCode(() => verify({ chain }))).toBe('certificate_invalid');
    }
    expect(farthingErrorCode(() => verify({ trustedRoots: ['junk'] }))).toBe('invalid_argument');
  });
});

describe('merchantCertificateTemplate', () => {
  const base = { ...demoMerchant, serialNumber: Uint8Array.of(1), notBefore: now, notAfter: now };

  it.each([
    ['merchantId', { merchantId: 'demo shop' }],
    ['name', { name: '' }],
    ['name', { name: 'x'.repeat(65) }],
    ['name', { name: ' Demo' }],
    ['origins', { origins: [] }],
    ['origins.0', { origins: ['http://shop.example'] }],
    ['origins.0', { origins: ['https://shop.example/'] }],
    ['origins', { origins: ['https://shop.example', 'https://shop.example'] }],
    ['offerPublicKey', { offerPublicKey: new Uint8Array(31) }],
  ])('refuses a bad %s', (field, override) => {
    const error = catchFarthingError(() => merchantCertificateTemplate({ ...base, ...override }));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
  });

  it('certifies the offer key as an RFC 8410 SubjectPublicKeyInfo', () => {
    const { subjectPublicKeyInfo } = merchantCertificateTemplate(base);
    // RFC 8410 §10.1: SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING (0 unused bits) key }
    const prefix = Buffer.from('302a300506032b6570032100', 'hex');
    expect(Buffer.from(subjectPublicKeyInfo)).toEqual(
      Buffer.concat([prefix, merchantSigner.publicKey]),
    );
  });
});

describe('origin and name rules', () => {
  it.each([
    ['https://shop.example', true],
    ['https://xn--bcher-kva.example', true],
    ['https://shop.example:8443', true],
    ['http://localhost:8701', true],
    ['http://demo.localhost', true],
    ['http://127.0.0.1:8701', true],
    ['http://[::1]:8701', true],
    ['http://shop.example', false],
    ['http://10.0.0.1', false],
    ['https://bücher.example', false],
    ['https://shop.example:443', false],
    ['https://shop.example/', false],
    ['ftp://shop.example', false],
    ['null', false],
  ])('isMerchantOrigin(%s) is %s', (origin, expected) => {
    expect(isMerchantOrigin(origin)).toBe(expected);
  });

  it('accepts ordinary names and refuses control and bidi characters', () => {
    expect(isMerchantName('Bäckerei Müller & Söhne')).toBe(true);
    expect(isMerchantName('Shop\u0000')).toBe(false);
    expect(isMerchantName('Shop\u200Bx')).toBe(false);
    expect(isMerchantName('Shop\u2066x')).toBe(false);
  });
});
