import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowFarthingError, farthingErrorCode } from './errors.fixture.ts';
import {
  assertCanonicalResource,
  isCanonicalResource,
  maxResourceLength,
  normalizeResource,
} from './offer-resource.ts';

describe('normalizeResource', () => {
  it.each([
    ['/articles/7', '/articles/7'],
    ['/a/./b/../c', '/a/c'],
    ['/a/%2e%2E/b', '/b'],
    ['/..', '/'],
    ['/a?', '/a'],
    ['/a b', '/a%20b'],
    ['/é', '/%C3%A9'],
    ['/%7euser/%2fx', '/~user/%2Fx'],
    ['/%41%2D%5f', '/A-_'],
    ['/a?b=%7E%2f', '/a?b=~%2F'],
    ['/x?q=a+b&c', '/x?q=a+b&c'],
    ['/A/B/', '/A/B/'],
    ['/a//b', '/a//b'],
  ])('brings %j to %j', (input, normal) => {
    expect(normalizeResource(input)).toBe(normal);
    expect(isCanonicalResource(normal)).toBe(true);
  });

  it('keeps case and trailing slashes: they name different resources', () => {
    expect(normalizeResource('/Articles/')).not.toBe(normalizeResource('/articles'));
  });

  it.each([
    ['articles/7', 'relative path'],
    ['//evil.example/x', 'another host'],
    ['/\\evil.example/x', 'backslash turning into another host'],
    ['https://shop.example/a', 'absolute URL'],
    ['/a#top', 'fragment'],
    ['', 'empty'],
    ['/\ud800', 'lone surrogate'],
    [`/${'a'.repeat(maxResourceLength)}`, 'too long'],
    [`/${'é'.repeat(maxResourceLength / 4)}`, 'too long once percent-encoded'],
  ])('refuses %j (%s) with invalid_argument', (input) => {
    expect(farthingErrorCode(() => normalizeResource(input))).toBe('invalid_argument');
    expect(isCanonicalResource(input)).toBe(false);
  });

  it('refuses a non-string', () => {
    expect(farthingErrorCode(() => normalizeResource(7 as unknown as string))).toBe(
      'invalid_argument',
    );
    expect(isCanonicalResource(7)).toBe(false);
  });

  it('tells a resource not in normal form apart, naming the field', () => {
    expect(isCanonicalResource('/a/../b')).toBe(false);
    expect(() => assertCanonicalResource('/%7e', 'grant.resource')).toThrow('"grant.resource"');
  });

  it('is idempotent', () => {
    const segment = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.option(segment), (parts, query) => {
        const input = `/${parts.join('/')}${query === null ? '' : `?${query}`}`;
        const normal = allowFarthingError(() => normalizeResource(input));
        if (normal === undefined) return;
        expect(normalizeResource(normal)).toBe(normal);
        expect(normal.startsWith('/')).toBe(true);
      }),
    );
  });
});
