import { describe, expect, it } from 'vitest';
import { catchFarthingError } from '../errors.fixture.ts';
import { FarthingError } from '../errors.ts';
import { parseChallenges } from './auth-header.ts';
import {
  type FarthingChallenge,
  findFarthingChallenge,
  formatFarthingChallenge,
  formatFarthingCredentials,
  parseFarthingChallenge,
  parseFarthingCredentials,
} from './farthing-auth.ts';

const realm = 'https://shop.example';
const descriptor = 'https://shop.example/.well-known/farthing-merchant';
const offer = Uint8Array.from([0xfb, 0xff, 0x00, 0x01]);
const challenge: FarthingChallenge = { realm, offer, descriptor };

describe('formatFarthingChallenge', () => {
  it('writes the canonical form: every value quoted, documented order', () => {
    expect(formatFarthingChallenge(challenge)).toBe(
      `Farthing realm="${realm}", offer="-_8AAQ", descriptor="${descriptor}"`,
    );
  });

  it('appends error and error_description after a rejected credential', () => {
    const value = formatFarthingChallenge({
      ...challenge,
      error: 'offer_expired',
      errorDescription: 'The offer expired; reload the page',
    });
    expect(value).toBe(
      `Farthing realm="${realm}", offer="-_8AAQ", descriptor="${descriptor}", ` +
        'error="offer_expired", error_description="The offer expired; reload the page"',
    );
    expect(findFarthingChallenge(value)).toEqual({
      ...challenge,
      error: 'offer_expired',
      errorDescription: 'The offer expired; reload the page',
    });
  });

  it.each([
    ['a realm with a path', { ...challenge, realm: `${realm}/` }],
    ['a plain-http realm', { ...challenge, realm: 'http://shop.example' }],
    ['a descriptor on another origin', { ...challenge, descriptor: 'https://cdn.example/d' }],
    ['an empty offer', { ...challenge, offer: new Uint8Array(0) }],
    ['an offer that is not bytes', { ...challenge, offer: [1, 2] as unknown as Uint8Array }],
    ['an error that is not a code', { ...challenge, error: 'Offer expired' }],
    ['an error description with a quote', { ...challenge, errorDescription: 'say "hi"' }],
    ['an offer too large for the header', { ...challenge, offer: new Uint8Array(7000) }],
  ])('refuses %s', (_what, input: FarthingChallenge) => {
    expect(catchFarthingError(() => formatFarthingChallenge(input)).code).toBe('invalid_argument');
  });
});

describe('findFarthingChallenge', () => {
  it('picks the Farthing challenge among other schemes', () => {
    const value = `Basic realm="x", ${formatFarthingChallenge(challenge)}, Bearer realm="y"`;
    expect(findFarthingChallenge(value)).toEqual(challenge);
  });

  it('returns undefined when the server offers no Farthing challenge', () => {
    expect(findFarthingChallenge('Basic realm="x", Bearer abc')).toBeUndefined();
  });

  it('accepts a loopback http merchant, as in development', () => {
    const local = {
      realm: 'http://127.0.0.1:8701',
      offer,
      descriptor: 'http://127.0.0.1:8701/.well-known/farthing-merchant',
    };
    expect(findFarthingChallenge(formatFarthingChallenge(local))).toEqual(local);
  });

  it('rejects two Farthing challenges, since the offer would be ambiguous', () => {
    const one = formatFarthingChallenge(challenge);
    const error = catchFarthingError(() => findFarthingChallenge(`${one}, ${one}`));
    expect(error.code).toBe('malformed_header');
    expect(error.details).toMatchObject({ reason: 'multiple_farthing_challenges', count: 2 });
  });

  it('rejects a padded offer with a message that says so', () => {
    const error = catchFarthingError(() =>
      findFarthingChallenge(
        `Farthing realm="${realm}", offer="-_8AAQ==", descriptor="${descriptor}"`,
      ),
    );
    expect(error.code).toBe('malformed_header');
    expect(error.shortMessage).toBe('WWW-Authenticate: "offer" must be unpadded base64url');
    expect(error.details).toEqual({
      header: 'WWW-Authenticate',
      reason: 'base64url_padding',
      param: 'offer',
    });
  });

  it('keeps the base64url decoding error as the cause', () => {
    const error = catchFarthingError(() =>
      findFarthingChallenge(`Farthing realm="${realm}", offer="a+b", descriptor="${descriptor}"`),
    );
    expect(error.details.reason).toBe('invalid_base64url');
    expect(error.cause).toBeInstanceOf(FarthingError);
  });
});

describe('parseFarthingChallenge', () => {
  it('reads a generic challenge of the Farthing scheme', () => {
    const [generic] = parseChallenges(formatFarthingChallenge(challenge));
    expect(generic && parseFarthingChallenge(generic)).toEqual(challenge);
  });

  it('rejects a challenge of another scheme', () => {
    const [basic] = parseChallenges('Basic realm="x"');
    expect(catchFarthingError(() => basic && parseFarthingChallenge(basic)).details.reason).toBe(
      'wrong_scheme',
    );
  });
});

describe('Farthing credentials', () => {
  const credential = Uint8Array.from([0xf0, 0xf1, 0xfe, 0xff]);

  it('writes the canonical form credential="…"', () => {
    expect(formatFarthingCredentials({ credential })).toBe('Farthing credential="8PH-_w"');
  });

  it('reads back what it writes', () => {
    expect(parseFarthingCredentials(formatFarthingCredentials({ credential }))).toEqual({
      credential,
    });
  });

  it('rejects the token68 form', () => {
    expect(
      catchFarthingError(() => parseFarthingCredentials('Farthing 8PH-_w')).details.reason,
    ).toBe('token68_not_accepted');
  });

  it('rejects another scheme and names it', () => {
    expect(catchFarthingError(() => parseFarthingCredentials('Bearer abc')).details).toMatchObject({
      header: 'Authorization',
      reason: 'wrong_scheme',
      scheme: 'bearer',
    });
  });

  it('rejects a header value over the size limit', () => {
    const value = `Farthing credential="${'A'.repeat(9000)}"`;
    expect(catchFarthingError(() => parseFarthingCredentials(value)).details.reason).toBe(
      'too_long',
    );
  });

  it.each([
    ['an empty credential', new Uint8Array(0)],
    ['a credential too large for the header', new Uint8Array(7000)],
    ['a credential that is not bytes', 'abc' as unknown as Uint8Array],
  ])('refuses to write %s', (_what, bytes: Uint8Array) => {
    expect(catchFarthingError(() => formatFarthingCredentials({ credential: bytes })).code).toBe(
      'invalid_argument',
    );
  });
});
