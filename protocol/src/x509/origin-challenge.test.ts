import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { signingBytes, toBase64url } from '../encoding.ts';
import {
  isOriginChallengeToken,
  originChallengePath,
  originKeyAuthorization,
} from './origin-challenge.ts';

const token = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const base = {
  token,
  bankId: 'demo-bank',
  merchantId: 'demo-shop',
  origin: 'https://shop.example',
};

describe('origin challenge', () => {
  it('serves at /.well-known/farthing-challenge/<token>, a 43-character base64url token', () => {
    expect(originChallengePath(token)).toBe(`/.well-known/farthing-challenge/${token}`);
    expect(isOriginChallengeToken(token)).toBe(true);
    for (const bad of [token.slice(1), `${token.slice(1)}/`, `${token.slice(1)}=`, '../x', 7]) {
      expect(isOriginChallengeToken(bad)).toBe(false);
    }
    expect(() => originChallengePath('../../etc/passwd')).toThrow(TypeError);
  });

  it('is the token, a dot and the SHA-256 of the bank, merchant and origin (RFC 8555 §8.1 shape)', () => {
    const thumbprint = sha256(
      signingBytes('originChallenge', 1, (w) =>
        w.string('demo-bank', 'b').string('demo-shop', 'm').string('https://shop.example', 'o'),
      ),
    );
    expect(originKeyAuthorization(base)).toBe(`${token}.${toBase64url(thumbprint)}`);
    expect(originKeyAuthorization(base)).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
  });

  it('differs for another merchant, origin or bank, so one answer proves one claim', () => {
    const answer = originKeyAuthorization(base);
    expect(originKeyAuthorization({ ...base, merchantId: 'other' })).not.toBe(answer);
    expect(originKeyAuthorization({ ...base, origin: 'https://shop.example:8443' })).not.toBe(
      answer,
    );
    expect(originKeyAuthorization({ ...base, bankId: 'other-bank' })).not.toBe(answer);
  });
});
