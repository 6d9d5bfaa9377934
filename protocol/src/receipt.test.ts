import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { toBase64url } from './encoding.ts';
import { farthingErrorCode, rejectsWithFarthingError } from './errors.fixture.ts';
import { nodeEd25519Verify } from './node/ed25519.ts';
import { merchant, now, offerParameters, stranger } from './offer.fixture.ts';
import { offerHash, paymentInstruments, signOffer } from './offer.ts';
import {
  checkReceiptForOffer,
  type Receipt,
  receiptSigningTemplate,
  receipts,
  type SignReceiptParameters,
  signReceipt,
} from './receipt.ts';

const offer = await signOffer(offerParameters, merchant);

const parameters: SignReceiptParameters = {
  offerHash: offerHash(offer),
  merchantId: 'demo-shop',
  resource: '/articles/7',
  amount: amount('EUR', 5),
  instrument: 'ecash',
  paidAt: now + 1_000,
  receiptId: new Uint8Array(16).fill(9),
};

describe('receipts', () => {
  it('signs a receipt that verifies with the merchant key', async () => {
    const receipt = await signReceipt(parameters, merchant);
    expect(receipt.version).toBe(1);
    expect(() =>
      receipts.checkMerchantSignature(receipt, { merchantPublicKey: merchant.publicKey }),
    ).not.toThrow();
    expect(() =>
      receipts.checkMerchantSignature(receipt, {
        merchantPublicKey: merchant.publicKey,
        ed25519Verify: nodeEd25519Verify,
      }),
    ).not.toThrow();
  });

  it('draws a random receipt id when none is given', async () => {
    const { receiptId: _, ...rest } = parameters;
    const a = await signReceipt(rest, merchant);
    const b = await signReceipt(rest, merchant);
    expect(a.receiptId).toHaveLength(16);
    expect(a.receiptId).not.toEqual(b.receiptId);
  });

  it('refuses another key with bad_signature', async () => {
    const receipt = await signReceipt(parameters, merchant);
    expect(
      farthingErrorCode(() =>
        receipts.checkMerchantSignature(receipt, { merchantPublicKey: stranger.publicKey }),
      ),
    ).toBe('bad_signature');
  });

  it.each<[string, Partial<Receipt>]>([
    ['offerHash', { offerHash: new Uint8Array(32) }],
    ['merchantId', { merchantId: 'other-shop' }],
    ['resource', { resource: '/articles/8' }],
    ['amount', { amount: amount('EUR', 6) }],
    ['instrument', { instrument: 'payword' }],
    ['paidAt', { paidAt: now + 1_001 }],
    ['receiptId', { receiptId: new Uint8Array(16).fill(10) }],
  ])('fails to verify once %s is changed', async (_, change) => {
    const receipt = await signReceipt(parameters, merchant);
    expect(
      farthingErrorCode(() =>
        receipts.checkMerchantSignature(
          { ...receipt, ...change },
          { merchantPublicKey: merchant.publicKey },
        ),
      ),
    ).toBe('bad_signature');
  });

  it.each<[string, Partial<SignReceiptParameters>]>([
    ['offerHash', { offerHash: new Uint8Array(31) }],
    ['merchantId', { merchantId: '' }],
    ['resource', { resource: 'articles/7' }],
    ['instrument', { instrument: 'cash' as 'card' }],
    ['paidAt', { paidAt: 1.5 }],
    ['receiptId', { receiptId: new Uint8Array(17) }],
  ])('refuses to sign a bad %s, naming it', async (field, change) => {
    const error = await rejectsWithFarthingError(
      signReceipt({ ...parameters, ...change }, merchant),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
  });
});

describe('checkReceiptForOffer', () => {
  it('accepts the receipt for the offer that was paid', async () => {
    const receipt = await signReceipt(parameters, merchant);
    expect(() => checkReceiptForOffer(receipt, offer)).not.toThrow();
  });

  it.each<[string, Partial<SignReceiptParameters>, string]>([
    ['another offer', { offerHash: new Uint8Array(32) }, 'offer_mismatch'],
    ['another merchant', { merchantId: 'other-shop' }, 'merchant_mismatch'],
    ['another resource', { resource: '/articles/8' }, 'offer_mismatch'],
    ['another amount', { amount: amount('EUR', 4) }, 'offer_mismatch'],
    ['an instrument the offer did not accept', { instrument: 'card' }, 'instrument_not_accepted'],
  ])('refuses a receipt for %s', async (_, change, code) => {
    const receipt = await signReceipt({ ...parameters, ...change }, merchant);
    expect(farthingErrorCode(() => checkReceiptForOffer(receipt, offer))).toBe(code);
  });
});

describe('receipt wire form', () => {
  it('round-trips through JSON and still verifies', async () => {
    const receipt = await signReceipt(parameters, merchant);
    const wire = receipts.signedToWire(receipt);
    expect(wire).toEqual({
      version: 1,
      offerHash: toBase64url(offerHash(offer)),
      merchantId: 'demo-shop',
      resource: '/articles/7',
      amount: 'EUR 0.05',
      instrument: 'ecash',
      paidAt: now + 1_000,
      receiptId: toBase64url(parameters.receiptId!),
      signature: toBase64url(receipt.signature),
    });
    const parsed = receipts.parse(JSON.parse(JSON.stringify(wire)));
    expect(parsed).toEqual(receipt);
    expect(() =>
      receipts.checkMerchantSignature(parsed, { merchantPublicKey: merchant.publicKey }),
    ).not.toThrow();
  });

  it('encodes through receiptSigningTemplate exactly what receipts.signingBytes does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...paymentInstruments),
        fc.constantFrom('/', '/articles/7', '/a/b?c=d', '/%C3%A9'),
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (instrument, resource, paidAt, minor, receiptId) => {
          const fields = {
            version: 1 as const,
            offerHash: parameters.offerHash,
            merchantId: parameters.merchantId,
            resource,
            amount: amount('EUR', minor),
            instrument,
          };
          expect(receiptSigningTemplate(fields)(paidAt, receiptId)).toEqual(
            receipts.signingBytes({ ...fields, paidAt, receiptId }),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses through receiptSigningTemplate what receipts.signingBytes refuses', () => {
    const { paidAt: _, receiptId: __, ...fields } = parameters;
    const receiptFields = { version: 1 as const, ...fields };
    expect(
      farthingErrorCode(() => receiptSigningTemplate({ ...receiptFields, resource: 'x' })),
    ).toBe('invalid_argument');
    const template = receiptSigningTemplate(receiptFields);
    expect(farthingErrorCode(() => template(-1, new Uint8Array(16)))).toBe('invalid_argument');
    expect(farthingErrorCode(() => template(now, new Uint8Array(17)))).toBe('invalid_argument');
  });

  it('round-trips any instrument and time', async () => {
    const receipt = await signReceipt(parameters, merchant);
    fc.assert(
      fc.property(
        fc.constantFrom(...paymentInstruments),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (instrument, paidAt) => {
          const variant = { ...receipt, instrument, paidAt };
          expect(receipts.parse(receipts.signedToWire(variant))).toEqual(variant);
        },
      ),
    );
  });

  it.each<[string, (wire: Record<string, unknown>) => void, string]>([
    [
      'version 2',
      (w) => {
        w.version = 2;
      },
      'unsupported_version',
    ],
    [
      'an unknown member',
      (w) => {
        w.note = 'x';
      },
      'invalid_message',
    ],
    [
      'an unknown instrument',
      (w) => {
        w.instrument = 'cash';
      },
      'invalid_message',
    ],
    [
      'a resource not in normal form',
      (w) => {
        w.resource = '/a/%7e';
      },
      'invalid_message',
    ],
    [
      'a short offer hash',
      (w) => {
        w.offerHash = 'AAAA';
      },
      'invalid_encoding',
    ],
    [
      'a negative time',
      (w) => {
        w.paidAt = -1;
      },
      'invalid_message',
    ],
  ])('refuses %s', async (_, change, code) => {
    const wire: Record<string, unknown> = {
      ...receipts.signedToWire(await signReceipt(parameters, merchant)),
    };
    change(wire);
    expect(farthingErrorCode(() => receipts.parse(wire))).toBe(code);
  });
});
