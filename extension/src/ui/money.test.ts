import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMinor, majorUnitsText, parseMajorUnits, sumAmounts } from './money.ts';

describe('parseMajorUnits', () => {
  it('reads major units into integer minor units', () => {
    expect(parseMajorUnits('5.00', 'EUR')).toEqual({
      ok: true,
      amount: { currency: 'EUR', minor: 500 },
    });
    expect(parseMajorUnits(' 0.05 ', 'EUR')).toEqual({
      ok: true,
      amount: { currency: 'EUR', minor: 5 },
    });
    expect(parseMajorUnits('1,5', 'EUR')).toEqual({
      ok: true,
      amount: { currency: 'EUR', minor: 150 },
    });
    expect(parseMajorUnits('500', 'JPY')).toEqual({
      ok: true,
      amount: { currency: 'JPY', minor: 500 },
    });
  });

  it('refuses more decimals than the currency has, signs and junk', () => {
    for (const text of ['0.001', '-1', '1e3', 'abc', '1.2.3', '0x10', '']) {
      expect(parseMajorUnits(text, 'EUR').ok, text).toBe(false);
    }
  });

  it('refuses zero unless asked to allow it', () => {
    expect(parseMajorUnits('0', 'EUR')).toEqual({
      ok: false,
      message: 'Enter an amount above zero.',
    });
    expect(parseMajorUnits('0.00', 'EUR', { allowZero: true }).ok).toBe(true);
  });

  it('round-trips every amount through the text people edit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), (minor) => {
        const text = majorUnitsText({ currency: 'EUR', minor });
        expect(parseMajorUnits(text, 'EUR', { allowZero: true })).toEqual({
          ok: true,
          amount: { currency: 'EUR', minor },
        });
      }),
    );
  });
});

describe('formatting', () => {
  it('formats minor units with the currency', () => {
    expect(formatMinor('EUR', 495)).toBe('EUR 4.95');
    expect(formatMinor('EUR', 5)).toBe('EUR 0.05');
  });

  it('sums one currency only', () => {
    expect(
      sumAmounts(
        [
          { currency: 'EUR', minor: 100, text: 'EUR 1.00' },
          { currency: 'USD', minor: 7, text: 'USD 0.07' },
          { currency: 'EUR', minor: 5, text: 'EUR 0.05' },
        ],
        'EUR',
      ),
    ).toEqual({ currency: 'EUR', minor: 105, text: 'EUR 1.05' });
  });
});
