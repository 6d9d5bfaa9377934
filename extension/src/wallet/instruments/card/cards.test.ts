import { describe, expect, it } from 'vitest';
import { normalizeExpiry } from './cards.ts';

describe('the expiry as typed off a card', () => {
  it('reads MM/YY, MM/YYYY and YYYY-MM', () => {
    expect(normalizeExpiry('04/29')).toBe('2029-04');
    expect(normalizeExpiry(' 4 / 2031 ')).toBe('2031-04');
    expect(normalizeExpiry('2030-12')).toBe('2030-12');
  });

  it('refuses a month that does not exist and other shapes', () => {
    expect(normalizeExpiry('13/29')).toBeUndefined();
    expect(normalizeExpiry('00/29')).toBeUndefined();
    expect(normalizeExpiry('0429')).toBeUndefined();
    expect(normalizeExpiry('')).toBeUndefined();
  });
});
