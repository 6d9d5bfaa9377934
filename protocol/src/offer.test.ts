/**
 * Signed offers: signing and verifying, the offer hash, freshness and the wire form.
 *
 * Long because the offer is what every payment starts from: each of its checks is tested with
 * the hostile inputs beside the normal ones.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { nobleEd25519Verify } from './ed25519.ts';
import { equalBytes, toBase64url } from './encoding.ts';
import {
  catchFarthingError,
  farthingErrorCode,
  rejectsWithFarthingError,
} from './errors.fixture.ts';
import { nodeEd25519Verify } from './node/ed25519.ts';
import { merchant, now, offerParameters, stranger } from './offer.fixture.ts';
import {
  checkOfferFresh,
  type Offer,
  offerHash,
  offerSigningBytes,
  offerToWire,
  parseOffer,
  paymentInstruments,
  type SignedOffer,
  type SignOfferParameters,
  signOffer,
  verifyOffer,
} from './offer.ts';

describe('signOffer and verifyOffer', () => {
  it('signs an offer that verifies with the merchant key, natively and in pure JS', async () => {
    const offer = await signOffer(offerParameters, merchant);
    expect(offer.version).toBe(1);
    for (const ed25519Verify of [nobleEd25519Verify, nodeEd25519Verify]) {
      expect(() =>
        verifyOffer(offer, { merchantPublicKey: merchant.publicKey, ed25519Verify }),
      ).not.toThrow();
    }
  });

  it('draws a fresh 16-byte nonce when none is given', async () => {
    const { nonce: _, ...rest } = offerParameters;
    const a = await signOffer(rest, merchant);
    const b = await signOffer(rest, merchant);
    expect(a.nonce).toHaveLength(16);
    expect(equalBytes(a.nonce, b.nonce)).toBe(false);
    expect(equalBytes(offerHash(a), offerHash(b))).toBe(false);
  });

  it('leaves the title out when absent', async () => {
    const { title: _, ...rest } = offerParameters;
    const offer = await signOffer(rest, merchant);
    expect('title' in offer).toBe(false);
    expect('title' in offerToWire(offer)).toBe(false);
  });

  it('refuses another merchant key with bad_signature', async () => {
    const offer = await signOffer(offerParameters, merchant);
    expect(
      farthingErrorCode(() => verifyOffer(offer, { merchantPublicKey: stranger.publicKey })),
    ).toBe('bad_signature');
  });

  const tampered: [string, Partial<Offer>][] = [
    ['merchantId', { merchantId: 'other-shop' }],
    ['merchantOrigin', { merchantOrigin: 'https://evil.example' }],
    ['resource', { resource: '/articles/8' }],
    ['amount', { amount: amount('EUR', 4) }],
    ['currency', { amount: amount('USD', 5) }],
    ['createdAt', { createdAt: now + 1 }],
    ['expiresAt', { expiresAt: now + 600_001 }],
    ['instruments', { instruments: ['ecash'] }],
    ['instrument order', { instruments: ['payword', 'ecash'] }],
    ['nonce', { nonce: new Uint8Array(16).fill(8) }],
    ['title', { title: 'Article 8' }],
  ];
  it.each(tampered)('fails to verify once %s is changed', async (_, change) => {
    const offer = await signOffer(offerParameters, merchant);
    const changed = { ...offer, ...change };
    expect(
      farthingErrorCode(() => verifyOffer(changed, { merchantPublicKey: merchant.publicKey })),
    ).toBe('bad_signature');
  });

  it('fails to verify without the title it was signed with', async () => {
    const { title: _, ...offer } = await signOffer(offerParameters, merchant);
    expect(
      farthingErrorCode(() => verifyOffer(offer, { merchantPublicKey: merchant.publicKey })),
    ).toBe('bad_signature');
  });

  it('fails to verify with any single signature bit flipped', async () => {
    const offer = await signOffer(offerParameters, merchant);
    for (let bit = 0; bit < 512; bit += 37) {
      const signature = offer.signature.slice();
      signature[bit >> 3]! ^= 1 << (bit & 7);
      expect(
        farthingErrorCode(() =>
          verifyOffer({ ...offer, signature }, { merchantPublicKey: merchant.publicKey }),
        ),
      ).toBe('bad_signature');
    }
  });

  it.each<[string, Partial<SignOfferParameters>, string]>([
    ['merchantId', { merchantId: 'demo shop' }, 'invalid_argument'],
    ['merchantOrigin', { merchantOrigin: 'https://shop.example/' }, 'invalid_argument'],
    ['resource', { resource: '/a/../articles/7' }, 'invalid_argument'],
    ['amount', { amount: amount('EUR', 0) }, 'invalid_argument'],
    ['amount', { amount: { currency: 'XXY', minor: 5 } }, 'unknown_currency'],
    ['createdAt', { createdAt: -1 }, 'invalid_argument'],
    ['expiresAt', { expiresAt: now }, 'invalid_argument'],
    ['instruments', { instruments: [] }, 'invalid_argument'],
    ['instruments', { instruments: ['ecash', 'ecash'] }, 'invalid_argument'],
    ['instruments.0', { instruments: ['cash' as 'ecash'] }, 'invalid_argument'],
    ['nonce', { nonce: new Uint8Array(15) }, 'invalid_argument'],
    ['title', { title: '' }, 'invalid_argument'],
    ['title', { title: 'x'.repeat(201) }, 'invalid_argument'],
  ])('refuses to sign a bad %s', async (field, change, code) => {
    const error = await rejectsWithFarthingError(
      signOffer({ ...offerParameters, ...change }, merchant),
    );
    expect(error.code).toBe(code);
    if (code === 'invalid_argument') expect(error.details.field).toBe(field);
  });

  it('checks the verification key', async () => {
    const offer = await signOffer(offerParameters, merchant);
    expect(
      farthingErrorCode(() => verifyOffer(offer, { merchantPublicKey: new Uint8Array(31) })),
    ).toBe('invalid_argument');
    expect(farthingErrorCode(() => offerSigningBytes({ ...offer, version: 2 as 1 }))).toBe(
      'unsupported_version',
    );
    expect(farthingErrorCode(() => offerSigningBytes(null as unknown as Offer))).toBe(
      'invalid_argument',
    );
  });
});

describe('offerHash', () => {
  it('hashes an offer it made as is, frozen through its amount and instruments', async () => {
    const offer = await signOffer(offerParameters, merchant);
    expect(Object.isFrozen(offer) && Object.isFrozen(offer.amount)).toBe(true);
    expect(Object.isFrozen(offer.instruments)).toBe(true);
    const parsed = parseOffer(offerToWire(offer));
    expect(Object.isFrozen(parsed.amount) && Object.isFrozen(parsed.instruments)).toBe(true);
    expect(offerHash(parsed)).toEqual(offerHash(offer));
  });

  it('still checks an offer made elsewhere, also a copy of a checked one', async () => {
    const offer = await signOffer(offerParameters, merchant);
    const copy: SignedOffer = { ...offer, amount: { currency: 'EUR', minor: 0 } };
    expect(farthingErrorCode(() => offerHash(copy))).toBe('invalid_argument');
  });

  it('is SHA-256 of the signing bytes and ignores the signature', async () => {
    const offer = await signOffer(offerParameters, merchant);
    const again = await signOffer(offerParameters, merchant);
    expect(offerHash(offer)).toHaveLength(32);
    expect(offerHash(offer)).toEqual(offerHash(again));
    const resigned: SignedOffer = { ...offer, signature: new Uint8Array(64) };
    expect(offerHash(resigned)).toEqual(offerHash(offer));
    expect(offerHash(offer)).toEqual(
      new Uint8Array(createHash('sha256').update(offerSigningBytes(offer)).digest()),
    );
  });

  it('gives different offers different hashes (canonical bytes are injective)', () => {
    const text = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.isWellFormed());
    const offerArbitrary = fc.record({
      merchantId: fc.stringMatching(/^[a-z0-9][a-z0-9.:-]{0,10}$/),
      merchantOrigin: fc.constantFrom(
        'https://a.example',
        'https://b.example',
        'http://127.0.0.1:8701',
      ),
      resource: fc.constantFrom('/', '/a', '/b', '/a/b', '/a?b', '/ab'),
      minor: fc.integer({ min: 1, max: 1000 }),
      currency: fc.constantFrom('EUR', 'USD', 'JPY'),
      createdAt: fc.integer({ min: 0, max: 10 }),
      lifetime: fc.integer({ min: 1, max: 10 }),
      instruments: fc.shuffledSubarray([...paymentInstruments], { minLength: 1 }),
      nonce: fc.uint8Array({ minLength: 16, maxLength: 16, max: 1 }),
      title: fc.option(text, { nil: undefined }),
    });
    type Generated = typeof offerArbitrary extends fc.Arbitrary<infer T> ? T : never;
    const toOffer = (o: Generated): Offer => ({
      version: 1,
      merchantId: o.merchantId,
      merchantOrigin: o.merchantOrigin,
      resource: o.resource,
      amount: amount(o.currency, o.minor),
      createdAt: o.createdAt,
      expiresAt: o.createdAt + o.lifetime,
      instruments: o.instruments,
      nonce: o.nonce,
      ...(o.title === undefined ? {} : { title: o.title }),
    });
    fc.assert(
      fc.property(offerArbitrary, offerArbitrary, fc.boolean(), (a, b, reuse) => {
        const x = toOffer(a);
        const y = toOffer(reuse ? a : b);
        const same = JSON.stringify(offerToComparable(x)) === JSON.stringify(offerToComparable(y));
        expect(equalBytes(offerSigningBytes(x), offerSigningBytes(y))).toBe(same);
      }),
      { numRuns: 500 },
    );
  });
});

function offerToComparable(offer: Offer): unknown {
  return { ...offer, nonce: toBase64url(offer.nonce) };
}

describe('checkOfferFresh', () => {
  it('accepts an offer until it expires, then answers offer_expired', async () => {
    const offer = await signOffer(offerParameters, merchant);
    expect(() => checkOfferFresh(offer, offer.expiresAt - 1)).not.toThrow();
    expect(farthingErrorCode(() => checkOfferFresh(offer, offer.expiresAt))).toBe('offer_expired');
    expect(farthingErrorCode(() => checkOfferFresh(offer, Number.NaN))).toBe('invalid_argument');
  });
});

describe('offer wire form', () => {
  it('round-trips through JSON', async () => {
    const offer = await signOffer(offerParameters, merchant);
    const wire = offerToWire(offer);
    expect(wire).toEqual({
      version: 1,
      merchantId: 'demo-shop',
      merchantOrigin: 'https://shop.example',
      resource: '/articles/7',
      amount: 'EUR 0.05',
      createdAt: now,
      expiresAt: now + 600_000,
      instruments: ['ecash', 'payword'],
      nonce: toBase64url(offerParameters.nonce!),
      title: 'Article 7',
      signature: toBase64url(offer.signature),
    });
    const parsed = parseOffer(JSON.parse(JSON.stringify(wire)));
    expect(parsed).toEqual(offer);
    expect(() => verifyOffer(parsed, { merchantPublicKey: merchant.publicKey })).not.toThrow();
  });

  it('round-trips any valid offer', async () => {
    const offer = await signOffer(offerParameters, merchant);
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...paymentInstruments], { minLength: 1 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(
          fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.isWellFormed()),
          {
            nil: undefined,
          },
        ),
        (instruments, minor, title) => {
          const { title: _, ...rest } = offer;
          const variant: SignedOffer = {
            ...rest,
            instruments,
            amount: amount('EUR', minor),
            ...(title === undefined ? {} : { title }),
          };
          expect(parseOffer(JSON.parse(JSON.stringify(offerToWire(variant))))).toEqual(variant);
        },
      ),
    );
  });

  it.each<[string, (wire: Record<string, unknown>) => void, string, string]>([
    [
      'an unknown member',
      (w) => {
        w.extra = 1;
      },
      'invalid_message',
      'extra',
    ],
    [
      'a missing signature',
      (w) => {
        delete w.signature;
      },
      'invalid_message',
      'signature',
    ],
    [
      'version 2',
      (w) => {
        w.version = 2;
      },
      'unsupported_version',
      'version',
    ],
    [
      'a bad merchant id',
      (w) => {
        w.merchantId = 'a b';
      },
      'invalid_message',
      'merchantId',
    ],
    [
      'an origin with a path',
      (w) => {
        w.merchantOrigin = 'https://a.example/x';
      },
      'invalid_message',
      'merchantOrigin',
    ],
    [
      'a resource not in normal form',
      (w) => {
        w.resource = '/a/./b';
      },
      'invalid_message',
      'resource',
    ],
    [
      'a zero amount',
      (w) => {
        w.amount = 'EUR 0.00';
      },
      'invalid_message',
      'amount',
    ],
    [
      'too many decimals',
      (w) => {
        w.amount = 'EUR 0.050';
      },
      'invalid_amount',
      'amount',
    ],
    [
      'a float timestamp',
      (w) => {
        w.createdAt = 1.5;
      },
      'invalid_message',
      'createdAt',
    ],
    [
      'expiry before creation',
      (w) => {
        w.expiresAt = now - 1;
      },
      'invalid_message',
      'expiresAt',
    ],
    [
      'no instruments',
      (w) => {
        w.instruments = [];
      },
      'invalid_message',
      'instruments',
    ],
    [
      'an unknown instrument',
      (w) => {
        w.instruments = ['ecash', 'bitcoin'];
      },
      'invalid_message',
      'instruments.1',
    ],
    [
      'a repeated instrument',
      (w) => {
        w.instruments = ['card', 'card'];
      },
      'invalid_message',
      'instruments',
    ],
    [
      'a short nonce',
      (w) => {
        w.nonce = 'AAAA';
      },
      'invalid_encoding',
      'nonce',
    ],
    [
      'a padded signature',
      (w) => {
        w.signature = `${w.signature}==`;
      },
      'invalid_encoding',
      'signature',
    ],
    [
      'an empty title',
      (w) => {
        w.title = '';
      },
      'invalid_message',
      'title',
    ],
  ])('refuses %s', async (_, change, code, field) => {
    const wire: Record<string, unknown> = {
      ...offerToWire(await signOffer(offerParameters, merchant)),
    };
    change(wire);
    const error = catchFarthingError(() => parseOffer(wire));
    expect(error.code).toBe(code);
    expect(error.details.field).toBe(field);
  });

  it('reports an unsupported version before anything else', () => {
    expect(farthingErrorCode(() => parseOffer({ version: 2, shape: 'of the future' }))).toBe(
      'unsupported_version',
    );
    expect(farthingErrorCode(() => parseOffer('offer'))).toBe('invalid_message');
  });
});
