import { describe, expect, it } from 'vitest';
import {
  addToCart,
  cartOrder,
  lineRefund,
  printShipping,
  readCart,
  removeFromCart,
  writeCart,
} from './cart.ts';

describe('the cart', () => {
  it('keeps item ids and quantities in the cookie and reads them back', () => {
    let cart = readCart(undefined);
    cart = addToCart(cart, 'print:harbour-dawn');
    cart = addToCart(cart, 'print:harbour-dawn');
    cart = addToCart(cart, 'download:quay-street-rye-loaf.txt');
    const cookie = writeCart(cart);
    expect(cookie).toBe('print:harbour-dawn*2~download:quay-street-rye-loaf.txt*1');
    expect([...readCart(cookie)]).toEqual([...cart]);
    expect([...removeFromCart(cart, 'print:harbour-dawn')]).toEqual([
      ['download:quay-street-rye-loaf.txt', 1],
    ]);
  });

  it('drops unknown items and odd quantities from an edited cookie', () => {
    const cart = readCart(
      'print:nope*1~print:harbour-dawn*0~print:murmuration*1.5~print:wend-valley*3',
    );
    expect([...cart]).toEqual([['print:wend-valley', 3]]);
    expect([...addToCart(cart, 'print:nope')]).toEqual([...cart]);
  });

  it('prices the order from the catalog, with VAT and shipping only for prints', () => {
    const downloadsOnly = cartOrder(readCart('download:quay-street-rye-loaf.txt*3'))!;
    expect(downloadsOnly.shipping.minor).toBe(0);
    // 3 × 0.04 = 0.12, 20 % VAT 0.024 → 0.02
    expect(downloadsOnly.vat.minor).toBe(2);
    expect(downloadsOnly.total.minor).toBe(14);
    const withPrint = cartOrder(readCart('print:harbour-dawn*1'))!;
    expect(withPrint.shipping).toEqual(printShipping);
    expect(withPrint.total.minor).toBe(3 + 1 + 1_20);
    expect(cartOrder(readCart(''))).toBeUndefined();
  });

  it('refunds a line with its share of VAT', () => {
    const order = cartOrder(readCart('download:quay-street-rye-loaf.txt*3'))!;
    // 0.12 + 20 % = 0.144 → 0.14
    expect(lineRefund(order, 'download:quay-street-rye-loaf.txt')?.minor).toBe(14);
    expect(lineRefund(order, 'print:harbour-dawn')).toBeUndefined();
  });
});
