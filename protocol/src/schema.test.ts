import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { catchFarthingError } from './errors.fixture.ts';
import {
  amountSchema,
  bytesSchema,
  countSchema,
  identifierSchema,
  originSchema,
  parseMessage,
  timestampSchema,
} from './schema.ts';

const example = v.strictObject({
  price: amountSchema,
  key: bytesSchema(2),
  at: timestampSchema,
  count: countSchema,
  merchant: identifierSchema,
  origin: originSchema,
});

const good = {
  price: 'EUR 0.05',
  key: 'AQI',
  at: 1_700_000_000_000,
  count: 3,
  merchant: 'demo-shop',
  origin: 'https://shop.example',
};

const parseFailure = (input: unknown) =>
  catchFarthingError(() => parseMessage(example, input, 'example'));

describe('parseMessage', () => {
  it('returns typed values', () => {
    expect(parseMessage(example, good, 'example')).toEqual({
      ...good,
      price: { currency: 'EUR', minor: 5 },
      key: Uint8Array.of(1, 2),
    });
  });

  it('names the offending field', () => {
    const error = parseFailure({ ...good, count: -1 });
    expect(error.code).toBe('invalid_message');
    expect(error.details).toEqual({ field: 'count', message: 'example' });
  });

  it('keeps the code of a coded transform', () => {
    expect(parseFailure({ ...good, price: 'EUR 0.005' }).code).toBe('invalid_amount');
    expect(parseFailure({ ...good, price: 'ABC 1' }).code).toBe('unknown_currency');
    expect(parseFailure({ ...good, key: 'AQ==' }).code).toBe('invalid_encoding');
    expect(parseFailure({ ...good, key: 'AQID' }).code).toBe('invalid_encoding');
  });

  it.each([
    ['a float timestamp', { ...good, at: 1.5 }],
    ['an unknown member', { ...good, extra: 1 }],
    ['a missing member', { ...good, merchant: undefined }],
    ['an identifier with a slash', { ...good, merchant: 'a/b' }],
    ['an identifier too long', { ...good, merchant: 'a'.repeat(129) }],
    ['an origin with a path', { ...good, origin: 'https://shop.example/x' }],
    ['an origin with a trailing slash', { ...good, origin: 'https://shop.example/' }],
    ['a non-http origin', { ...good, origin: 'javascript:alert(1)' }],
    ['not an object', 'hello'],
  ])('refuses %s', (_name, input) => {
    expect(parseFailure(input).code).toBe('invalid_message');
  });
});
