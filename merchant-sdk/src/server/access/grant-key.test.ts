import {
  hmacAccessGrantKey,
  issueAccessGrant,
  verifyAccessGrant,
} from '@farthing/protocol/access-grant';
import { farthingErrorCode } from '@farthing/protocol/errors.fixture';
import { describe, expect, it } from 'vitest';
import { grantSecretFromOfferKey, nodeAccessGrantKey, resolveGrantKey } from './grant-key.ts';

const seed = new Uint8Array(32).fill(7);
const now = 1_800_000_000_000;
const grant = {
  merchantId: 'shop',
  resource: '/articles/7',
  offerHash: new Uint8Array(32).fill(1),
  issuedAt: now,
  expiresAt: now + 60_000,
};
const checks = { merchantId: 'shop', resource: '/articles/7', now: now + 1 };

describe('the access-grant key', () => {
  it('tags exactly as the protocol HMAC-SHA256 does', () => {
    const secret = grantSecretFromOfferKey(seed);
    const { token } = issueAccessGrant(grant, nodeAccessGrantKey(secret));
    expect(verifyAccessGrant(token, { ...checks, key: hmacAccessGrantKey(secret) }).resource).toBe(
      '/articles/7',
    );
  });

  it('lets every server holding the offer key check the grants of the others', () => {
    const { token } = issueAccessGrant(grant, resolveGrantKey(undefined, seed));
    expect(() =>
      verifyAccessGrant(token, { ...checks, key: resolveGrantKey(undefined, seed.slice()) }),
    ).not.toThrow();
  });

  it('keeps the derived secret apart from the seed and from other seeds', () => {
    const secret = grantSecretFromOfferKey(seed);
    expect(secret).toHaveLength(32);
    expect(secret).not.toEqual(seed);
    expect(grantSecretFromOfferKey(new Uint8Array(32).fill(8))).not.toEqual(secret);
  });

  it('uses a configured secret over the offer key', () => {
    const secret = new Uint8Array(32).fill(9);
    const { token } = issueAccessGrant(grant, resolveGrantKey(secret, seed));
    expect(() =>
      verifyAccessGrant(token, { ...checks, key: nodeAccessGrantKey(secret) }),
    ).not.toThrow();
    expect(
      farthingErrorCode(() =>
        verifyAccessGrant(token, { ...checks, key: resolveGrantKey(undefined, seed) }),
      ),
    ).toBe('bad_signature');
  });

  it('refuses a tag of the wrong length without comparing', () => {
    const key = nodeAccessGrantKey(grantSecretFromOfferKey(seed));
    const message = new Uint8Array([1, 2, 3]);
    expect(key.check(message, key.tag(message))).toBe(true);
    expect(key.check(message, key.tag(message).subarray(0, 31))).toBe(false);
  });

  it('refuses a secret that is not 32 bytes', () => {
    expect(farthingErrorCode(() => nodeAccessGrantKey(new Uint8Array(31)))).toBe(
      'invalid_argument',
    );
  });
});
