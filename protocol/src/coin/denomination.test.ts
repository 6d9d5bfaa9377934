import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { catchFarthingError, farthingErrorCode } from '../errors.fixture.ts';
import { parseMessage } from '../schema.ts';
import { day, eur, generateDenominationKey, makeDenomination, now } from './coin.fixture.ts';
import {
  checkDenominationUsable,
  type Denomination,
  denominationId,
  denominationSchema,
  denominationToWire,
} from './denomination.ts';

const key = generateDenominationKey();
const denomination = makeDenomination(key);

const parseDenomination = (input: unknown) =>
  parseMessage(v.strictObject({ d: denominationSchema }), { d: input }, 'denomination').d;

describe('denominationId', () => {
  it('is 32 bytes and the same for equal descriptors', () => {
    expect(denominationId(denomination)).toHaveLength(32);
    expect(denominationId({ ...denomination })).toEqual(denominationId(denomination));
  });

  it('hashes a descriptor afresh once it is changed in place', () => {
    const d = makeDenomination(key);
    const mutable = d as { -readonly [K in keyof Denomination]: Denomination[K] };
    const before = denominationId(d);
    d.publicKey.n[100]! ^= 1;
    const flipped = denominationId(d);
    expect(flipped).not.toEqual(before);
    d.publicKey.n[100]! ^= 1;
    expect(denominationId(d)).toEqual(before);
    mutable.depositUntil += 1;
    expect(denominationId(d)).not.toEqual(before);
    denominationId(d)[0]! ^= 1;
    expect(denominationId(d)).toEqual(denominationId({ ...d }));
  });

  it.each<[string, Partial<Denomination>]>([
    ['value', { value: eur(200) }],
    ['currency', { value: amount('USD', 100) }],
    ['key', { publicKey: generateDenominationKey().publicKey }],
    ['validFrom', { validFrom: now - day + 1 }],
    ['withdrawUntil', { withdrawUntil: now + 30 * day + 1 }],
    ['depositUntil', { depositUntil: now + 365 * day + 1 }],
  ])('changes with the %s', (_, change) => {
    expect(denominationId({ ...denomination, ...change })).not.toEqual(
      denominationId(denomination),
    );
  });

  it('changes with any single bit of the modulus', () => {
    fc.assert(
      // Any bit but the top one (2048-bit length) and the lowest (n is odd).
      fc.property(
        fc.integer({ min: 0, max: 2047 }).filter((bit) => bit !== 7 && bit !== 2040),
        (bit) => {
          const n = denomination.publicKey.n.slice();
          n[bit >> 3]! ^= 1 << (bit & 7);
          const changed = { ...denomination, publicKey: { ...denomination.publicKey, n } };
          expect(denominationId(changed)).not.toEqual(denominationId(denomination));
        },
      ),
      { numRuns: 50 },
    );
  });

  it.each<[string, Partial<Denomination>]>([
    ['denomination.value', { value: eur(0) }],
    [
      'denomination.publicKey.n',
      { publicKey: { n: new Uint8Array(255).fill(0xff), e: key.publicKey.e } },
    ],
    [
      'denomination.publicKey.n',
      { publicKey: { n: new Uint8Array(256).fill(0x7f), e: key.publicKey.e } },
    ],
    [
      'denomination.publicKey.n',
      { publicKey: { n: new Uint8Array(256).fill(0xfe), e: key.publicKey.e } },
    ],
    [
      'denomination.publicKey.e',
      { publicKey: { n: key.publicKey.n, e: Uint8Array.of(0, 1, 0, 1) } },
    ],
    ['denomination.publicKey.e', { publicKey: { n: key.publicKey.n, e: Uint8Array.of(1) } }],
    ['denomination.publicKey.e', { publicKey: { n: key.publicKey.n, e: Uint8Array.of(1, 0) } }],
    ['denomination.publicKey.e', { publicKey: { n: key.publicKey.n, e: new Uint8Array(0) } }],
    [
      'denomination.cipher',
      { cipher: 'RSABSSA-SHA384-PSS-Deterministic' as Denomination['cipher'] },
    ],
    ['denomination.withdrawUntil', { withdrawUntil: now - day }],
    ['denomination.depositUntil', { depositUntil: now }],
    ['denomination.validFrom', { validFrom: -1 }],
  ])('refuses a descriptor with a bad %s', (field, change) => {
    const bad = { ...denomination, ...change };
    const error = catchFarthingError(() => denominationId(bad));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
  });
});

