import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccessGrant,
  type AccessGrantKey,
  accessGrantIssuer,
  accessGrantSigningBytes,
  hmacAccessGrantKey,
  type IssueAccessGrantParameters,
  issueAccessGrant,
  parseAccessGrantToken,
  type VerifyAccessGrantParameters,
  verifyAccessGrant,
} from './access-grant.ts';
import { concatBytes, fromBase64url, signingBytes, toBase64url } from './encoding.ts';
import { catchFarthingError, farthingErrorCode } from './errors.fixture.ts';
import { merchant as merchantSigner, now } from './offer.fixture.ts';

const merchantSecret = new Uint8Array(32).fill(0x4d);
const merchant = hmacAccessGrantKey(merchantSecret);
const stranger = hmacAccessGrantKey(new Uint8Array(32).fill(0x53));

const hour = 3_600_000;

const parameters: IssueAccessGrantParameters = {
  merchantId: 'demo-shop',
  resource: '/articles/7',
  offerHash: new Uint8Array(32).fill(3),
  issuedAt: now,
  expiresAt: now + hour,
  grantId: new Uint8Array(16).fill(4),
};

const checks: VerifyAccessGrantParameters = {
  key: merchant,
  merchantId: 'demo-shop',
  resource: '/articles/7',
  now: now + 1,
};

/** A token tagged with the merchant's key over whatever fields `write` puts down. */
function forgedToken(write: Parameters<typeof signingBytes>[2], version = 2): string {
  const bytes = signingBytes('accessGrant', version, write);
  return toBase64url(concatBytes(bytes, merchant.tag(bytes)));
}

