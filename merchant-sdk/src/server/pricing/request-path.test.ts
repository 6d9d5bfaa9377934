import { farthingErrorCode } from '@farthing/protocol/errors.fixture';
import { describe, expect, it } from 'vitest';
import { pathVectors, vectorPrices } from './path-vectors.ts';
import { compilePriceTable } from './price-table.ts';
import { classifyRequestPath, requestPathOf } from './request-path.ts';

const table = compilePriceTable(vectorPrices);

describe('priced path matching', () => {
  it.each(pathVectors)('$target is $expected ($why)', (vector) => {
    const decision = classifyRequestPath(table, requestPathOf(vector.target));
    expect(decision.kind).toBe(vector.expected);
    if (vector.expected === 'priced' && decision.kind === 'priced') {
      expect(decision.priced.resource).toBe(vector.resource);
    }
  });

  it('gives the entry’s price, title and parameters', () => {
    const decision = classifyRequestPath(table, '/gallery/3/full');
    expect(decision).toMatchObject({
      kind: 'priced',
      priced: {
        resource: '/gallery/3/full',
        price: { currency: 'EUR', minor: 2 },
        title: 'Photo 3',
        pattern: '/gallery/:id/full',
        params: { id: '3' },
      },
    });
  });

  it('decodes parameters', () => {
    const decision = classifyRequestPath(table, '/articles/caf%C3%A9');
    expect(decision.kind === 'priced' && decision.priced.params).toEqual({ slug: 'café' });
  });

  it('leaves every path free when nothing is priced', () => {
    expect(classifyRequestPath([], '/Articles/7/')).toEqual({ kind: 'free' });
  });

  it('takes the path of a request-target up to its query or fragment', () => {
    expect(requestPathOf('/a/b?c#d')).toBe('/a/b');
    expect(requestPathOf('http://host:8080')).toBe('/');
    expect(requestPathOf('https://host/x%2Fy?z')).toBe('/x%2Fy');
  });
});

describe('price table', () => {
  it.each([
    ['a pattern without a leading slash', [{ path: 'articles/:slug', price: 'EUR 0.05' }]],
    ['a trailing slash', [{ path: '/articles/', price: 'EUR 0.05' }]],
    ['an empty segment', [{ path: '/articles//x', price: 'EUR 0.05' }]],
    ['a dot segment', [{ path: '/articles/../x', price: 'EUR 0.05' }]],
    ['a percent-encoding', [{ path: '/caf%C3%A9', price: 'EUR 0.05' }]],
    ['a repeated parameter', [{ path: '/:a/:a', price: 'EUR 0.05' }]],
    ['a float price', [{ path: '/a', price: 0.05 as never }]],
    ['a zero price', [{ path: '/a', price: 'EUR 0.00' }]],
    ['an empty title', [{ path: '/a', price: 'EUR 0.01', title: '' }]],
    [
      'overlapping entries',
      [
        { path: '/articles/:slug', price: 'EUR 0.05' },
        { path: '/articles/special', price: 'EUR 0.50' },
      ],
    ],
  ])('refuses %s', (_, entries) => {
    expect(farthingErrorCode(() => compilePriceTable(entries))).toBe('invalid_argument');
  });

  it('accepts literals with sub-delimiters and parameters anywhere', () => {
    expect(
      compilePriceTable([
        { path: '/a/b~c/d.e/f_g/h-i', price: 'EUR 0.01' },
        { path: '/x/:one/y/:two', price: { currency: 'EUR', minor: 3 } },
      ]),
    ).toHaveLength(2);
  });

  it('keeps a long computed title within the offer’s 200 characters', () => {
    const [entry] = compilePriceTable([
      { path: '/p/:id', price: 'EUR 0.01', title: () => 'x'.repeat(500) },
    ]);
    const decision = classifyRequestPath([entry!], '/p/1');
    expect(decision.kind === 'priced' && decision.priced.title?.length).toBe(200);
  });
});
