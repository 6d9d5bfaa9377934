import { describe, expect, it } from 'vitest';
import { catchFarthingError } from '../errors.fixture.ts';
import {
  type AuthChallenge,
  formatChallenge,
  formatChallenges,
  formatCredentials,
  isToken,
  isToken68,
  maxAuthHeaderLength,
  parseChallenges,
  parseCredentials,
} from './auth-header.ts';

function reason(fn: () => unknown): unknown {
  const error = catchFarthingError(fn);
  expect(error.code).toBe('malformed_header');
  return error.details.reason;
}

const params = (scheme: string, entries: Record<string, string>): AuthChallenge => ({
  type: 'params',
  scheme,
  params: new Map(Object.entries(entries)),
});

describe('parseChallenges', () => {
  it('parses several challenges with lowercased scheme and parameter names', () => {
    const [first, second] = parseChallenges('Newauth Realm="Apps", TYPE=1, Basic abc==');
    expect(first).toEqual(params('newauth', { realm: 'Apps', type: '1' }));
    expect(second).toEqual({ type: 'token68', scheme: 'basic', token68: 'abc==' });
  });

  it('reads several WWW-Authenticate lines combined by Headers as one list', () => {
    const headers = new Headers();
    headers.append('WWW-Authenticate', 'Basic realm="a"');
    headers.append('WWW-Authenticate', 'Farthing realm="b"');
    const value = headers.get('www-authenticate') ?? '';
    expect(parseChallenges(value).map((c) => c.scheme)).toEqual(['basic', 'farthing']);
  });

  it('keeps parameter order', () => {
    const [challenge] = parseChallenges('X b=1, a=2, c=3');
    expect(challenge?.type === 'params' && [...challenge.params.keys()]).toEqual(['b', 'a', 'c']);
  });

  it('accepts a value of exactly the maximum length', () => {
    const value = `X a="${'v'.repeat(maxAuthHeaderLength - 6)}"`;
    expect(value.length).toBe(maxAuthHeaderLength);
    expect(parseChallenges(value)).toHaveLength(1);
  });

  it('rejects a value one character over the maximum length', () => {
    const value = `X a="${'v'.repeat(maxAuthHeaderLength - 5)}"`;
    expect(reason(() => parseChallenges(value))).toBe('too_long');
  });

  it('renders a message that names the header, the problem and the position', () => {
    const error = catchFarthingError(() => parseChallenges('X a="b'));
    expect(error.shortMessage).toBe('WWW-Authenticate: unterminated quoted-string at 4');
    expect(error.message).toBe(
      'WWW-Authenticate: unterminated quoted-string at 4 [malformed_header]',
    );
    expect(error.details).toEqual({
      header: 'WWW-Authenticate',
      reason: 'unterminated_quoted_string',
      position: 4,
    });
    expect(error.status).toBe(400);
  });

  it('rejects a value that is not a string as a calling error', () => {
    expect(catchFarthingError(() => parseChallenges(null as unknown as string)).code).toBe(
      'invalid_argument',
    );
  });

  it.each([
    ['control_character', 'X a=b\u0000'],
    ['invalid_character', 'X a="\u{1F4B0}"'],
    ['empty', ' , '],
    ['expected_token', 'X a=b, "c"'],
    ['expected_space', 'X\ta=b'],
    ['expected_equals', 'X a b=c'],
    ['expected_value', 'X a=;'],
    ['stray_equals', 'X a=b='],
    ['unterminated_quoted_string', 'X a="b\\"'],
    ['expected_comma', 'X a="b" c=d'],
    ['duplicate_param', 'X a=1, A=2'],
    ['token68_with_params', 'X abc=, d=e'],
  ])('rejects with reason %s', (expected, value) => {
    expect(reason(() => parseChallenges(value))).toBe(expected);
  });
});

describe('parseCredentials', () => {
  it('parses token68 credentials', () => {
    expect(parseCredentials('Bearer mF_9.B5f-4.1JqM')).toEqual({
      type: 'token68',
      scheme: 'bearer',
      token68: 'mF_9.B5f-4.1JqM',
    });
  });

  it('parses auth-param credentials', () => {
    expect(parseCredentials('Farthing credential="abc"')).toEqual(
      params('farthing', { credential: 'abc' }),
    );
  });

  it('rejects a second set of credentials', () => {
    const error = catchFarthingError(() => parseCredentials('X a=b, Y c=d'));
    expect(error.details).toMatchObject({
      header: 'Authorization',
      reason: 'multiple_credentials',
    });
  });

  it('rejects a leading comma, since Authorization is not a list', () => {
    expect(reason(() => parseCredentials(', X a=b'))).toBe('expected_token');
  });

  it('rejects an empty value', () => {
    expect(reason(() => parseCredentials(''))).toBe('empty');
  });

  it('rejects a value over the maximum length', () => {
    expect(reason(() => parseCredentials(`X ${'a'.repeat(maxAuthHeaderLength)}`))).toBe('too_long');
  });
});

