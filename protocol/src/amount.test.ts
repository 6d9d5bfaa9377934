import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Amount,
  addAmounts,
  amount,
  compareAmounts,
  currencyExponent,
  equalAmounts,
  formatAmount,
  maxMinorUnits,
  multiplyAmount,
  parseAmount,
  subtractAmounts,
  sumAmounts,
} from './amount.ts';
import { allowFarthingError, farthingErrorCode } from './errors.fixture.ts';

describe('parseAmount / formatAmount', () => {
  it.each([
    ['EUR 0.05', 'EUR', 5],
    ['EUR 0.00', 'EUR', 0],
    ['EUR 10.00', 'EUR', 1000],
    ['EUR 1.5', 'EUR', 150],
    ['EUR 7', 'EUR', 700],
    ['JPY 500', 'JPY', 500],
    ['KWD 1.234', 'KWD', 1234],
    ['CLF 0.0001', 'CLF', 1],
  ])('parses %s', (text, currency, minor) => {
    expect(parseAmount(text)).toEqual({ currency, minor });
  });

  it.each([
    [{ currency: 'EUR', minor: 5 }, 'EUR 0.05'],
    [{ currency: 'EUR', minor: 123456 }, 'EUR 1234.56'],
    [{ currency: 'JPY', minor: 7 }, 'JPY 7'],
    [{ currency: 'BHD', minor: 5 }, 'BHD 0.005'],
  ])('formats %o as %s', (value, text) => {
    expect(formatAmount(value)).toBe(text);
  });

  it.each([
    ['EUR 0.005', 'invalid_amount'],
    ['JPY 1.5', 'invalid_amount'],
    ['EUR -1.00', 'invalid_amount'],
    ['EUR +1.00', 'invalid_amount'],
    ['EUR 01.00', 'invalid_amount'],
    ['EUR 1e3', 'invalid_amount'],
    ['EUR 1,000.00', 'invalid_amount'],
    ['EUR 1.', 'invalid_amount'],
    ['EUR .5', 'invalid_amount'],
    ['eur 1.00', 'invalid_amount'],
    ['EUR  1.00', 'invalid_amount'],
    ['EUR\t1.00', 'invalid_amount'],
    [' EUR 1.00', 'invalid_amount'],
    ['EUR 1.00 ', 'invalid_amount'],
    ['EUR ١.٠٠', 'invalid_amount'],
    ['', 'invalid_amount'],
    ['XYZ 1.00', 'unknown_currency'],
    ['XAU 1', 'unknown_currency'],
    ['EUR 90071992547409.92', 'amount_overflow'],
    [`EUR ${'9'.repeat(40)}`, 'amount_overflow'],
  ])('refuses %j with %s', (text, code) => {
    expect(farthingErrorCode(() => parseAmount(text))).toBe(code);
  });

  it('refuses a non-string', () => {
    expect(farthingErrorCode(() => parseAmount(5 as unknown as string))).toBe('invalid_amount');
  });

  it('accepts the largest amount and no more', () => {
    expect(parseAmount('EUR 90071992547409.91').minor).toBe(maxMinorUnits);
  });

  it('pins the rendered message of a refused amount', () => {
    expect(() => parseAmount('EUR 0.005')).toThrow(
      'EUR has 2 decimals, "EUR 0.005" has 3 [invalid_amount]',
    );
  });

  it('round-trips every amount in every currency (property)', () => {
    const currencies = ['EUR', 'USD', 'JPY', 'KWD', 'CLF', 'CHF'];
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (currency, minor) => {
          const value = amount(currency, minor);
          const text = formatAmount(value);
          expect(parseAmount(text)).toEqual(value);
          expect(text).toMatch(/^[A-Z]{3} \d+(\.\d+)?$/);
        },
      ),
    );
  });

  it('never accepts two texts for different amounts and never returns a non-integer (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        allowFarthingError(() => {
          const value = parseAmount(`EUR ${text}`);
          expect(Number.isSafeInteger(value.minor)).toBe(true);
          expect(value.minor).toBeGreaterThanOrEqual(0);
          expect(parseAmount(formatAmount(value))).toEqual(value);
        });
      }),
    );
  });
});

