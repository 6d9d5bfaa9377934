import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchModInverse, bitLength, gcd, i2osp, modInverse, modPow, os2ip } from './bigint.ts';
import { vectorKey } from './blind-rsa.fixture.ts';

const { n, p } = vectorKey;
const residue = fc.bigInt({ min: 1n, max: n - 1n });

describe('OS2IP and I2OSP (RFC 8017 §4)', () => {
  it('convert big-endian bytes to integers and back at a fixed width', () => {
    expect(os2ip(Uint8Array.of(0x01, 0x00))).toBe(256n);
    expect(os2ip(new Uint8Array(0))).toBe(0n);
    expect(i2osp(256n, 4)).toEqual(Uint8Array.of(0, 0, 1, 0));
    fc.assert(fc.property(residue, (x) => os2ip(i2osp(x, 512)!) === x));
  });

  it('report an integer too large for the width instead of truncating it', () => {
    expect(i2osp(256n, 1)).toBeUndefined();
    expect(i2osp(-1n, 4)).toBeUndefined();
  });
});

describe('modular arithmetic', () => {
  it('computes powers like the naive definition', () => {
    expect(modPow(4n, 13n, 497n)).toBe(445n);
    expect(modPow(5n, 0n, 7n)).toBe(1n);
    expect(modPow(5n, 3n, 1n)).toBe(0n);
    expect(bitLength(n)).toBe(4096);
    expect([0n, 1n, 15n, 16n, 255n, 256n].map(bitLength)).toEqual([0, 1, 4, 5, 8, 9]);
  });

  it('inverts units and refuses multiples of a prime factor', () => {
    fc.assert(
      fc.property(residue, (x) => {
        const inverse = modInverse(x, n);
        return gcd(x, n) === 1n ? (x * inverse!) % n === 1n : inverse === undefined;
      }),
      { numRuns: 20 },
    );
    expect(modInverse(p, n)).toBeUndefined();
    expect(modInverse(0n, n)).toBeUndefined();
    expect(modInverse(-3n, 7n)).toBe(2n);
  });

  it('agrees with textbook extended Euclid at every size (Lehmer speed-up)', () => {
    const modulus = fc.oneof(
      fc.bigInt({ min: 2n, max: 1n << 64n }),
      fc.bigInt({ min: 1n << 500n, max: 1n << 2048n }),
      fc.constant(n),
    );
    fc.assert(
      fc.property(modulus, fc.bigInt({ min: 0n, max: 1n << 4096n }), (m, x) => {
        expect(modInverse(x, m)).toBe(textbookInverse(x, m));
      }),
      { numRuns: 300 },
    );
  });

  it('batch-inverts to the same values as one inversion each', () => {
    fc.assert(
      fc.property(fc.array(residue, { minLength: 0, maxLength: 8 }), (values) => {
        expect(batchModInverse(values, n)).toEqual(values.map((x) => modInverse(x, n)));
      }),
      { numRuns: 10 },
    );
  });

  it('reports a batch containing a non-invertible value', () => {
    expect(batchModInverse([3n, p, 5n], n)).toBeUndefined();
  });
});

function textbookInverse(value: bigint, modulus: bigint): bigint | undefined {
  let [r0, r1] = [modulus, value % modulus];
  let [s0, s1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) return undefined;
  return ((s0 % modulus) + modulus) % modulus;
}
