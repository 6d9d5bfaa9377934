import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emsaPssEncode, emsaPssVerify, hashLength, mgf1Sha384 } from './pss.ts';

const emBits = 2047;

describe('EMSA-PSS with SHA-384 (RFC 8017 §9.1)', () => {
  it('fills the mask from consecutive SHA-384 blocks and truncates the last', () => {
    const seed = Uint8Array.of(1, 2, 3);
    const long = mgf1Sha384(seed, 3 * hashLength);
    expect(mgf1Sha384(seed, 100)).toEqual(long.subarray(0, 100));
    expect(mgf1Sha384(seed, 0)).toEqual(new Uint8Array(0));
  });

  it('round-trips any message with a 48-byte or empty salt', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(0, 48),
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        (message, saltLength, saltBytes) => {
          const encoded = emsaPssEncode(message, emBits, saltBytes.subarray(0, saltLength));
          expect(encoded.length).toBe(256);
          expect(encoded[0]! & 0x80).toBe(0);
          expect(encoded[255]).toBe(0xbc);
          expect(emsaPssVerify(message, encoded, emBits, saltLength)).toBe(true);
          expect(emsaPssVerify(message, encoded, emBits, 48 - saltLength)).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rejects an encoding with any single bit flipped', () => {
    const message = Uint8Array.of(9, 9, 9);
    const encoded = emsaPssEncode(message, emBits, new Uint8Array(48).fill(7));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: encoded.length * 8 - 1 }), (bit) => {
        const tampered = encoded.slice();
        tampered[bit >> 3]! ^= 0x80 >> (bit & 7);
        return !emsaPssVerify(message, tampered, emBits, 48);
      }),
      { numRuns: 200 },
    );
    expect(emsaPssVerify(Uint8Array.of(9, 9, 8), encoded, emBits, 48)).toBe(false);
    expect(emsaPssVerify(message, encoded.subarray(1), emBits, 48)).toBe(false);
  });

  it('refuses a key too short for hash, salt and markers with blind_rsa_message_too_long', () => {
    // RFC 8017 §9.1.1 step 3: emLen < hLen + sLen + 2 is an "encoding error".
    expect(() => emsaPssEncode(Uint8Array.of(1), 8 * 97, new Uint8Array(48))).toThrow(
      expect.objectContaining({ code: 'blind_rsa_message_too_long' }),
    );
    expect(() => emsaPssEncode(Uint8Array.of(1), 8 * 98, new Uint8Array(48))).not.toThrow();
  });
});
