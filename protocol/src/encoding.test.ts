import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import {
  CanonicalWriter,
  concatBytes,
  equalBytes,
  fromBase64url,
  scureBase64url,
  signingBytes,
  signingTags,
  toBase64url,
  utf8Bytes,
} from './encoding.ts';
import { allowFarthingError, farthingErrorCode } from './errors.fixture.ts';

describe('base64url', () => {
  // RFC 4648 §10 test vectors, in the URL-safe alphabet without padding (§5).
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes %j as %j (RFC 4648 §10)', (text, encoded) => {
    expect(toBase64url(utf8Bytes(text))).toBe(encoded);
    expect(fromBase64url(encoded)).toEqual(utf8Bytes(text));
  });

  it('uses the URL-safe alphabet', () => {
    expect(toBase64url(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
  });

  it.each([
    ['Zg==', 'padding'],
    ['Zm9v+A', 'standard alphabet'],
    ['Zm9v/A', 'standard alphabet'],
    ['Zh', 'non-zero trailing bits'],
    ['Z', 'impossible length'],
    ['Zm 9v', 'whitespace'],
    ['Zm9v\n', 'newline'],
  ])('refuses %j (%s)', (text) => {
    expect(farthingErrorCode(() => fromBase64url(text, 'word'))).toBe('invalid_encoding');
  });

  it('names the field and checks the length', () => {
    expect(() => fromBase64url('Zg', 'coinPub', 32)).toThrow(
      'expected 32 bytes in "coinPub", got 1',
    );
    expect(farthingErrorCode(() => fromBase64url(42, 'coinPub'))).toBe('invalid_encoding');
    expect(farthingErrorCode(() => toBase64url('x' as unknown as Uint8Array))).toBe(
      'invalid_argument',
    );
  });

  it("agrees with the browsers' codec on every encoding and every accept or refusal", () => {
    expect(typeof Buffer).toBe('function'); // this runs Node's fast path
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(8), (bytes, offset) => {
        const view = concatBytes(new Uint8Array(offset), bytes).subarray(offset);
        expect(toBase64url(view)).toBe(scureBase64url.encode(bytes));
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'AZaz09-_=+/ .'.split('')), maxLength: 14 }),
        (text) => {
          let expected: Uint8Array | undefined;
          try {
            expected = scureBase64url.decode(text);
          } catch {
            expected = undefined;
          }
          if (expected === undefined) {
            expect(farthingErrorCode(() => fromBase64url(text))).toBe('invalid_encoding');
          } else {
            expect(fromBase64url(text)).toEqual(expected);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips any bytes and has exactly one text form (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64url(text)).toEqual(bytes);
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'AZaz09-_=+/'.split('')), maxLength: 12 }),
        (text) => {
          allowFarthingError(() => expect(toBase64url(fromBase64url(text))).toBe(text));
        },
      ),
    );
  });
});

describe('byte helpers', () => {
  it('concatenates and compares', () => {
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(
      Uint8Array.of(1, 2, 3),
    );
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});

describe('canonical signing bytes', () => {
  it('starts with the length-prefixed tag and the version', () => {
    const bytes = signingBytes('offer', 1, (w) => w.u8(7, 'x'));
    const tag = utf8Bytes(signingTags.offer);
    expect(bytes).toEqual(
      concatBytes(Uint8Array.of(0, 0, 0, tag.length), tag, Uint8Array.of(0, 1, 7)),
    );
  });

  it('encodes every field type big-endian with fixed widths or length prefixes', () => {
    const bytes = new CanonicalWriter()
      .u8(1, 'a')
      .u16(0x0203, 'b')
      .u32(0x04050607, 'c')
      .u64(2 ** 53 - 1, 'd')
      .bool(true, 'e')
      .fixed(Uint8Array.of(9, 9), 2, 'f')
      .bytes(Uint8Array.of(8), 'g')
      .string('é', 'h')
      .amount(amount('EUR', 5), 'i')
      .list([1, 2], 'j', (w, item) => w.u8(item, 'item'))
      .optional(undefined, 'k', (w, v: number) => w.u8(v, 'k'))
      .optional(3, 'l', (w, v) => w.u8(v, 'l'))
      .finish();
    expect(Array.from(bytes)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 9, 9, 0, 0, 0, 1, 8, 0,
      0, 0, 2, 0xc3, 0xa9, 0x45, 0x55, 0x52, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 1, 2, 0, 1, 3,
    ]);
  });

  it.each([
    ['u8 out of range', () => new CanonicalWriter().u8(256, 'x')],
    ['u16 negative', () => new CanonicalWriter().u16(-1, 'x')],
    ['u32 fraction', () => new CanonicalWriter().u32(1.5, 'x')],
    ['u64 beyond 2^53', () => new CanonicalWriter().u64(2 ** 53, 'x')],
    ['bool not boolean', () => new CanonicalWriter().bool(1 as unknown as boolean, 'x')],
    ['fixed wrong length', () => new CanonicalWriter().fixed(new Uint8Array(31), 32, 'x')],
    ['string lone surrogate', () => new CanonicalWriter().string('\uDC00', 'x')],
    ['string empty', () => new CanonicalWriter().string('', 'x')],
    [
      'list not array',
      () => new CanonicalWriter().list('ab' as unknown as string[], 'x', () => {}),
    ],
    ['bad amount', () => new CanonicalWriter().amount({ currency: 'EUR', minor: -5 }, 'x')],
    ['unknown tag', () => signingBytes('nope' as 'offer', 1, () => {})],
  ])('refuses %s', (_name, fn) => {
    expect(farthingErrorCode(fn)).toMatch(/^invalid_argument|invalid_amount$/);
  });

  it('keeps every tag distinct', () => {
    const tags = Object.values(signingTags);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it('is injective: different field values never give the same bytes (property)', () => {
    const record = fc.record({
      name: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.isWellFormed()),
      note: fc.option(
        fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.isWellFormed()),
        { nil: undefined },
      ),
      data: fc.uint8Array({ maxLength: 8 }),
      words: fc.array(fc.uint8Array({ maxLength: 4 }), { maxLength: 3 }),
      count: fc.nat(),
    });
    type Rec = typeof record extends fc.Arbitrary<infer T> ? T : never;
    const encode = (r: Rec) =>
      toBase64url(
        signingBytes('receipt', 1, (w) =>
          w
            .string(r.name, 'name')
            .optional(r.note, 'note', (ww, v) => ww.string(v, 'note'))
            .bytes(r.data, 'data')
            .list(r.words, 'words', (ww, item) => ww.bytes(item, 'word'))
            .u64(r.count, 'count'),
        ),
      );
    fc.assert(
      fc.property(record, record, (a, b) => {
        const same =
          JSON.stringify(a, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)) ===
          JSON.stringify(b, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
        expect(encode(a) === encode(b)).toBe(same);
      }),
    );
  });

  it('separates structures by tag and version', () => {
    const write = (w: CanonicalWriter) => w.u8(1, 'x');
    expect(signingBytes('offer', 1, write)).not.toEqual(signingBytes('receipt', 1, write));
    expect(signingBytes('offer', 1, write)).not.toEqual(signingBytes('offer', 2, write));
  });
});
