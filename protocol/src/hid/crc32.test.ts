import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.ts';

const file = new URL('../../test/vectors/crc32/check-values.json', import.meta.url);
const { vectors } = JSON.parse(readFileSync(file, 'utf8')) as {
  vectors: { ascii: string; crc: string }[];
};

describe('crc32', () => {
  it.each(vectors)('matches the published value for "$ascii"', ({ ascii, crc }) => {
    expect(crc32(new TextEncoder().encode(ascii)).toString(16).padStart(8, '0')).toBe(crc);
  });

  it('gives the same result over parts as over their concatenation', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes.subarray(0, 4), bytes.subarray(4))).toBe(0xcbf43926);
  });
});
