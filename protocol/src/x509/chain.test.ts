import { beforeAll, describe, expect, it } from 'vitest';
import { catchFarthingError, farthingErrorCode } from '../errors.fixture.ts';
import { decimalObjectIdentifier, parseCertificate } from './certificate.ts';
import { maxChainLength, verifyCertificateChain } from './chain.ts';
import { farthingKeyPurposes } from './oids.ts';
import {
  customCertificate,
  ed25519CaSigner,
  makeCa,
  makeMerchantCertificate,
  now,
  otherCaSecretKey,
  p256CaSigner,
  type TestCa,
} from './x509.fixture.ts';

let root: TestCa;
let leaf: Uint8Array;

beforeAll(async () => {
  root = await makeCa({ pathLength: 1 });
  leaf = await makeMerchantCertificate(root);
});

describe('verifyCertificateChain', () => {
  it('returns the leaf, the intermediates and the trust anchor of the path', async () => {
    const intermediate = await makeCa({
      name: 'Demo Bank Merchants',
      parent: root,
      signer: ed25519CaSigner(otherCaSecretKey),
    });
    const below = await makeMerchantCertificate(intermediate);
    const path = verifyCertificateChain({
      chain: [below, intermediate.certificate],
      trustedRoots: [root.certificate],
      now,
    });
    expect(path.leaf.der).toEqual(below);
    expect(path.intermediates.map((c) => c.der)).toEqual([intermediate.certificate]);
    expect(path.root.der).toEqual(root.certificate);
  });

  it('refuses an intermediate where the root’s path length allows none', async () => {
    const strict = await makeCa({ name: 'Strict Bank', pathLength: 0, signer: p256CaSigner() });
    const intermediate = await makeCa({
      name: 'Strict Bank Merchants',
      parent: strict,
      signer: ed25519CaSigner(otherCaSecretKey),
    });
    const below = await makeMerchantCertificate(intermediate);
    const error = catchFarthingError(() =>
      verifyCertificateChain({
        chain: [below, intermediate.certificate],
        trustedRoots: [strict.certificate],
        now,
      }),
    );
    expect(error.code).toBe('certificate_untrusted');
    expect(error.shortMessage).toContain('path length');
  });

  it('refuses a chain whose next certificate did not issue the previous one', async () => {
    const unrelated = await makeCa({ name: 'Unrelated CA', signer: p256CaSigner() });
    const error = catchFarthingError(() =>
      verifyCertificateChain({
        chain: [leaf, unrelated.certificate],
        trustedRoots: [root.certificate],
        now,
      }),
    );
    expect(error.code).toBe('certificate_untrusted');
    expect(error.details.field).toBe('chain.0');
  });

  it('refuses a chain longer than it will ever need before checking signatures', () => {
    const chain = Array.from({ length: maxChainLength + 1 }, () => leaf);
    expect(farthingErrorCode(() => verifyCertificateChain({ chain, trustedRoots: [], now }))).toBe(
      'certificate_invalid',
    );
  });

  it('ignores unknown non-critical extensions and refuses unknown critical ones', async () => {
    const nullValue = Uint8Array.of(0x05, 0x00);
    const lenient = await customCertificate(root, (t) => ({
      ...t,
      extensions: [...t.extensions, { id: '1.2.3.4', critical: false, value: nullValue }],
    }));
    expect(
      verifyCertificateChain({ chain: lenient, trustedRoots: [root.certificate], now }).leaf,
    ).toBeDefined();
    const error = await customCertificate(root, (t) => ({
      ...t,
      extensions: [...t.extensions, { id: '1.2.3.4', critical: true, value: nullValue }],
    })).catch((e: unknown) => e);
    // The builder reads back what it signed, so it refuses to issue what verifiers must refuse.
    expect(error).toMatchObject({ code: 'certificate_invalid' });
  });

  it('refuses a repeated extension at issuance too', async () => {
    const error = await customCertificate(root, (t) => ({
      ...t,
      extensions: [...t.extensions, t.extensions.at(-1)!],
    })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'certificate_invalid' });
  });

  it('refuses BER that is not DER (here a long-form length)', () => {
    expect(leaf[0]).toBe(0x30);
    expect(leaf[1]).toBe(0x82); // two length octets follow
    const ber = Uint8Array.of(0x30, 0x83, 0x00, ...leaf.subarray(2));
    const error = catchFarthingError(() => parseCertificate(ber));
    expect(error.code).toBe('certificate_invalid');
    expect(error.shortMessage).toContain('not DER');
  });

  it('checks its own arguments', () => {
    expect(
      farthingErrorCode(() =>
        verifyCertificateChain({ chain: leaf, trustedRoots: [root.certificate], now: -1 }),
      ),
    ).toBe('invalid_argument');
    expect(
      farthingErrorCode(() =>
        verifyCertificateChain({ chain: leaf, trustedRoots: 'x' as never, now }),
      ),
    ).toBe('invalid_argument');
  });
});

describe('parseCertificate', () => {
  it('reads the fields path validation uses', async () => {
    const parsed = parseCertificate(leaf);
    expect(parsed.signatureAlgorithm).toBe('ed25519');
    expect(parsed.basicConstraints).toEqual({ cA: false });
    expect([...(parsed.keyUsage ?? [])]).toEqual(['digitalSignature']);
    expect(parsed.extendedKeyUsage).toEqual([farthingKeyPurposes.merchantOfferSigning]);
    expect(parsed.authorityKeyIdentifier).toEqual(
      parseCertificate(root.certificate).subjectKeyIdentifier,
    );
    expect(parsed.issuer).toEqual(parseCertificate(root.certificate).subject);
  });

  it('refuses a signature made with another algorithm than the certificate names', async () => {
    // The issuer claims Ed25519 but its key signs ECDSA: well-formed, never verifiable.
    const signer = { ...p256CaSigner(), algorithm: 'ed25519' as const };
    const liar: TestCa = { ...root, issuer: { ...root.issuer, signer } };
    const chain = await customCertificate(liar, (t) => t);
    expect(parseCertificate(chain).signatureAlgorithm).toBe('ed25519');
    expect(
      farthingErrorCode(() =>
        verifyCertificateChain({ chain, trustedRoots: [root.certificate], now }),
      ),
    ).toBe('certificate_untrusted');
  });
});

describe('decimalObjectIdentifier', () => {
  it('rewrites the decoder’s hex form of a 128-bit arc in decimal (X.690 §8.19.2)', () => {
    expect(decimalObjectIdentifier('2.25.{013d2169494a5532354119611553124b1f2c0e}.1.1')).toBe(
      farthingKeyPurposes.merchantOfferSigning,
    );
    expect(decimalObjectIdentifier('1.3.101.112')).toBe('1.3.101.112');
  });
});