describe('checkDenominationUsable', () => {
  it('allows withdrawing in [validFrom, withdrawUntil)', () => {
    expect(() =>
      checkDenominationUsable(denomination, 'withdraw', denomination.validFrom),
    ).not.toThrow();
    expect(() =>
      checkDenominationUsable(denomination, 'withdraw', denomination.withdrawUntil - 1),
    ).not.toThrow();
    expect(
      farthingErrorCode(() =>
        checkDenominationUsable(denomination, 'withdraw', denomination.withdrawUntil),
      ),
    ).toBe('denomination_expired');
  });

  it('allows depositing in [validFrom, depositUntil), after withdrawals have stopped', () => {
    expect(() =>
      checkDenominationUsable(denomination, 'deposit', denomination.withdrawUntil),
    ).not.toThrow();
    expect(() =>
      checkDenominationUsable(denomination, 'deposit', denomination.depositUntil - 1),
    ).not.toThrow();
    expect(
      farthingErrorCode(() =>
        checkDenominationUsable(denomination, 'deposit', denomination.depositUntil),
      ),
    ).toBe('denomination_expired');
  });

  it.each(['withdraw', 'deposit'] as const)('refuses to %s before validFrom', (use) => {
    expect(
      farthingErrorCode(() =>
        checkDenominationUsable(denomination, use, denomination.validFrom - 1),
      ),
    ).toBe('denomination_not_yet_valid');
  });

  it('refuses an unknown use and a bad time', () => {
    expect(
      farthingErrorCode(() => checkDenominationUsable(denomination, 'spend' as 'deposit', now)),
    ).toBe('invalid_argument');
    expect(farthingErrorCode(() => checkDenominationUsable(denomination, 'deposit', 1.5))).toBe(
      'invalid_argument',
    );
  });
});

describe('denomination wire form', () => {
  it('round-trips through JSON as JWK-style base64url n and e', () => {
    const wire = denominationToWire(denomination);
    expect(wire.cipher).toBe('RSABSSA-SHA384-PSS-Randomized');
    expect(wire.value).toBe('EUR 1.00');
    expect(wire.publicKey.e).toBe('AQAB');
    const parsed = parseDenomination(JSON.parse(JSON.stringify(wire)));
    expect(parsed).toEqual(denomination);
    expect(denominationId(parsed)).toEqual(denominationId(denomination));
  });

  it.each<[string, (wire: Record<string, unknown>) => void, string]>([
    [
      'another cipher',
      (w) => {
        w.cipher = 'RSABSSA-SHA384-PSSZERO-Randomized';
      },
      'invalid_message',
    ],
    [
      'a short modulus',
      (w) => {
        w.publicKey = { n: 'AQAB', e: 'AQAB' };
      },
      'invalid_encoding',
    ],
    [
      'an exponent with a leading zero',
      (w) => {
        w.publicKey = { ...(w.publicKey as object), e: 'AAEAAQ' };
      },
      'invalid_message',
    ],
    [
      'a JWK kty member',
      (w) => {
        w.publicKey = { ...(w.publicKey as object), kty: 'RSA' };
      },
      'invalid_message',
    ],
    [
      'a zero value',
      (w) => {
        w.value = 'EUR 0.00';
      },
      'invalid_message',
    ],
    [
      'withdrawals ending after deposits',
      (w) => {
        w.withdrawUntil = (w.depositUntil as number) + 1;
      },
      'invalid_message',
    ],
    [
      'an unknown member',
      (w) => {
        w.id = 'x';
      },
      'invalid_message',
    ],
  ])('refuses %s', (_, change, code) => {
    const wire: Record<string, unknown> = { ...denominationToWire(denomination) };
    change(wire);
    expect(farthingErrorCode(() => parseDenomination(wire))).toBe(code);
  });
});
