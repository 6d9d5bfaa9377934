import { sha384 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcd, i2osp, modPow, os2ip } from './bigint.ts';
import { bigintSigner, generateTestKey, replay, variants } from './blind-rsa.fixture.ts';
import { keyContext } from './public-key.ts';
import {
  type BlindRsaVariant,
  blind,
  blindSign,
  finalize,
  notInvertible,
  prepare,
  type RandomSource,
  verify,
} from './rsabssa.ts';

const key = generateTestKey();
const { publicKey } = key;
const signer = bigintSigner(key.integers);
const kLen = 256;
const pss: BlindRsaVariant = 'RSABSSA-SHA384-PSS-Randomized';
const code = (c: string, details?: Record<string, unknown>) =>
  expect.objectContaining(details === undefined ? { code: c } : { code: c, details });

function issue(variant: BlindRsaVariant, msg: Uint8Array) {
  const preparedMsg = prepare(variant, msg);
  const { blindedMsg, inv } = blind(variant, publicKey, preparedMsg);
  const blindSig = blindSign(signer, blindedMsg);
  return { preparedMsg, blindedMsg, inv, blindSig };
}

/** A deterministic random source, as a wallet derives one from a withdrawal seed. */
function seeded(seed: Uint8Array): RandomSource {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 48) {
      const block = sha384(Uint8Array.of(...seed, counter >>> 8, counter & 0xff));
      counter++;
      out.set(block.subarray(0, Math.min(48, length - offset)), offset);
    }
    return out;
  };
}