describe('amount', () => {
  it.each([
    ['EUR', 1.5, 'invalid_amount'],
    ['EUR', Number.NaN, 'invalid_amount'],
    ['EUR', Number.POSITIVE_INFINITY, 'invalid_amount'],
    ['EUR', -1, 'amount_negative'],
    ['EUR', 2 ** 53, 'amount_overflow'],
    ['EURO', 1, 'unknown_currency'],
    ['eur', 1, 'unknown_currency'],
  ])('refuses %s %s with %s', (currency, minor, code) => {
    expect(farthingErrorCode(() => amount(currency, minor))).toBe(code);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(amount('EUR', 1))).toBe(true);
  });

  it('knows minor-unit exponents', () => {
    expect([currencyExponent('EUR'), currencyExponent('JPY'), currencyExponent('KWD')]).toEqual([
      2, 0, 3,
    ]);
  });
});

describe('arithmetic', () => {
  const eur = (minor: number) => amount('EUR', minor);

  it('adds, subtracts, multiplies, sums and compares', () => {
    expect(addAmounts(eur(5), eur(7))).toEqual(eur(12));
    expect(subtractAmounts(eur(7), eur(5))).toEqual(eur(2));
    expect(subtractAmounts(eur(7), eur(7))).toEqual(eur(0));
    expect(multiplyAmount(eur(3), 4)).toEqual(eur(12));
    expect(sumAmounts([eur(1), eur(2), eur(3)], 'EUR')).toEqual(eur(6));
    expect(sumAmounts([], 'EUR')).toEqual(eur(0));
    expect(compareAmounts(eur(1), eur(2))).toBe(-1);
    expect(compareAmounts(eur(2), eur(2))).toBe(0);
    expect(compareAmounts(eur(3), eur(2))).toBe(1);
    expect(equalAmounts(eur(3), amount('USD', 3))).toBe(false);
  });

  it('refuses to mix currencies', () => {
    const usd = amount('USD', 1);
    expect(farthingErrorCode(() => addAmounts(eur(1), usd))).toBe('currency_mismatch');
    expect(farthingErrorCode(() => subtractAmounts(eur(1), usd))).toBe('currency_mismatch');
    expect(farthingErrorCode(() => compareAmounts(eur(1), usd))).toBe('currency_mismatch');
    expect(farthingErrorCode(() => sumAmounts([eur(1), usd], 'EUR'))).toBe('currency_mismatch');
  });

  it('refuses to go negative', () => {
    expect(farthingErrorCode(() => subtractAmounts(eur(5), eur(6)))).toBe('amount_negative');
  });

  it('refuses to overflow', () => {
    expect(farthingErrorCode(() => addAmounts(eur(maxMinorUnits), eur(1)))).toBe('amount_overflow');
    expect(farthingErrorCode(() => multiplyAmount(eur(2 ** 52), 2))).toBe('amount_overflow');
  });

  it('refuses a bad factor or a forged amount object', () => {
    expect(farthingErrorCode(() => multiplyAmount(eur(1), -1))).toBe('invalid_argument');
    expect(farthingErrorCode(() => multiplyAmount(eur(1), 0.5))).toBe('invalid_argument');
    const forged = { currency: 'EUR', minor: 0.1 } as Amount;
    expect(farthingErrorCode(() => addAmounts(forged, eur(1)))).toBe('invalid_amount');
    expect(farthingErrorCode(() => formatAmount({ currency: 'EUR', minor: -1 }))).toBe(
      'invalid_amount',
    );
  });

  it('adds and subtracts as integers do, or refuses (property)', () => {
    const minor = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(minor, minor, (a, b) => {
        if (a + b <= maxMinorUnits) {
          const sum = addAmounts(eur(a), eur(b));
          expect(sum.minor).toBe(a + b);
          expect(subtractAmounts(sum, eur(b))).toEqual(eur(a));
        } else {
          expect(farthingErrorCode(() => addAmounts(eur(a), eur(b)))).toBe('amount_overflow');
        }
        if (b > a)
          expect(farthingErrorCode(() => subtractAmounts(eur(a), eur(b)))).toBe('amount_negative');
      }),
    );
  });
});
