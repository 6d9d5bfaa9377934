import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../encoding.ts';
import { i2osp } from './bigint.ts';
import { generateTestKey, vectorKey } from './blind-rsa.fixture.ts';
import { blindRsaPublicKey, keyContext, publicKeyFromJwk, publicKeyToJwk } from './public-key.ts';

const testKey = generateTestKey();
const code = (c: string) => expect.objectContaining({ code: c });
const b64 = (x: bigint, length: number) => toBase64url(i2osp(x, length)!);

describe('blind RSA public keys', () => {
  it('round-trip through their JWK wire form', () => {
    const jwk = publicKeyToJwk(testKey.publicKey);
    expect(jwk.kty).toBe('RSA');
    expect(jwk.e).toBe('AQAB');
    expect(publicKeyFromJwk(JSON.parse(JSON.stringify(jwk)))).toEqual(testKey.publicKey);
  });

  it('serialize to a JWK that Node and WebCrypto import as RSA-PSS keys', async () => {
    const jwk = publicKeyToJwk(testKey.publicKey);
    const native = createPublicKey({ key: { ...jwk }, format: 'jwk' });
    expect(native.export({ format: 'jwk' })).toMatchObject(jwk);
    const key = await crypto.subtle.importKey(
      'jwk',
      { ...jwk },
      { name: 'RSA-PSS', hash: 'SHA-384' },
      false,
      ['verify'],
    );
    expect(key.algorithm).toMatchObject({ name: 'RSA-PSS', modulusLength: 2048 });
  });

  it('accept 2048- and 4096-bit moduli and report kLen', () => {
    expect(keyContext(testKey.publicKey)).toMatchObject({ modulusBits: 2048, modulusLength: 256 });
    const big = blindRsaPublicKey({ n: vectorKey.n, e: vectorKey.e });
    expect(keyContext(big)).toMatchObject({ modulusBits: 4096, modulusLength: 512, emBits: 4095 });
  });

  it('reject moduli outside 2048–4096 bits, even moduli and bad exponents with invalid_key', () => {
    const { n } = testKey.publicKey;
    expect(() => blindRsaPublicKey({ n: n >> 1n, e: 65537n })).toThrow(code('invalid_key'));
    expect(() => blindRsaPublicKey({ n: (n << 2049n) | 1n, e: 65537n })).toThrow(
      code('invalid_key'),
    );
    expect(() => blindRsaPublicKey({ n: n + 1n, e: 65537n })).toThrow(code('invalid_key'));
    expect(() => blindRsaPublicKey({ n, e: 65536n })).toThrow(code('invalid_key'));
    expect(() => blindRsaPublicKey({ n, e: 1n })).toThrow(code('invalid_key'));
    expect(() => blindRsaPublicKey({ n, e: n })).toThrow(code('invalid_key'));
  });

  it('reject non-bigint integers with invalid_argument naming the field', () => {
    expect(() => blindRsaPublicKey({ n: 5 as unknown as bigint, e: 65537n })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', details: { field: 'publicKey' } }),
    );
    expect(() => keyContext(null)).toThrow(code('invalid_argument'));
  });

  it('revalidate a key object whose integers were changed after first use', () => {
    const key = { n: testKey.publicKey.n, e: 65537n };
    keyContext(key);
    key.e = 2n;
    expect(() => keyContext(key)).toThrow(code('invalid_key'));
  });

  it('reject malformed JWKs', () => {
    const { n, e } = publicKeyToJwk(testKey.publicKey);
    expect(() => publicKeyFromJwk('key')).toThrow(code('invalid_key'));
    expect(() => publicKeyFromJwk({ kty: 'EC', n, e })).toThrow(code('invalid_key'));
    expect(() => publicKeyFromJwk({ kty: 'RSA', n, e: 'AQAB=' })).toThrow(code('invalid_encoding'));
    expect(() => publicKeyFromJwk({ kty: 'RSA', n })).toThrow(code('invalid_encoding'));
    // RFC 7518 §6.3.1.1: a leading zero octet is a second encoding of the same key.
    expect(() => publicKeyFromJwk({ kty: 'RSA', n: b64(testKey.publicKey.n, 257), e })).toThrow(
      code('invalid_key'),
    );
    expect(() =>
      publicKeyFromJwk({ kty: 'RSA', n: b64(testKey.publicKey.n >> 8n, 255), e }),
    ).toThrow(code('invalid_key'));
  });
});
