import { describe, expect, it } from 'vitest';
import { ed25519Signer } from '../ed25519.ts';
import { signingTags, utf8Bytes } from '../encoding.ts';
import { catchFarthingError, farthingErrorCode } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import {
  merchantRegistrations,
  type SignedMerchantRegistration,
  type SignMerchantRegistrationParameters,
  signMerchantRegistration,
  type VerifyMerchantRegistrationParameters,
  verifyMerchantRegistration,
} from './merchant-registration.ts';
import { merchantSigner, now } from './x509.fixture.ts';

const request: SignMerchantRegistrationParameters = {
  merchantId: 'demo-shop',
  name: 'Demo Shop',
  origins: ['https://shop.example', 'http://localhost:8701'],
  bankId: 'demo-bank',
  createdAt: now,
};
const atBank: VerifyMerchantRegistrationParameters = { bankId: 'demo-bank', now: now + 1000 };

describe('merchant registration', () => {
  it('is signed by the offer key it asks to certify, and verifies at the bank', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    expect(signed.offerPublicKey).toEqual(merchantSigner.publicKey);
    expect(signed.version).toBe(1);
    expect(() => verifyMerchantRegistration(signed, atBank)).not.toThrow();
    expect(() =>
      verifyMerchantRegistration(signed, { ...atBank, ed25519Verify: nodeEd25519Verify }),
    ).not.toThrow();
  });

  it('signs bytes under its own domain-separation tag', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const bytes = merchantRegistrations.signingBytes(signed);
    const tag = utf8Bytes(signingTags.merchantRegistration);
    expect(tag).toEqual(utf8Bytes('farthing/merchant-registration'));
    expect(bytes.subarray(4, 4 + tag.length)).toEqual(tag);
  });

  it('refuses any change to a signed field', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const other = ed25519Signer(new Uint8Array(32).fill(9)).publicKey;
    const tampered: SignedMerchantRegistration[] = [
      { ...signed, merchantId: 'evil-shop' },
      { ...signed, name: 'Evil Shop' },
      { ...signed, origins: ['https://evil.example'] },
      { ...signed, origins: [...signed.origins].reverse() },
      { ...signed, offerPublicKey: other },
      { ...signed, createdAt: now + 1 },
      { ...signed, signature: signed.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) },
    ];
    for (const registration of tampered) {
      expect(farthingErrorCode(() => verifyMerchantRegistration(registration, atBank))).toBe(
        'bad_signature',
      );
    }
  });

  it('refuses a request for another key than the signer’s (no proof of possession)', async () => {
    const signed = await signMerchantRegistration(
      request,
      ed25519Signer(new Uint8Array(32).fill(9)),
    );
    const forged = { ...signed, offerPublicKey: merchantSigner.publicKey };
    expect(farthingErrorCode(() => verifyMerchantRegistration(forged, atBank))).toBe(
      'bad_signature',
    );
  });

  it('refuses a request addressed to another bank', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const error = catchFarthingError(() =>
      verifyMerchantRegistration(signed, { ...atBank, bankId: 'other-bank' }),
    );
    expect(error.code).toBe('registration_wrong_bank');
  });

  it('refuses a request that is too old or dated ahead, at the window edges', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const check = (at: number) =>
      farthingErrorCode(() => verifyMerchantRegistration(signed, { bankId: 'demo-bank', now: at }));
    expect(check(now + 5 * 60_000)).toBeUndefined();
    expect(check(now + 5 * 60_000 + 1)).toBe('registration_stale');
    expect(check(now - 60_000)).toBeUndefined();
    expect(check(now - 60_001)).toBe('registration_stale');
  });

  it('refuses to sign a request breaking the certificate profile', async () => {
    for (const bad of [
      { origins: ['http://shop.example'] },
      { origins: [] },
      { name: 'Shop\u202E' },
      { merchantId: 'demo shop' },
      { bankId: '' },
    ]) {
      await expect(
        signMerchantRegistration({ ...request, ...bad }, merchantSigner),
      ).rejects.toThrow(/invalid_argument/);
    }
  });
});

describe('merchant registration on the wire', () => {
  it('round-trips through JSON and still verifies', async () => {
    const signed = await signMerchantRegistration(request, merchantSigner);
    const wire = JSON.parse(JSON.stringify(merchantRegistrations.signedToWire(signed)));
    expect(Object.keys(wire).sort()).toEqual(
      [
        'bankId',
        'createdAt',
        'merchantId',
        'name',
        'offerPublicKey',
        'origins',
        'signature',
        'version',
      ].sort(),
    );
    const parsed = merchantRegistrations.parse(wire);
    expect(parsed).toEqual(signed);
    expect(() => verifyMerchantRegistration(parsed, atBank)).not.toThrow();
  });

  it.each([
    ['version', { version: 2 }, 'unsupported_version'],
    ['origins.0', { origins: ['http://shop.example'] }, 'invalid_message'],
    ['origins', { origins: ['https://a.example', 'https://a.example'] }, 'invalid_message'],
    ['name', { name: 'a\u0007' }, 'invalid_message'],
    ['offerPublicKey', { offerPublicKey: 'AAAA' }, 'invalid_encoding'],
    ['extra', { extra: 1 }, 'invalid_message'],
  ])('refuses a bad %s', async (field, change, code) => {
    const wire = merchantRegistrations.signedToWire(
      await signMerchantRegistration(request, merchantSigner),
    );
    const error = catchFarthingError(() => merchantRegistrations.parse({ ...wire, ...change }));
    expect(error.code).toBe(code);
    expect(error.details.field).toBe(field);
  });
});
