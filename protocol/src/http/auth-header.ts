/**
 * A strict parser and serializer for the HTTP authentication framework (RFC 9110 §11):
 * challenges in `WWW-Authenticate` (§11.6.1) and credentials in `Authorization` (§11.6.2).
 *
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]      ; §11.3
 *   credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]      ; §11.4
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )         ; §11.2
 *   token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * Header values come from the other party, so anything outside the grammar is refused with
 * `malformed_header` and `details: { header, reason, position }` rather than guessed at. The
 * few places where we are stricter than a lenient browser are deliberate and listed in the
 * vectors (`protocol/test/vectors/http-auth/`): CR/LF (obs-fold is the HTTP layer's job,
 * RFC 9112 §5.2), duplicate parameters (§11.2 "MUST only occur once"), and an empty list.
 *
 * Scheme and parameter names are case-insensitive (§11.1, §11.2) and returned lowercased;
 * values and token68 are returned exactly (after quoted-string unescaping, §5.6.4).
 *
 * Long because it is a whole grammar with its error positions; a partial parser would guess
 * where it must refuse.
 */
import { FarthingError } from '../errors.ts';

/** Longest header value accepted or produced: bounds the work a hostile value can cause. */
export const maxAuthHeaderLength = 8192;

export type AuthParams = ReadonlyMap<string, string>;

/** One challenge or one set of credentials: the two share a grammar (§11.3, §11.4). */
export type AuthChallenge =
  | { readonly type: 'params'; readonly scheme: string; readonly params: AuthParams }
  | { readonly type: 'token68'; readonly scheme: string; readonly token68: string };

export type AuthCredentials = AuthChallenge;

/** Stable values of `details.reason` on a `malformed_header` error from this module. */
export type AuthHeaderFailure =
  | 'too_long'
  | 'control_character'
  | 'invalid_character'
  | 'empty'
  | 'expected_token'
  | 'expected_space'
  | 'expected_equals'
  | 'expected_value'
  | 'stray_equals'
  | 'unterminated_quoted_string'
  | 'expected_comma'
  | 'duplicate_param'
  | 'token68_with_params'
  | 'multiple_credentials';

export interface FormatAuthOptions {
  /**
   * `as-needed` (default) writes a value as a token when it is one; `always` quotes every
   * value (schemes whose documentation shows `realm="…"` read better that way). Recipients
   * must accept both (§11.2).
   */
  readonly quote?: 'as-needed' | 'always';
}

type HeaderName = 'WWW-Authenticate' | 'Authorization';

// --- character classes (RFC 9110 §5.6.2 tchar, §11.2 token68, §5.6.3 OWS)

function charTable(chars: string): boolean[] {
  const table = new Array<boolean>(128).fill(false);
  for (const c of chars) table[c.charCodeAt(0)] = true;
  return table;
}

const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const tchars = charTable(`${alnum}!#$%&'*+-.^_\`|~`);
const token68chars = charTable(`${alnum}-._~+/`);

const isTchar = (code: number): boolean => code < 128 && tchars[code] === true;
const isToken68char = (code: number): boolean => code < 128 && token68chars[code] === true;
const isOws = (code: number): boolean => code === 0x20 || code === 0x09;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

export function isToken(value: string): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

export function isToken68(value: string): boolean {
  if (typeof value !== 'string') return false;
  let i = 0;
  while (i < value.length && isToken68char(value.charCodeAt(i))) i++;
  if (i === 0) return false;
  while (i < value.length && value.charCodeAt(i) === EQUALS) i++;
  return i === value.length;
}

// --- scanner

class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly header: HeaderName,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  /** Char code at `at` (default: current position), or -1 past the end. */
  code(at = this.pos): number {
    return at < this.text.length ? this.text.charCodeAt(at) : -1;
  }

  skipOws(from = this.pos): number {
    let at = from;
    while (isOws(this.code(at))) at++;
    return at;
  }

  tokenEnd(from = this.pos): number {
    let at = from;
    while (isTchar(this.code(at))) at++;
    return at;
  }

  fail(reason: AuthHeaderFailure, message: string, position = this.pos): never {
    throw new FarthingError('malformed_header', `${this.header}: ${message} at ${position}`, {
      details: { header: this.header, reason, position },
    });
  }

  readToken(what: string): string {
    const end = this.tokenEnd();
    if (end === this.pos) this.fail('expected_token', `expected ${what}`);
    const token = this.text.slice(this.pos, end);
    this.pos = end;
    return token;
  }

  /** quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (§5.6.4); CTLs are already
   * refused by `checkCharacters`, so every remaining character is qdtext or escapable. */
  readQuoted(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      const code = this.code();
      if (code === -1) this.fail('unterminated_quoted_string', 'unterminated quoted-string', start);
      if (code === DQUOTE) {
        out += this.text.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (code === BACKSLASH) {
        out += this.text.slice(chunk, this.pos);
        this.pos++;
        if (this.done) this.fail('unterminated_quoted_string', 'unterminated quoted-pair', start);
        chunk = this.pos;
      }
      this.pos++;
    }
  }

  /**
   * Where the next list element starts if it is an auth-param (`token BWS "="`), looking past
   * empty elements (§5.6.1); undefined when it is something else (a new challenge, the end).
   * This is how a comma is told apart: one that separates parameters of this challenge or
   * one that starts the next challenge (§11.6.1 note).
   */
  nextParamStart(from: number): number | undefined {
    let at = this.skipOws(from);
    while (this.code(at) === COMMA) at = this.skipOws(at + 1);
    const end = this.tokenEnd(at);
    if (end === at) return undefined;
    return this.code(this.skipOws(end)) === EQUALS ? at : undefined;
  }
}

