import {
  ed25519PublicKey,
  ed25519Sign,
  nobleEd25519Verify,
  randomSecretKey,
} from '@farthing/protocol/ed25519';
import { describe, expect, it } from 'vitest';
import { coinEd25519, opensslEd25519Verify, sodiumEd25519Verify } from './coin-ed25519.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

// RFC 8032 §7.1, TEST 1, 2 and 3.
const vectors = [
  {
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

/** The eight points of order dividing 8, canonically encoded (computed with noble-curves). */
const smallOrder = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
].map(hex);

/** y = p + k for k < 19, with either sign bit: encodings RFC 8032 §5.1.3 rejects. */
const nonCanonical = Array.from({ length: 19 }, (_, k) => {
  let y = 2n ** 255n - 19n + BigInt(k);
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++, y >>= 8n) bytes[i] = Number(y & 0xffn);
  const negative = bytes.slice();
  negative[31]! |= 0x80;
  return [bytes, negative];
}).flat();

const sodium = sodiumEd25519Verify!;
const verifiers = { libsodium: sodium, openssl: opensslEd25519Verify, noble: nobleEd25519Verify };

describe('coin Ed25519 verification', () => {
  it('uses libsodium on this machine', () => {
    expect(sodiumEd25519Verify).toBeDefined();
    expect(coinEd25519.library).toBe('libsodium');
  });

  it.each(vectors)('accepts RFC 8032 §7.1 vector $publicKey in every verifier', (vector) => {
    for (const verify of Object.values(verifiers)) {
      expect(verify(hex(vector.signature), hex(vector.message), hex(vector.publicKey))).toBe(true);
    }
  });

  it('rejects a non-canonical S (S + L) in every verifier (RFC 8032 §5.1.7)', () => {
    const signature = hex(vectors[0]!.signature);
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    let big = s + order;
    for (let i = 0; i < 32; i++, big >>= 8n) signature[32 + i] = Number(big & 0xffn);
    for (const verify of Object.values(verifiers)) {
      expect(verify(signature, new Uint8Array(0), hex(vectors[0]!.publicKey))).toBe(false);
    }
  });

  it('agrees with OpenSSL and noble on honest and tampered signatures', () => {
    for (let n = 0; n < 100; n++) {
      const secretKey = randomSecretKey();
      const publicKey = ed25519PublicKey(secretKey);
      const message = Uint8Array.from({ length: n % 97 }, (_, i) => (i * n) & 0xff);
      const signature = ed25519Sign(message, secretKey);
      const badSignature = signature.slice();
      badSignature[n % 64]! ^= 1 << (n % 8);
      const badKey = publicKey.slice();
      badKey[n % 32]! ^= 1 << (n % 8);
      for (const [sig, key, expected] of [
        [signature, publicKey, true],
        [badSignature, publicKey, false],
        [signature, badKey, false],
      ] as const) {
        expect(sodium(sig, message, key)).toBe(expected);
        expect(opensslEd25519Verify(sig, message, key)).toBe(expected);
        expect(nobleEd25519Verify(sig, message, key)).toBe(expected);
      }
    }
  });

  it('refuses small-order and non-canonical keys, as noble does and OpenSSL does not', () => {
    const message = Uint8Array.of(1, 2, 3);
    let opensslAccepted = 0;
    for (const publicKey of [...smallOrder, ...nonCanonical]) {
      for (const r of [...smallOrder, ...nonCanonical]) {
        const signature = new Uint8Array(64);
        signature.set(r); // S = 0: [0]B = R + [k]A holds for many small-order A and R
        expect(sodium(signature, message, publicKey)).toBe(false);
        expect(nobleEd25519Verify(signature, message, publicKey)).toBe(false);
        if (opensslEd25519Verify(signature, message, publicKey)) opensslAccepted++;
      }
    }
    // The forgeries the switch to libsodium closes (OpenSSL 3.0 accepts these).
    expect(opensslAccepted).toBeGreaterThan(0);
  });

  it('answers false, never throws, for inputs of the wrong length', () => {
    const publicKey = hex(vectors[0]!.publicKey);
    const signature = hex(vectors[0]!.signature);
    for (const verify of [sodium, opensslEd25519Verify]) {
      expect(verify(signature.subarray(1), new Uint8Array(0), publicKey)).toBe(false);
      expect(verify(signature, new Uint8Array(0), publicKey.subarray(1))).toBe(false);
    }
  });
});
