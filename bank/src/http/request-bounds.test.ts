/**
 * Every request body the bank takes bounds every array and string in it (issue 18, finding 2):
 * the walk covers the route table the server mounts and documents (app.ts `allRouteDocs`), so
 * a route added later with an unbounded schema fails here.
 */
import { unboundedParts } from '@farthing/protocol/schema-bounds.fixture';
import { describe, expect, it } from 'vitest';
import { allRouteDocs } from '../app.ts';

const bodies = allRouteDocs().flatMap((route) =>
  route.body === undefined
    ? []
    : [[`${route.method.toUpperCase()} ${route.path}`, route.body] as const],
);

describe('the bank’s request schemas', () => {
  it('include every route with a body (the walk is not vacuous)', () => {
    expect(bodies.length).toBeGreaterThan(15);
  });

  it.each(bodies)('%s bounds every array and string', (_, schema) => {
    expect(unboundedParts(schema)).toEqual([]);
  });
});
