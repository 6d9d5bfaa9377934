import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { isValibotSchema, unboundedParts } from './schema-bounds.fixture.ts';

describe('unboundedParts', () => {
  it('names arrays, strings and records without an upper bound, at any depth', () => {
    const schema = v.object({
      name: v.string(),
      tags: v.array(v.pipe(v.string(), v.maxLength(8))),
      nested: v.optional(v.object({ list: v.pipe(v.array(v.string()), v.maxLength(4)) })),
      either: v.union([v.literal('a'), v.pipe(v.string(), v.regex(/^x+$/))]),
      extra: v.record(v.string(), v.number()),
    });
    expect(unboundedParts(schema)).toEqual([
      '$.name (string without a maximum)',
      '$.tags (array without a maximum)',
      '$.nested.list[] (string without a maximum)',
      '$.either (string without a maximum)',
      '$.extra (record without a maximum number of entries)',
      '$.extra{key} (string without a maximum)',
    ]);
  });

  it('passes a schema whose every array and string is bounded, through nested pipes', () => {
    const bounded = v.pipe(v.string(), v.maxLength(16));
    const schema = v.object({
      id: v.pipe(
        bounded,
        v.transform((text) => text.length),
      ),
      list: v.pipe(v.array(v.pipe(v.string(), v.length(4))), v.maxLength(3)),
      kind: v.picklist(['a', 'b']),
      count: v.number(),
    });
    expect(unboundedParts(schema)).toEqual([]);
  });
});

/**
 * Every valibot schema a protocol module exports, by itself or as a member of an exported
 * object (a declared message's `schema`): requests and messages from other parties
 * are parsed with these, so each must bound every array and string it admits (issue 18).
 */
describe('every schema the protocol package exports', async () => {
  const manifest = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as { exports: Record<string, string | { '@farthing/source': string }> };
  const modules = Object.values(manifest.exports)
    .map((entry) => (typeof entry === 'string' ? entry : entry['@farthing/source']))
    .filter((file) => !file.includes('.fixture'));
  const schemas: [string, unknown][] = [];
  for (const file of modules) {
    const module = (await import(new URL(`../${file}`, import.meta.url).href)) as Record<
      string,
      unknown
    >;
    for (const [name, value] of Object.entries(module)) {
      const where = `${file.replace('./src/', '')} ${name}`;
      if (isValibotSchema(value)) schemas.push([where, value]);
      // A declared message is exported as one object that holds its schemas (`receipts.schema`).
      else if (typeof value === 'object' && value !== null) {
        for (const [member, held] of Object.entries(value)) {
          if (isValibotSchema(held)) schemas.push([`${where}.${member}`, held]);
        }
      }
    }
  }

  it('finds the schemas (the walk is not vacuous)', () => {
    expect(schemas.length).toBeGreaterThan(20);
  });

  it.each(schemas)('%s bounds every array and string', (_, schema) => {
    expect(unboundedParts(schema)).toEqual([]);
  });
});