describe('formatChallenge', () => {
  it('leaves tokens unquoted and quotes the rest, escaping quote and backslash', () => {
    const challenge = params('Newauth', { realm: 'apps', title: 'Login to "apps" \\o/', e: '' });
    expect(formatChallenge(challenge)).toBe(
      'Newauth realm=apps, title="Login to \\"apps\\" \\\\o/", e=""',
    );
  });

  it('quotes every value when asked to', () => {
    expect(formatChallenge(params('X', { a: 'b' }), { quote: 'always' })).toBe('X a="b"');
  });

  it('writes a scheme without parameters alone', () => {
    expect(formatChallenge(params('Newauth', {}))).toBe('Newauth');
  });

  it('writes a token68', () => {
    expect(formatChallenge({ type: 'token68', scheme: 'Basic', token68: 'YWJjZA==' })).toBe(
      'Basic YWJjZA==',
    );
  });

  it.each([
    ['a control character', params('X', { a: 'b\nc' })],
    ['a horizontal tab', params('X', { a: 'b\tc' })],
    ['DEL', params('X', { a: '\u007f' })],
    ['non-ASCII', params('X', { a: 'caf\u00e9' })],
    ['a scheme that is not a token', params('X Y', {})],
    ['an empty scheme', params('', {})],
    [
      'a parameter name that is not a string',
      {
        type: 'params',
        scheme: 'X',
        params: new Map([[1 as unknown as string, 'v']]),
      } as const,
    ],
    ['a parameter name that is not a token', params('X', { 'a b': 'c' })],
    ['an invalid token68', { type: 'token68', scheme: 'X', token68: 'a=b' } as const],
    ['an empty token68', { type: 'token68', scheme: 'X', token68: '' } as const],
    [
      'names differing only in case',
      {
        type: 'params',
        scheme: 'X',
        params: new Map([
          ['a', '1'],
          ['A', '2'],
        ]),
      } as const,
    ],
  ])('refuses %s', (_what, challenge: AuthChallenge) => {
    expect(catchFarthingError(() => formatChallenge(challenge)).code).toBe('invalid_argument');
  });

  it('refuses to produce a value longer than the parser accepts', () => {
    const challenge = params('X', { a: 'v'.repeat(maxAuthHeaderLength) });
    expect(catchFarthingError(() => formatChallenge(challenge)).code).toBe('invalid_argument');
  });
});

describe('formatChallenges', () => {
  it('joins challenges into one list that parses back', () => {
    const value = formatChallenges([
      params('Basic', { realm: 'simple' }),
      { type: 'token68', scheme: 'Newauth', token68: 'abc=' },
      params('Farthing', { realm: 'https://shop.example' }),
    ]);
    expect(value).toBe('Basic realm=simple, Newauth abc=, Farthing realm="https://shop.example"');
    expect(parseChallenges(value)).toHaveLength(3);
  });

  it('refuses an empty list, since a 402 or 401 carries at least one challenge', () => {
    expect(catchFarthingError(() => formatChallenges([])).code).toBe('invalid_argument');
  });
});

describe('formatCredentials', () => {
  it('writes auth-param credentials that parse back', () => {
    const value = formatCredentials(params('Farthing', { credential: 'abc' }), { quote: 'always' });
    expect(value).toBe('Farthing credential="abc"');
    expect(parseCredentials(value)).toEqual(params('farthing', { credential: 'abc' }));
  });
});

describe('isToken / isToken68', () => {
  it('tells tokens from other strings', () => {
    expect(isToken("!#$%&'*+-.^_`|~09AZaz")).toBe(true);
    expect(isToken('')).toBe(false);
    expect(isToken('a b')).toBe(false);
    expect(isToken('a/b')).toBe(false);
  });

  it('tells token68 from other strings', () => {
    expect(isToken68('Az09-._~+/==')).toBe(true);
    expect(isToken68('=')).toBe(false);
    expect(isToken68('a=b')).toBe(false);
    expect(isToken68('')).toBe(false);
  });
});
