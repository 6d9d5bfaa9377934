/**
 * The shop's cart: prints and downloads, each with a quantity, kept in a first-party cookie as
 * `item*quantity` pairs joined by `~` (`print:harbour-dawn*2~download:quay-street-rye-loaf.txt*1`;
 * item ids never hold `~` or `*`). The cookie holds only
 * item ids; every price comes from the catalog when the cart is read, so a reader who edits
 * the cookie can change what is in the cart but never what it costs.
 *
 * The order it becomes is what the card checkout offers: the lines at their catalog prices
 * (net of VAT), VAT at the shop's rate on the subtotal, and shipping when a print is in the
 * cart (prints in a card order are posted as a printed card as well as kept as the SVG).
 */
import {
  type CardOrder,
  type CardOrderLine,
  maxLineQuantity,
  priceCardOrder,
} from '@farthing/merchant-sdk/card/checkout';
import { type Amount, parseAmount } from '@farthing/merchant-sdk/server';
import { downloads, prints } from '../catalog/catalog.ts';

export const cartCookie = 'gazette-cart';
/** 20 %, in basis points. */
export const shopVatRate = 2000;
export const printShipping: Amount = { currency: 'EUR', minor: 1_20 };
const maxCartItems = 20;

export interface CartItem {
  readonly id: string;
  readonly description: string;
  readonly unitPrice: Amount;
  /** Whether it is posted (shipping is charged once for the whole order). */
  readonly shipped: boolean;
}

/** A catalog entry as a cart item under its id, e.g. `print:harbour` described `Print: …`. */
function cartEntry(
  kind: 'print' | 'download',
  key: string,
  entry: { readonly title: string; readonly price: string },
): [string, CartItem] {
  const id = `${kind}:${key}`;
  const description = `${kind === 'print' ? 'Print' : 'Download'}: ${entry.title}`;
  return [id, { id, description, unitPrice: parseAmount(entry.price), shipped: kind === 'print' }];
}

/** Everything that can be put in the cart, by item id. */
export const cartItems: ReadonlyMap<string, CartItem> = new Map([
  ...prints.map((print) => cartEntry('print', print.id, print)),
  ...downloads.map((download) => cartEntry('download', download.file, download)),
]);

export type Cart = ReadonlyMap<string, number>;

/** The cart a cookie value holds; unknown items and odd quantities are dropped, not trusted. */
export function readCart(value: string | undefined): Cart {
  const cart = new Map<string, number>();
  for (const pair of (value ?? '').split('~').slice(0, maxCartItems)) {
    const at = pair.lastIndexOf('*');
    if (at < 0) continue;
    const id = pair.slice(0, at);
    const quantity = Number(pair.slice(at + 1));
    if (!cartItems.has(id) || !Number.isSafeInteger(quantity)) continue;
    if (quantity < 1 || quantity > maxLineQuantity) continue;
    cart.set(id, quantity);
  }
  return cart;
}

export function writeCart(cart: Cart): string {
  return [...cart].map(([id, quantity]) => `${id}*${quantity}`).join('~');
}

/** Adds `quantity` of `id` (capped at the most one line may hold); unknown ids change nothing. */
export function addToCart(cart: Cart, id: string, quantity = 1): Cart {
  if (!cartItems.has(id) || !Number.isSafeInteger(quantity) || quantity < 1) return cart;
  const next = new Map(cart);
  next.set(id, Math.min(maxLineQuantity, (cart.get(id) ?? 0) + quantity));
  return next.size > maxCartItems ? cart : next;
}

export function removeFromCart(cart: Cart, id: string): Cart {
  const next = new Map(cart);
  next.delete(id);
  return next;
}

/** The priced order for a cart, or undefined for an empty one. */
export function cartOrder(cart: Cart): CardOrder | undefined {
  const lines: CardOrderLine[] = [];
  let shipped = false;
  for (const [id, quantity] of cart) {
    const item = cartItems.get(id)!;
    lines.push({ item: id, description: item.description, quantity, unitPrice: item.unitPrice });
    shipped ||= item.shipped;
  }
  if (lines.length === 0) return undefined;
  return priceCardOrder({
    lines,
    vatRate: shopVatRate,
    shipping: shipped ? printShipping : { currency: 'EUR', minor: 0 },
  });
}

/** What refunding one line gives back: its amount with its share of VAT, rounded half up. */
export function lineRefund(order: CardOrder, item: string): Amount | undefined {
  const line = order.lines.find((candidate) => candidate.item === item);
  if (line === undefined) return undefined;
  const net = line.unitPrice.minor * line.quantity;
  const gross = Math.floor((2 * net * (10_000 + order.vatRate) + 10_000) / 20_000);
  return { currency: order.total.currency, minor: gross };
}