describe('access grants', () => {
  it('issues a token that verifies for its resource and returns the grant', () => {
    const { grant, token } = issueAccessGrant(parameters, merchant);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyAccessGrant(token, checks)).toEqual(grant);
  });

  it('is the tagged bytes followed by their HMAC-SHA256 (RFC 2104) under the secret', () => {
    const { grant, token } = issueAccessGrant(parameters, merchant);
    const bytes = fromBase64url(token);
    const tagged = accessGrantSigningBytes(grant);
    expect(bytes.subarray(0, tagged.length)).toEqual(tagged);
    expect(bytes.subarray(tagged.length)).toEqual(
      new Uint8Array(createHmac('sha256', merchantSecret).update(tagged).digest()),
    );
  });

  it('accepts any AccessGrantKey, such as one over node:crypto', () => {
    const nodeKey: AccessGrantKey = {
      tag: (message) => createHmac('sha256', merchantSecret).update(message).digest(),
      check: (message, tag) => merchant.check(message, tag),
    };
    const { grant, token } = issueAccessGrant(parameters, nodeKey);
    expect(verifyAccessGrant(token, checks)).toEqual(grant);
  });

  it('refuses a grant secret that is not 32 bytes', () => {
    const error = catchFarthingError(() => hmacAccessGrantKey(new Uint8Array(16)));
    expect(error.details.field).toBe('grantSecret');
  });

  it('refuses a version 1 (Ed25519-signed) grant', async () => {
    const bytes = signingBytes('accessGrant', 1, (w) =>
      w
        .string('demo-shop', 'm')
        .string('/articles/7', 'r')
        .fixed(new Uint8Array(32), 32, 'h')
        .u64(now, 'i')
        .u64(now + hour, 'e')
        .fixed(new Uint8Array(16), 16, 'g'),
    );
    const token = toBase64url(concatBytes(bytes, await merchantSigner.sign(bytes)));
    expect(farthingErrorCode(() => verifyAccessGrant(token, checks))).toBe('unsupported_version');
  });

  it('draws a random grant id when none is given', async () => {
    const { grantId: _, ...rest } = parameters;
    const a = issueAccessGrant(rest, merchant);
    const b = issueAccessGrant(rest, merchant);
    expect(a.grant.grantId).not.toEqual(b.grant.grantId);
  });

  it('normalises the requested resource before comparing', async () => {
    const { token } = issueAccessGrant(parameters, merchant);
    expect(() => verifyAccessGrant(token, { ...checks, resource: '/articles/./7' })).not.toThrow();
  });

  it('opens the resource until expiresAt, then answers grant_expired', async () => {
    const { token } = issueAccessGrant(parameters, merchant);
    expect(() => verifyAccessGrant(token, { ...checks, now: now + hour - 1 })).not.toThrow();
    expect(farthingErrorCode(() => verifyAccessGrant(token, { ...checks, now: now + hour }))).toBe(
      'grant_expired',
    );
  });

  it('answers resource_mismatch for another resource', async () => {
    const { token } = issueAccessGrant(parameters, merchant);
    expect(
      farthingErrorCode(() => verifyAccessGrant(token, { ...checks, resource: '/articles/8' })),
    ).toBe('resource_mismatch');
    expect(
      farthingErrorCode(() => verifyAccessGrant(token, { ...checks, resource: '/articles/7?x' })),
    ).toBe('resource_mismatch');
  });

  it('answers merchant_mismatch for a grant made for another merchant id', async () => {
    const { token } = issueAccessGrant({ ...parameters, merchantId: 'other-shop' }, merchant);
    expect(farthingErrorCode(() => verifyAccessGrant(token, checks))).toBe('merchant_mismatch');
  });

  it('answers bad_signature for a grant tagged with another key', async () => {
    const { token } = issueAccessGrant(parameters, stranger);
    expect(farthingErrorCode(() => verifyAccessGrant(token, checks))).toBe('bad_signature');
  });

  it('answers bad_signature before looking at a forged grant', async () => {
    const { token } = issueAccessGrant(
      { ...parameters, resource: '/articles/8', expiresAt: now + 1 },
      stranger,
    );
    expect(farthingErrorCode(() => verifyAccessGrant(token, checks))).toBe('bad_signature');
  });

  it('turns any single changed byte into invalid_encoding or bad_signature', async () => {
    const { token } = issueAccessGrant(parameters, merchant);
    const bytes = fromBase64url(token);
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice();
      copy[i]! ^= 0x01;
      expect(['invalid_encoding', 'unsupported_version', 'bad_signature']).toContain(
        farthingErrorCode(() => verifyAccessGrant(toBase64url(copy), checks)),
      );
    }
  });

  it('round-trips any grant through its token', () => {
    return fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
        fc.constantFrom('/', '/a', '/a/b?c=d', '/%C3%A9'),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (merchantId, resource, issuedAt, lifetime, offerHash) => {
          const { grant, token } = issueAccessGrant(
            {
              ...parameters,
              merchantId,
              resource,
              issuedAt,
              expiresAt: issuedAt + lifetime,
              offerHash,
            },
            merchant,
          );
          expect(parseAccessGrantToken(token).grant).toEqual(grant);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('issues through accessGrantIssuer exactly the token issueAccessGrant does', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
        fc.constantFrom('/', '/a', '/a/b?c=d', '/%C3%A9'),
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (merchantId, resource, issuedAt, lifetime, offerHash, grantId) => {
          const fields = { merchantId, resource, offerHash };
          const times = { issuedAt, expiresAt: issuedAt + lifetime, grantId };
          const issued = accessGrantIssuer(fields, merchant)(times);
          const expected = issueAccessGrant({ ...fields, ...times }, merchant);
          expect(issued.token).toBe(expected.token);
          expect(issued.grant).toEqual(expected.grant);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses through accessGrantIssuer what issueAccessGrant refuses', () => {
    expect(
      farthingErrorCode(() => accessGrantIssuer({ ...parameters, resource: 'a' }, merchant)),
    ).toBe('invalid_argument');
    const issue = accessGrantIssuer(parameters, merchant);
    const times = { issuedAt: now, expiresAt: now + hour, grantId: new Uint8Array(16) };
    expect(farthingErrorCode(() => issue({ ...times, expiresAt: now }))).toBe('invalid_argument');
    expect(farthingErrorCode(() => issue({ ...times, issuedAt: -1 }))).toBe('invalid_argument');
    expect(farthingErrorCode(() => issue({ ...times, grantId: new Uint8Array(15) }))).toBe(
      'invalid_argument',
    );
  });

  it.each<[string, () => Promise<string> | string, string]>([
    ['a non-base64url token', () => 'not a token!', 'invalid_encoding'],
    [
      'a padded token',
      async () => `${issueAccessGrant(parameters, merchant).token}=`,
      'invalid_encoding',
    ],
    ['an empty token', () => '', 'invalid_encoding'],
    ['an overlong token', () => 'A'.repeat(5000), 'invalid_encoding'],
    [
      'a truncated token',
      async () => issueAccessGrant(parameters, merchant).token.slice(0, -4),
      'invalid_encoding',
    ],
    [
      'an offer tag',
      () => {
        const bytes = signingBytes('offer', 1, (w) => w.string('demo-shop', 'merchantId'));
        return toBase64url(concatBytes(bytes, merchant.tag(bytes)));
      },
      'invalid_encoding',
    ],
    [
      'version 3',
      () => forgedToken((w) => w.string('demo-shop', 'merchantId'), 3),
      'unsupported_version',
    ],
    [
      'a resource not in normal form',
      () =>
        forgedToken((w) =>
          w
            .string('demo-shop', 'm')
            .string('/a/../articles/7', 'r')
            .fixed(new Uint8Array(32), 32, 'h')
            .u64(now, 'i')
            .u64(now + hour, 'e')
            .fixed(new Uint8Array(16), 16, 'g'),
        ),
      'invalid_encoding',
    ],
    [
      'expiry before issue',
      () =>
        forgedToken((w) =>
          w
            .string('demo-shop', 'm')
            .string('/articles/7', 'r')
            .fixed(new Uint8Array(32), 32, 'h')
            .u64(now, 'i')
            .u64(now, 'e')
            .fixed(new Uint8Array(16), 16, 'g'),
        ),
      'invalid_encoding',
    ],
  ])('refuses %s', async (_, token, code) => {
    const text = await token();
    expect(farthingErrorCode(() => verifyAccessGrant(text, checks))).toBe(code);
  });

  it('refuses missing parameters with invalid_argument', async () => {
    const { token } = issueAccessGrant(parameters, merchant);
    expect(farthingErrorCode(() => verifyAccessGrant(token, undefined as never))).toBe(
      'invalid_argument',
    );
    expect(
      farthingErrorCode(() => verifyAccessGrant(token, { ...checks, key: 'yes' as never })),
    ).toBe('invalid_argument');
  });

  it('refuses a non-string token', () => {
    expect(farthingErrorCode(() => verifyAccessGrant(undefined, checks))).toBe('invalid_encoding');
  });

  it.each<[string, Partial<VerifyAccessGrantParameters>]>([
    ['key', { key: { tag: () => new Uint8Array(32) } as never }],
    ['merchantId', { merchantId: 'a b' }],
    ['resource', { resource: 'articles/7' }],
    ['now', { now: Number.NaN }],
  ])('checks its %s parameter', async (field, change) => {
    const { token } = issueAccessGrant(parameters, merchant);
    const error = catchFarthingError(() => verifyAccessGrant(token, { ...checks, ...change }));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
  });

  it.each<[string, Partial<AccessGrant>]>([
    ['resource', { resource: '/a#b' }],
    ['offerHash', { offerHash: new Uint8Array(8) }],
    ['expiresAt', { expiresAt: now }],
    ['grantId', { grantId: new Uint8Array(15) }],
  ])('refuses to issue a grant with a bad %s', async (field, change) => {
    const error = catchFarthingError(() =>
      issueAccessGrant({ ...parameters, ...change }, merchant),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
  });
});