/** RFC 9110 §5.5: field values are visible ASCII, SP, HTAB and (obsolete) obs-text. CR and
 * LF cannot appear in a field value once the message is parsed, NUL never may. */
function checkCharacters(s: Scanner): void {
  if (s.text.length > maxAuthHeaderLength) {
    s.fail('too_long', `header value longer than ${maxAuthHeaderLength} characters`, 0);
  }
  for (let i = 0; i < s.text.length; i++) {
    const code = s.text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      s.fail('control_character', 'control character', i);
    }
    if (code > 0xff) s.fail('invalid_character', 'character outside the header octet range', i);
  }
}

function parseParamValue(s: Scanner): string {
  s.pos = s.skipOws(); // BWS
  const code = s.code();
  if (code === DQUOTE) return s.readQuoted();
  if (code === EQUALS) s.fail('stray_equals', 'unexpected "="');
  if (!isTchar(code)) s.fail('expected_value', 'expected a token or quoted-string value');
  return s.readToken('a value');
}

/** Parses one challenge or credentials at the scanner's position; stops before the comma that
 * ends it, or at the end of the value. */
function parseAuthItem(s: Scanner): AuthChallenge {
  const scheme = s.readToken('an auth-scheme').toLowerCase();
  const wsStart = s.pos;
  const afterWs = s.skipOws();
  const ws = s.text.slice(wsStart, afterWs);
  // §11.3: only 1*SP separates the scheme from its token68 or parameters.
  const spaced = ws.length > 0 && !ws.includes('\t');
  const next = s.code(afterWs);
  if (next === -1 || next === COMMA) {
    // "Basic , realm=x": the parameter list may begin with empty elements (§5.6.1).
    const paramStart = spaced && next === COMMA ? s.nextParamStart(afterWs) : undefined;
    if (paramStart === undefined) return { type: 'params', scheme, params: new Map() };
    s.pos = paramStart;
    return { type: 'params', scheme, params: parseParams(s) };
  }
  if (!spaced) s.fail('expected_space', 'expected a single space after the auth-scheme', wsStart);
  s.pos = afterWs;

  // token68 when the run of token68 characters is all there is before the next comma.
  let end = s.pos;
  while (isToken68char(s.code(end))) end++;
  if (end > s.pos) {
    while (s.code(end) === EQUALS) end++;
    const after = s.code(s.skipOws(end));
    if (after === -1 || after === COMMA) {
      const token68 = s.text.slice(s.pos, end);
      if (s.nextParamStart(end) !== undefined) {
        s.fail('token68_with_params', 'a token68 cannot be followed by parameters', end);
      }
      s.pos = end;
      return { type: 'token68', scheme, token68 };
    }
  }
  return { type: 'params', scheme, params: parseParams(s) };
}

function parseParams(s: Scanner): AuthParams {
  const params = new Map<string, string>();
  for (;;) {
    const namePosition = s.pos;
    const name = s.readToken('a parameter name').toLowerCase();
    s.pos = s.skipOws(); // BWS
    if (s.code() !== EQUALS) s.fail('expected_equals', 'expected "=" after a parameter name');
    s.pos++;
    const value = parseParamValue(s);
    // §11.2: "each parameter name MUST only occur once per challenge" (case-insensitively).
    if (params.has(name)) {
      s.fail('duplicate_param', `parameter "${name}" occurs twice`, namePosition);
    }
    params.set(name, value);

    const afterValue = s.skipOws();
    const code = s.code(afterValue);
    if (code === -1) {
      s.pos = afterValue;
      return params;
    }
    if (code === EQUALS) s.fail('stray_equals', 'unexpected "="', afterValue);
    if (code !== COMMA) s.fail('expected_comma', 'expected "," or the end', afterValue);
    const nextStart = s.nextParamStart(afterValue);
    if (nextStart === undefined) return params; // the comma belongs to the outer list
    s.pos = nextStart;
  }
}

function assertHeaderString(value: unknown, header: HeaderName): asserts value is string {
  if (typeof value !== 'string') {
    throw new FarthingError('invalid_argument', `expected the ${header} value as a string`, {
      details: { field: header, expected: 'string', got: typeof value },
    });
  }
}

