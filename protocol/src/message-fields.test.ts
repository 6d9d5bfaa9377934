import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { signingBytes } from './encoding.ts';
import { catchFarthingError } from './errors.fixture.ts';
import {
  bytesField,
  choiceField,
  identifierField,
  optionalField,
  positiveAmountField,
  signedMessageFields,
  timestampField,
} from './message-fields.ts';
import { merchant, stranger } from './offer.fixture.ts';
import { parseMessage } from './schema.ts';
import { signedMessageType } from './signed-message.ts';

const type = signedMessageType('receipt', 1);
const fields = {
  merchantId: identifierField,
  amount: positiveAmountField,
  instrument: choiceField(['ecash', 'payword']),
  note: optionalField(identifierField),
  at: timestampField,
  id: bytesField(4),
};
const messages = signedMessageFields(type, fields, { argument: 'example' });
const reordered = signedMessageFields(type, fields, {
  argument: 'example',
  signingOrder: ['id', 'at', 'note', 'instrument', 'amount', 'merchantId'],
});

const message = messages.create({
  merchantId: 'shop',
  amount: amount('EUR', 5),
  instrument: 'ecash',
  at: 1_700_000_000_000,
  id: Uint8Array.of(1, 2, 3, 4),
});

describe('signedMessageFields', () => {
  it('signs the fields in table order, an absent optional one as a zero byte', () => {
    const expected = signingBytes('receipt', 1, (w) =>
      w
        .string('shop', 'merchantId', 128)
        .amount(amount('EUR', 5), 'amount')
        .string('ecash', 'instrument', 16)
        .u8(0, 'note')
        .u64(1_700_000_000_000, 'at')
        .fixed(Uint8Array.of(1, 2, 3, 4), 4, 'id'),
    );
    expect(messages.signingBytes(message)).toEqual(expected);
  });

  it('signs in signingOrder when the message gives one, a present optional one after a 1', () => {
    const noted = { ...message, note: 'gift' };
    const expected = signingBytes('receipt', 1, (w) =>
      w
        .fixed(Uint8Array.of(1, 2, 3, 4), 4, 'id')
        .u64(1_700_000_000_000, 'at')
        .u8(1, 'note')
        .string('gift', 'note', 128)
        .string('ecash', 'instrument', 16)
        .amount(amount('EUR', 5), 'amount')
        .string('shop', 'merchantId', 128),
    );
    expect(reordered.signingBytes(noted)).toEqual(expected);
  });

  it('creates a message of its version with only the table members', () => {
    const extra = { ...message, stray: true } as unknown as typeof message;
    expect(messages.create(extra)).toEqual(message);
    expect(message.version).toBe(1);
    expect(Object.keys(messages.create(extra))).not.toContain('stray');
  });

  it.each([
    ['merchantId', { merchantId: '' }],
    ['amount', { amount: amount('EUR', 0) }],
    ['instrument', { instrument: 'card' }],
    ['note', { note: ' ' }],
    ['at', { at: -1 }],
    ['id', { id: new Uint8Array(5) }],
  ])('refuses a bad %s with invalid_argument naming it', (field, change) => {
    const error = catchFarthingError(() => messages.assert({ ...message, ...change } as never));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.field).toBe(field);
  });

  it('refuses what is not an object, naming the argument, and another version', () => {
    expect(catchFarthingError(() => messages.assert(null as never)).details.field).toBe('example');
    expect(
      catchFarthingError(() => messages.assert({ ...message, version: 2 } as never)).code,
    ).toBe('unsupported_version');
  });

  it('writes the wire form in table order, version first and signature last, and parses it back', async () => {
    const signed = await messages.sign(message, merchant);
    const wire = messages.signedToWire(signed);
    expect(Object.keys(wire)).toEqual([
      'version',
      'merchantId',
      'amount',
      'instrument',
      'at',
      'id',
      'signature',
    ]);
    expect(wire.amount).toBe('EUR 0.05');
    const parsed = messages.parse(JSON.parse(JSON.stringify(wire)));
    expect(parsed).toEqual(signed);
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it('refuses an unknown wire member: it would not be signed', async () => {
    const wire = messages.signedToWire(await messages.sign(message, merchant));
    const error = catchFarthingError(() =>
      parseMessage(messages.schema, { ...wire, extra: 1 }, 'example'),
    );
    expect(error.code).toBe('invalid_message');
  });

  it('checks the merchant signature over the signing bytes', async () => {
    const signed = await messages.sign(message, merchant);
    expect(() =>
      messages.checkMerchantSignature(signed, { merchantPublicKey: merchant.publicKey }),
    ).not.toThrow();
    const error = catchFarthingError(() =>
      messages.checkMerchantSignature(signed, { merchantPublicKey: stranger.publicKey }),
    );
    expect(error.code).toBe('bad_signature');
  });
});
