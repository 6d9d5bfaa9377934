import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { type CanonicalWriter, concatBytes, signingBytes, toBase64url } from './encoding.ts';
import { allowFarthingError, catchFarthingError } from './errors.fixture.ts';
import { merchant, offerParameters } from './offer.fixture.ts';
import {
  type Offer,
  offerSigningBytes,
  paymentInstruments,
  type SignedOffer,
  signOffer,
  verifyOffer,
  writeOfferFields,
} from './offer.ts';
import {
  maxOfferBytes,
  offerFromBytes,
  offerToBytes,
  offerToken,
  parseOfferToken,
} from './offer-token.ts';

const offer = await signOffer(offerParameters, merchant);

/** Offer bytes written field by field, bypassing the offer rules, to forge bad tokens. */
function forged(write: (w: CanonicalWriter) => void, version = 1): Uint8Array {
  return concatBytes(signingBytes('offer', version, write), offer.signature);
}

function replaceText(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const buffer = Buffer.from(bytes);
  const at = buffer.indexOf(from, 0, 'latin1');
  buffer.write(to, at, 'latin1');
  return new Uint8Array(buffer);
}

describe('offer token', () => {
  it('is the signing bytes followed by the signature', () => {
    expect(offerToBytes(offer)).toEqual(concatBytes(offerSigningBytes(offer), offer.signature));
    expect(offerToken(offer)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('round-trips, and the parsed offer still verifies', () => {
    const parsed = parseOfferToken(offerToken(offer));
    expect(parsed).toEqual(offer);
    expect(() => verifyOffer(parsed, { merchantPublicKey: merchant.publicKey })).not.toThrow();
  });

  it('round-trips offers without a title', () => {
    const { title: _, ...untitled } = offer;
    expect(parseOfferToken(offerToken(untitled))).toEqual(untitled);
  });

  it('round-trips any valid offer, and re-encodes to the same token', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...paymentInstruments], { minLength: 1 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.option(
          fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.isWellFormed()),
          {
            nil: undefined,
          },
        ),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (instruments, minor, title, nonce) => {
          const { title: _, ...rest } = offer;
          const variant: SignedOffer = {
            ...rest,
            instruments,
            nonce,
            amount: amount('JPY', minor),
            ...(title === undefined ? {} : { title }),
          };
          const token = offerToken(variant);
          const parsed = parseOfferToken(token);
          expect(parsed).toEqual(variant);
          expect(offerToken(parsed)).toBe(token);
        },
      ),
    );
  });

  it('turns any single changed byte into a parse failure or a bad signature', () => {
    const bytes = offerToBytes(offer);
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice();
      copy[i]! ^= 0x01;
      const parsed = allowFarthingError(() => offerFromBytes(copy));
      if (parsed === undefined) continue;
      expect(
        catchFarthingError(() => verifyOffer(parsed, { merchantPublicKey: merchant.publicKey }))
          .code,
      ).toBe('bad_signature');
    }
  });

  const valid = (w: CanonicalWriter) => writeOfferFields(w, offer);
  it.each<[string, () => unknown, string]>([
    ['padding', () => parseOfferToken(`${offerToken(offer)}=`), 'invalid_encoding'],
    ['a non-string', () => parseOfferToken(42), 'invalid_encoding'],
    ['an empty token', () => parseOfferToken(''), 'invalid_encoding'],
    ['an overlong token', () => parseOfferToken('A'.repeat(11_000)), 'invalid_encoding'],
    ['too many bytes', () => offerFromBytes(new Uint8Array(maxOfferBytes + 1)), 'invalid_encoding'],
    [
      'a trailing byte',
      () => offerFromBytes(concatBytes(offerToBytes(offer), Uint8Array.of(0))),
      'invalid_encoding',
    ],
    [
      'a missing signature byte',
      () => offerFromBytes(offerToBytes(offer).slice(0, -1)),
      'invalid_encoding',
    ],
    [
      'a receipt tag',
      () => offerFromBytes(concatBytes(signingBytes('receipt', 1, valid), offer.signature)),
      'invalid_encoding',
    ],
    ['version 2', () => offerFromBytes(forged(valid, 2)), 'unsupported_version'],
    [
      'an optional marker of 2',
      () =>
        offerFromBytes(
          forged((w) => {
            const { title: _, ...u } = offer;
            writeOfferFields(w, u);
          }).map((b, i, all) => (i === all.length - 65 ? 2 : b)),
        ),
      'invalid_encoding',
    ],
    [
      'a time past 2^53 − 1',
      () =>
        offerFromBytes(
          forged((w) => {
            w.string('demo-shop', 'merchantId')
              .string('https://shop.example', 'merchantOrigin')
              .string('/a', 'resource')
              .amount(amount('EUR', 5), 'amount')
              .fixed(new Uint8Array(8).fill(0xff), 8, 'createdAt');
          }),
        ),
      'invalid_encoding',
    ],
    [
      'invalid UTF-8',
      () =>
        offerFromBytes(
          forged((w) => {
            w.bytes(Uint8Array.of(0xc3, 0x28), 'merchantId');
          }),
        ),
      'invalid_encoding',
    ],
    [
      'a length prefix past the end',
      () =>
        offerFromBytes(
          forged((w) => {
            w.u32(0xffff_ffff, 'merchantId.length');
          }),
        ),
      'invalid_encoding',
    ],
    [
      'an unknown currency',
      () => offerFromBytes(replaceText(offerToBytes(offer), 'EUR', 'XXY')),
      'invalid_encoding',
    ],
    [
      'an unknown instrument',
      () =>
        offerFromBytes(
          forged((w) => writeOfferFields(w, { ...offer, instruments: ['cash' as 'ecash'] })),
        ),
      'invalid_message',
    ],
    [
      'a merchant id breaking the rules',
      () =>
        offerFromBytes(forged((w) => writeOfferFields(w, { ...offer, merchantId: 'demo shop' }))),
      'invalid_message',
    ],
    [
      'a resource not in normal form',
      () => offerFromBytes(forged((w) => writeOfferFields(w, { ...offer, resource: '/a/../b' }))),
      'invalid_message',
    ],
    [
      'a repeated instrument',
      () =>
        offerFromBytes(
          forged((w) => writeOfferFields(w, { ...offer, instruments: ['card', 'card'] } as Offer)),
        ),
      'invalid_message',
    ],
  ])('refuses %s', (_, parse, code) => {
    expect(catchFarthingError(parse).code).toBe(code);
  });

  it('names the field that failed', () => {
    const error = catchFarthingError(() =>
      offerFromBytes(forged((w) => writeOfferFields(w, { ...offer, merchantId: 'demo shop' }))),
    );
    expect(error.details.field).toBe('merchantId');
    expect(
      catchFarthingError(() => offerFromBytes(offerToBytes(offer).slice(0, 30))).details.field,
    ).toMatch(/^merchantId/);
  });

  it('uses unpadded base64url of the bytes', () => {
    expect(offerToken(offer)).toBe(toBase64url(offerToBytes(offer)));
  });
});
