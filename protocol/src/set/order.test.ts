import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { signingBytes, toBase64url } from '../encoding.ts';
import { isFarthingError } from '../errors.ts';
import {
  assertOrderCommitted,
  cardOrderDigest,
  cardOrderToWire,
  parseCardOrder,
  priceCardOrder,
} from './order.ts';

const vector = JSON.parse(
  readFileSync(new URL('../../test/vectors/set/order-vectors.json', import.meta.url), 'utf8'),
) as { order: unknown; canonicalBytes: string; digest: string };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isFarthingError(error) ? error.code : 'not a FarthingError';
  }
  return undefined;
}

describe('card orders', () => {
  it('digests the vector order to the digest of its hand-laid canonical bytes', () => {
    const order = parseCardOrder(vector.order);
    expect(hex(cardOrderDigest(order))).toBe(vector.digest);
    const bytes = signingBytes('setOrder', 1, () => {});
    expect(vector.canonicalBytes.startsWith(hex(bytes))).toBe(true);
  });

  it('prices VAT on the subtotal rounded half up, then adds shipping', () => {
    const line = (minor: number, quantity: number) => ({
      item: `item-${minor}`,
      description: 'a thing',
      quantity,
      unitPrice: amount('EUR', minor),
    });
    const order = priceCardOrder({
      lines: [line(5, 1), line(2, 1)],
      vatRate: 2000,
      shipping: amount('EUR', 0),
    });
    // 7 × 20 % = 1.4 → 1
    expect(order.vat.minor).toBe(1);
    expect(order.total.minor).toBe(8);
    const half = priceCardOrder({
      lines: [line(5, 1), line(5, 1), line(2, 1), line(3, 1)],
      vatRate: 1000,
      shipping: amount('EUR', 120),
    });
    // 15 × 10 % = 1.5 → 2
    expect(half.vat.minor).toBe(2);
    expect(half.total.minor).toBe(15 + 2 + 120);
  });

  it('refuses an order whose total, VAT or currencies do not add up', () => {
    const wire = vector.order as ReturnType<typeof cardOrderToWire>;
    expect(codeOf(() => parseCardOrder({ ...wire, total: 'EUR 1.33' }))).toBe('invalid_message');
    expect(codeOf(() => parseCardOrder({ ...wire, vat: 'EUR 0.03' }))).toBe('invalid_message');
    expect(codeOf(() => parseCardOrder({ ...wire, shipping: 'USD 1.20' }))).toBe('invalid_message');
    expect(
      codeOf(() =>
        parseCardOrder({
          ...wire,
          lines: [{ ...wire.lines[0]!, quantity: 0 }, ...wire.lines.slice(1)],
        }),
      ),
    ).toBe('invalid_message');
    expect(codeOf(() => parseCardOrder({ ...wire, lines: [] }))).toBe('invalid_message');
  });

  it('accepts an order only with the digest and total the merchant signed', () => {
    const order = parseCardOrder(vector.order);
    const orderDigest = cardOrderDigest(order);
    expect(codeOf(() => assertOrderCommitted(order, { orderDigest, amount: order.total }))).toBe(
      undefined,
    );
    const other = parseCardOrder({
      ...cardOrderToWire(order),
      lines: [...cardOrderToWire(order).lines].reverse(),
    });
    expect(codeOf(() => assertOrderCommitted(other, { orderDigest, amount: order.total }))).toBe(
      'set_order_mismatch',
    );
    expect(
      codeOf(() =>
        assertOrderCommitted(order, { orderDigest, amount: amount('EUR', order.total.minor + 1) }),
      ),
    ).toBe('set_order_mismatch');
    expect(toBase64url(orderDigest)).toHaveLength(43);
  });
});