/**
 * Parses a `WWW-Authenticate` value: `1#challenge` (§11.6.1). Several header lines joined with
 * ", " (what `Headers.get` returns) are one list by §5.3, so they parse the same way.
 */
export function parseChallenges(headerValue: string): AuthChallenge[] {
  assertHeaderString(headerValue, 'WWW-Authenticate');
  const s = new Scanner(headerValue, 'WWW-Authenticate');
  checkCharacters(s);
  const challenges: AuthChallenge[] = [];
  s.pos = s.skipOws(); // §5.5: leading and trailing whitespace is not part of the value
  for (;;) {
    while (s.code() === COMMA) s.pos = s.skipOws(s.pos + 1); // empty elements (§5.6.1)
    if (s.done) break;
    challenges.push(parseAuthItem(s));
    s.pos = s.skipOws();
    if (s.done) break;
    if (s.code() !== COMMA) s.fail('expected_comma', 'expected "," between challenges');
  }
  if (challenges.length === 0) s.fail('empty', 'no challenge', 0);
  return challenges;
}

/** Parses an `Authorization` value: exactly one `credentials` (§11.6.2). */
export function parseCredentials(headerValue: string): AuthCredentials {
  assertHeaderString(headerValue, 'Authorization');
  const s = new Scanner(headerValue, 'Authorization');
  checkCharacters(s);
  s.pos = s.skipOws();
  if (s.done) s.fail('empty', 'no credentials', 0);
  const credentials = parseAuthItem(s);
  // Only an auth-param list may end in empty elements; anything else is a second item.
  let at = s.skipOws();
  if (credentials.type === 'params') {
    while (s.code(at) === COMMA) at = s.skipOws(at + 1);
  }
  if (at < s.text.length) {
    s.fail('multiple_credentials', 'expected exactly one set of credentials', at);
  }
  return credentials;
}

// --- serializers

function formatError(field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `${field}: ${message}`, { details: { field } });
}

/** Visible ASCII and SP only: the subset every recipient reads the same way. */
function assertPrintable(value: string, field: string): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      throw formatError(field, `character ${code} at ${i} is not visible ASCII or space`);
    }
  }
}

function formatParamValue(value: string, field: string, quote: 'as-needed' | 'always'): string {
  if (typeof value !== 'string') throw formatError(field, 'expected a string value');
  assertPrintable(value, field);
  if (quote === 'as-needed' && isToken(value)) return value;
  // §5.6.4: a sender escapes exactly DQUOTE and backslash inside a quoted-string.
  let out = '"';
  for (const c of value) out += c === '"' || c === '\\' ? `\\${c}` : c;
  return `${out}"`;
}

function formatItem(item: AuthChallenge, field: string, options: FormatAuthOptions): string {
  if (!isToken(item.scheme)) {
    throw formatError(`${field}.scheme`, 'the auth-scheme must be a token');
  }
  switch (item.type) {
    case 'token68':
      if (!isToken68(item.token68)) {
        throw formatError(`${field}.token68`, 'not a token68');
      }
      return `${item.scheme} ${item.token68}`;
    case 'params': {
      if (!(item.params instanceof Map)) throw formatError(`${field}.params`, 'expected a Map');
      const seen = new Set<string>();
      const parts: string[] = [];
      for (const [name, value] of item.params) {
        if (!isToken(name)) throw formatError(`${field}.params`, 'parameter names must be tokens');
        const lower = name.toLowerCase();
        if (seen.has(lower)) throw formatError(`${field}.params`, `"${name}" occurs twice`);
        seen.add(lower);
        parts.push(
          `${name}=${formatParamValue(value, `${field}.params.${name}`, options.quote ?? 'as-needed')}`,
        );
      }
      return parts.length === 0 ? item.scheme : `${item.scheme} ${parts.join(', ')}`;
    }
    default: {
      const never: never = item;
      throw formatError(field, `unknown type ${String((never as { type: unknown }).type)}`);
    }
  }
}

function checkLength(value: string, field: string): string {
  if (value.length > maxAuthHeaderLength) {
    throw formatError(field, `longer than ${maxAuthHeaderLength} characters`);
  }
  return value;
}

export function formatChallenge(challenge: AuthChallenge, options: FormatAuthOptions = {}): string {
  return checkLength(formatItem(challenge, 'challenge', options), 'challenge');
}

/** One `WWW-Authenticate` value holding every challenge (§11.6.1). */
export function formatChallenges(
  challenges: readonly AuthChallenge[],
  options: FormatAuthOptions = {},
): string {
  if (!Array.isArray(challenges) || challenges.length === 0) {
    throw formatError('challenges', 'expected at least one challenge');
  }
  const parts = challenges.map((c, i) => formatItem(c, `challenges[${i}]`, options));
  return checkLength(parts.join(', '), 'challenges');
}

export function formatCredentials(
  credentials: AuthCredentials,
  options: FormatAuthOptions = {},
): string {
  return checkLength(formatItem(credentials, 'credentials', options), 'credentials');
}
