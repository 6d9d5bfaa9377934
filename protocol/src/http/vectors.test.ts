/**
 * Runs every vector file in `protocol/test/vectors/http-auth/`. Each vector names the parser
 * (`parse`), its input (`input`, or `inputLines` for several header lines combined by
 * `Headers`), and either the `expected` result or the `error` (code, reason, and where given
 * the parameter and position).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catchFarthingError } from '../errors.fixture.ts';
import { type AuthChallenge, parseChallenges, parseCredentials } from './auth-header.ts';
import { findFarthingChallenge, parseFarthingCredentials } from './farthing-auth.ts';

interface Vector {
  readonly name: string;
  readonly parse: 'challenges' | 'credentials' | 'farthing-challenge' | 'farthing-credentials';
  readonly input?: string;
  readonly inputLines?: readonly string[];
  readonly expected?: unknown;
  readonly error?: { code: string; reason: string; param?: string; position?: number };
  readonly note?: string;
}

interface VectorFile {
  readonly source: string;
  readonly description: string;
  readonly vectors: readonly Vector[];
}

const directory = new URL('../../test/vectors/http-auth/', import.meta.url);
const files = readdirSync(directory).filter((name) => name.endsWith('.json'));

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function plain(item: AuthChallenge): unknown {
  return item.type === 'token68'
    ? item
    : { type: 'params', scheme: item.scheme, params: Object.fromEntries(item.params) };
}

function headerValue(vector: Vector, name: string): string {
  if (vector.inputLines === undefined) return vector.input ?? '';
  const headers = new Headers();
  for (const line of vector.inputLines) headers.append(name, line);
  return headers.get(name) ?? '';
}

function run(vector: Vector): unknown {
  switch (vector.parse) {
    case 'challenges':
      return parseChallenges(headerValue(vector, 'www-authenticate')).map(plain);
    case 'credentials':
      return plain(parseCredentials(headerValue(vector, 'authorization')));
    case 'farthing-challenge': {
      const found = findFarthingChallenge(headerValue(vector, 'www-authenticate'));
      if (found === undefined) return null;
      const { offer, ...rest } = found;
      return { ...rest, offerHex: hex(offer) };
    }
    case 'farthing-credentials':
      return {
        credentialHex: hex(
          parseFarthingCredentials(headerValue(vector, 'authorization')).credential,
        ),
      };
    default: {
      const never: never = vector.parse;
      throw new Error(`unknown parser ${String(never)}`);
    }
  }
}

it('finds the vector files', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
});

describe.each(files)('%s', (file) => {
  const data = JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as VectorFile;

  it('names its source', () => {
    expect(data.source.length).toBeGreaterThan(10);
    expect(data.vectors.length).toBeGreaterThan(0);
  });

  it.each(data.vectors.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const { error, expected } = vector;
    if (error === undefined) {
      expect(run(vector)).toEqual(expected);
      return;
    }
    const thrown = catchFarthingError(() => run(vector));
    expect(thrown.code).toBe(error.code);
    expect(thrown.details.reason).toBe(error.reason);
    if (error.param !== undefined) expect(thrown.details.param).toBe(error.param);
    if (error.position !== undefined) expect(thrown.details.position).toBe(error.position);
  });
});
