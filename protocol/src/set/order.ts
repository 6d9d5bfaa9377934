/**
 * The order a card purchase pays for, as the merchant offers it and the cardholder's trusted
 * window shows it (SEMPER's offer → order → sign → pay): each line with its quantity and unit
 * price, the VAT, the shipping and the total. The merchant commits to it by its digest, the
 * `orderDigest` of its signed purchase-initiation-response, and the cardholder's OI commits to
 * that digest; so the lines a wallet shows are exactly the lines the signed OI is about, and
 * the gateway, which sees only H(OI), never learns what was bought.
 *
 * Amounts are integer minor units; VAT is a rate in basis points applied to the subtotal of the
 * lines and rounded half up, once per order (EU VAT Directive 2006/112/EC art. 73 taxes the
 * consideration; rounding per invoice is what most member states allow).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { type Amount, formatAmount } from '../amount.ts';
import { FarthingError } from '../errors.ts';
import { amountSchema, identifierSchema, parseMessage } from '../schema.ts';
import { signedMessageType } from '../signed-message.ts';

export const maxOrderLines = 50;
export const maxLineQuantity = 99;
export const maxLineDescription = 120;
/** 100 % in basis points. */
export const basisPointsPerUnit = 10_000;

const lineSchema = v.pipe(
  v.strictObject({
    /** The merchant's item id (e.g. `print:harbour-dawn`). */
    item: identifierSchema,
    /** What the window shows for it. */
    description: v.pipe(v.string(), v.minLength(1), v.maxLength(maxLineDescription)),
    quantity: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(maxLineQuantity)),
    /** Net of VAT. */
    unitPrice: amountSchema,
  }),
  v.readonly(),
);

export type CardOrderLine = v.InferOutput<typeof lineSchema>;

const orderFieldsSchema = v.pipe(
  v.strictObject({
    lines: v.pipe(v.array(lineSchema), v.minLength(1), v.maxLength(maxOrderLines), v.readonly()),
    /** VAT rate in basis points (2000 = 20 %). */
    vatRate: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(basisPointsPerUnit)),
    vat: amountSchema,
    shipping: amountSchema,
    total: amountSchema,
  }),
  v.readonly(),
);

export type CardOrder = v.InferOutput<typeof orderFieldsSchema>;

/** The wire form (amounts as `EUR 0.03` strings), checked for its sums. */
export const cardOrderSchema = v.pipe(
  orderFieldsSchema,
  v.check((order) => orderSumsHold(order), 'the order lines, VAT and shipping do not add up'),
);

const roundHalfUp = (numerator: number, denominator: number) =>
  Math.floor((2 * numerator + denominator) / (2 * denominator));

function lineTotal(line: CardOrderLine): number {
  return line.unitPrice.minor * line.quantity;
}

function orderSumsHold(order: CardOrder): boolean {
  const currency = order.total.currency;
  const sameCurrency =
    order.vat.currency === currency &&
    order.shipping.currency === currency &&
    order.lines.every((line) => line.unitPrice.currency === currency);
  if (!sameCurrency) return false;
  const subtotal = order.lines.reduce((sum, line) => sum + lineTotal(line), 0);
  const vat = roundHalfUp(subtotal * order.vatRate, basisPointsPerUnit);
  return (
    Number.isSafeInteger(subtotal) &&
    order.vat.minor === vat &&
    order.total.minor === subtotal + vat + order.shipping.minor &&
    order.total.minor > 0
  );
}

/** The net subtotal of the lines. */
export function orderSubtotal(order: Pick<CardOrder, 'lines' | 'total'>): Amount {
  return {
    currency: order.total.currency,
    minor: order.lines.reduce((sum, line) => sum + lineTotal(line), 0),
  };
}

/** Prices an order: VAT on the subtotal, rounded half up, then shipping. */
export function priceCardOrder(parameters: {
  readonly lines: readonly CardOrderLine[];
  readonly vatRate: number;
  readonly shipping: Amount;
}): CardOrder {
  const { lines, vatRate, shipping } = parameters;
  const currency = shipping.currency;
  const subtotal = lines.reduce((sum, line) => sum + lineTotal(line), 0);
  const vat = roundHalfUp(subtotal * vatRate, basisPointsPerUnit);
  const order: CardOrder = {
    lines,
    vatRate,
    vat: { currency, minor: vat },
    shipping,
    total: { currency, minor: subtotal + vat + shipping.minor },
  };
  return parseCardOrder(cardOrderToWire(order));
}

export function cardOrderToWire(order: CardOrder) {
  return {
    lines: order.lines.map((line) => ({
      item: line.item,
      description: line.description,
      quantity: line.quantity,
      unitPrice: formatAmount(line.unitPrice),
    })),
    vatRate: order.vatRate,
    vat: formatAmount(order.vat),
    shipping: formatAmount(order.shipping),
    total: formatAmount(order.total),
  };
}

export type CardOrderWire = ReturnType<typeof cardOrderToWire>;

/** Parses a wire order; `invalid_message` naming the field, or when the sums do not hold. */
export function parseCardOrder(input: unknown): CardOrder {
  return parseMessage(cardOrderSchema, input, 'card order');
}

const cardOrderType = signedMessageType('setOrder', 1, 'card order');

/** The digest the merchant's initiation and the cardholder's OI carry as `orderDigest`. */
export function cardOrderDigest(order: CardOrder): Uint8Array {
  return sha256(
    cardOrderType.signingBytes((w) =>
      w
        .list(order.lines, 'lines', (l, line, i) =>
          l
            .string(line.item, `lines.${i}.item`)
            .string(line.description, `lines.${i}.description`)
            .u16(line.quantity, `lines.${i}.quantity`)
            .amount(line.unitPrice, `lines.${i}.unitPrice`),
        )
        .u16(order.vatRate, 'vatRate')
        .amount(order.vat, 'vat')
        .amount(order.shipping, 'shipping')
        .amount(order.total, 'total'),
    ),
  );
}

/**
 * The wallet's check before it shows an order: the merchant's signed initiation commits to
 * this order (same digest) and asks for its total. Throws `set_order_mismatch` otherwise.
 */
export function assertOrderCommitted(
  order: CardOrder,
  initiation: { readonly orderDigest: Uint8Array; readonly amount: Amount },
): void {
  const digest = cardOrderDigest(order);
  let same = digest.length === initiation.orderDigest.length;
  for (let i = 0; same && i < digest.length; i++) same = digest[i] === initiation.orderDigest[i];
  if (
    !same ||
    initiation.amount.currency !== order.total.currency ||
    initiation.amount.minor !== order.total.minor
  ) {
    throw new FarthingError(
      'set_order_mismatch',
      'the order shown is not the order the merchant signed',
      { details: { field: 'order' } },
    );
  }
}