describe('RSABSSA round trip', () => {
  it.each(variants)('signs, finalizes and verifies with %s', (variant) => {
    const msg = new TextEncoder().encode('coin public key hash');
    const { preparedMsg, inv, blindSig } = issue(variant, msg);
    expect(preparedMsg.length).toBe(msg.length + (variant.endsWith('Randomized') ? 32 : 0));
    const sig = finalize(variant, publicKey, preparedMsg, blindSig, inv);
    expect(sig.length).toBe(kLen);
    expect(() => verify(variant, publicKey, preparedMsg, sig)).not.toThrow();
  });

  it('round-trips random messages in every variant', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...variants),
        fc.uint8Array({ maxLength: 200 }),
        (variant, msg) => {
          const { preparedMsg, inv, blindSig } = issue(variant, msg);
          verify(
            variant,
            publicKey,
            preparedMsg,
            finalize(variant, publicKey, preparedMsg, blindSig, inv),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('blinds the same message differently each time, so the signer cannot link it', () => {
    const msg = Uint8Array.of(1, 2, 3);
    const a = blind('RSABSSA-SHA384-PSSZERO-Deterministic', publicKey, msg);
    const b = blind('RSABSSA-SHA384-PSSZERO-Deterministic', publicKey, msg);
    expect(a.blindedMsg).not.toEqual(b.blindedMsg);
  });

  it('is reproducible from a seeded random source', () => {
    const msg = Uint8Array.of(4, 5, 6);
    const seed = Uint8Array.of(42);
    const first = blind(pss, publicKey, prepare(pss, msg, { random: seeded(seed) }), {
      random: seeded(seed),
    });
    const again = blind(pss, publicKey, prepare(pss, msg, { random: seeded(seed) }), {
      random: seeded(seed),
    });
    expect(again).toEqual(first);
  });
});

describe('RSABSSA rejections', () => {
  const msg = Uint8Array.of(7, 7, 7);
  const { preparedMsg, blindedMsg, inv, blindSig } = issue(pss, msg);
  const sig = finalize(pss, publicKey, preparedMsg, blindSig, inv);
  const salt = new Uint8Array(48).fill(1);

  it('refuses a non-invertible blinding factor with blind_rsa_not_invertible (RFC 9474 §4.2)', () => {
    const r = i2osp(key.integers.p, kLen)!;
    expect(() => blind(pss, publicKey, preparedMsg, { random: replay(salt, r) })).toThrow(
      code('blind_rsa_not_invertible', { field: 'r' }),
    );
  });

  it('names an encoded message that shares a factor with n (RFC 9474 §4.2 "invalid input")', () => {
    const error = notInvertible(keyContext(publicKey), key.integers.q * 3n);
    expect(error).toMatchObject({
      code: 'blind_rsa_not_invertible',
      details: { field: 'encodedMsg' },
    });
  });

  it('refuses a random source that cannot produce r in [1, n)', () => {
    const ones = (length: number) => new Uint8Array(length).fill(0xff);
    expect(() => blind(pss, publicKey, preparedMsg, { random: ones })).toThrow(
      code('invalid_argument', { field: 'random()' }),
    );
    expect(() => prepare(pss, msg, { random: () => new Uint8Array(31) })).toThrow(
      code('invalid_argument'),
    );
  });

  it('refuses a blinded message that is not below n (RFC 8017 §5.2.1)', () => {
    const n = i2osp(publicKey.n, kLen)!;
    expect(() => blindSign(signer, n)).toThrow(code('blind_rsa_invalid_blinded_message'));
    expect(() => blindSign(signer, new Uint8Array(kLen).fill(0xff))).toThrow(
      code('blind_rsa_invalid_blinded_message'),
    );
  });

  it('refuses a blinded message of the wrong size or type', () => {
    expect(() => blindSign(signer, blindedMsg.subarray(1))).toThrow(
      code('invalid_argument', { field: 'blindedMsg', expected: kLen, got: kLen - 1 }),
    );
    expect(() => blindSign(signer, [...blindedMsg] as unknown as Uint8Array)).toThrow(
      code('invalid_argument'),
    );
  });

  it('never releases a wrong signature from a faulty private operation (RFC 9474 §4.3)', () => {
    const flipped = {
      ...signer,
      privateOperation: (x: Uint8Array) => {
        const s = signer.privateOperation(x);
        s[kLen - 1]! ^= 1;
        return s;
      },
    };
    expect(() => blindSign(flipped, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
    const throwing = {
      ...signer,
      privateOperation: () => {
        throw new Error('HSM offline');
      },
    };
    expect(() => blindSign(throwing, blindedMsg)).toThrow(
      expect.objectContaining({ code: 'blind_rsa_signing_failed', cause: expect.any(Error) }),
    );
    const short = { ...signer, privateOperation: () => new Uint8Array(kLen - 1) };
    expect(() => blindSign(short, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
    const tooLarge = { ...signer, privateOperation: () => i2osp(publicKey.n, kLen)! };
    expect(() => blindSign(tooLarge, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
  });

  it('catches a CRT fault, which would otherwise reveal a factor of n', () => {
    const { n, e, d, p, q } = key.integers;
    const m = os2ip(blindedMsg);
    // The half mod q is right, the half mod p is off by one: s ≡ m^d (mod q) only.
    const s = (modPow(m, d, n) + q) % n;
    expect(gcd(modPow(s, e, n) - m + n, n)).toBe(q);
    const faulty = { ...signer, privateOperation: () => i2osp(s, kLen)! };
    expect(() => blindSign(faulty, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
    expect(p * q).toBe(n);
  });

  it("uses the signer's own public operation for the self-check when it has one", () => {
    const lying = { ...signer, publicOperation: () => new Uint8Array(kLen) };
    expect(() => blindSign(lying, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
    const failing = {
      ...signer,
      publicOperation: () => {
        throw new Error('data too large');
      },
    };
    expect(() => blindSign(failing, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
    const honest = {
      ...signer,
      publicOperation: (s: Uint8Array) => i2osp(modPow(os2ip(s), 65537n, publicKey.n), kLen)!,
    };
    expect(blindSign(honest, blindedMsg)).toEqual(blindSig);
  });

  it('refuses to finalize a blind signature that does not unblind to a valid one (RFC 9474 §4.4)', () => {
    const tampered = blindSig.slice();
    tampered[10]! ^= 0x40;
    expect(() => finalize(pss, publicKey, preparedMsg, tampered, inv)).toThrow(
      code('bad_signature', { field: 'blindSig' }),
    );
    expect(() => finalize(pss, publicKey, msg, blindSig, inv)).toThrow(code('bad_signature'));
    const otherInv = blind(pss, publicKey, preparedMsg).inv;
    expect(() => finalize(pss, publicKey, preparedMsg, blindSig, otherInv)).toThrow(
      code('bad_signature'),
    );
  });

  it('refuses finalize inputs of the wrong size ("unexpected input size")', () => {
    expect(() => finalize(pss, publicKey, preparedMsg, blindSig.subarray(1), inv)).toThrow(
      code('invalid_argument', { field: 'blindSig', expected: kLen, got: kLen - 1 }),
    );
    expect(() => finalize(pss, publicKey, preparedMsg, blindSig, new Uint8Array(kLen + 1))).toThrow(
      code('invalid_argument', { field: 'inv', expected: kLen, got: kLen + 1 }),
    );
  });

  it('rejects a tampered signature in verify', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: kLen * 8 - 1 }), (bit) => {
        const tampered = sig.slice();
        tampered[bit >> 3]! ^= 0x80 >> (bit & 7);
        expect(() => verify(pss, publicKey, preparedMsg, tampered)).toThrow(
          code('bad_signature', { field: 'signature' }),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('rejects signatures of the wrong length, not below n, or for another salt length', () => {
    expect(() => verify(pss, publicKey, preparedMsg, sig.subarray(1))).toThrow(
      code('bad_signature'),
    );
    expect(() => verify(pss, publicKey, preparedMsg, new Uint8Array(kLen).fill(0xff))).toThrow(
      code('bad_signature'),
    );
    expect(() => verify('RSABSSA-SHA384-PSSZERO-Randomized', publicKey, preparedMsg, sig)).toThrow(
      code('bad_signature'),
    );
    expect(() => verify(pss, publicKey, preparedMsg.subarray(1), sig)).toThrow(
      code('bad_signature'),
    );
  });

  it('rejects an unknown variant and arguments of the wrong type with invalid_argument', () => {
    const unknown = 'RSABSSA-SHA256-PSS-Randomized' as BlindRsaVariant;
    expect(() => prepare(unknown, msg)).toThrow(code('invalid_argument'));
    expect(() => blind(unknown, publicKey, preparedMsg)).toThrow(code('invalid_argument'));
    expect(() => verify(unknown, publicKey, preparedMsg, sig)).toThrow(code('invalid_argument'));
    expect(() => prepare(pss, 'message' as unknown as Uint8Array)).toThrow(
      code('invalid_argument', { field: 'msg', expected: 'Uint8Array', got: 'string' }),
    );
    expect(() => verify(pss, publicKey, preparedMsg, null as unknown as Uint8Array)).toThrow(
      code('invalid_argument'),
    );
    expect(() => blind(pss, { n: 5n, e: 3n }, preparedMsg)).toThrow(code('invalid_key'));
  });
});
