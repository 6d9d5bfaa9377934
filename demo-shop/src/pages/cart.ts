/**
 * The cart, the checkout and what follows it. The checkout's "Pay with card" button carries
 * the SDK's card offer (the order, the shop's signed initiation, where to send the purchase)
 * for the Farthing wallet, which takes the click, shows the order in its own window and pays;
 * without the wallet the button is a plain link to a page that says a wallet is needed.
 */
import type { CardOrder } from '@farthing/merchant-sdk/card/checkout';
import { type Amount, formatAmount } from '@farthing/merchant-sdk/server';
import { cartItems } from '../cart/cart.ts';
import { type Html, html } from './html.ts';
import { page } from './layout.ts';

const money = (value: Amount) => formatAmount(value);
const times = (value: Amount, quantity: number): Amount => ({
  currency: value.currency,
  minor: value.minor * quantity,
});
const percent = (basisPoints: number) => `${basisPoints / 100} %`;

/** The order as a table: the same lines, VAT, shipping and total the wallet will show. */
export function orderTable(order: CardOrder, options: { removable?: boolean } = {}): Html {
  const subtotal = order.lines.reduce((sum, line) => sum + line.unitPrice.minor * line.quantity, 0);
  return html`<table class="figures order" id="order">
<thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Unit price</th><th scope="col">Amount</th>${options.removable ? html`<th scope="col"></th>` : ''}</tr></thead>
<tbody>${order.lines.map(
    (line) =>
      html`<tr data-item="${line.item}"><th scope="row">${line.description}</th><td>${line.quantity}</td><td>${money(line.unitPrice)}</td><td>${money(times(line.unitPrice, line.quantity))}</td>${
        options.removable
          ? html`<td><form method="post" action="/cart/remove"><input type="hidden" name="item" value="${line.item}"><button type="submit" class="link">Remove</button></form></td>`
          : ''
      }</tr>`,
  )}</tbody>
<tfoot>
<tr><th scope="row" colspan="3">Subtotal</th><td>${money({ currency: order.total.currency, minor: subtotal })}</td></tr>
<tr><th scope="row" colspan="3">VAT ${percent(order.vatRate)}</th><td data-vat>${money(order.vat)}</td></tr>
<tr><th scope="row" colspan="3">Shipping</th><td data-shipping>${money(order.shipping)}</td></tr>
<tr class="total"><th scope="row" colspan="3">Total</th><td data-total>${money(order.total)}</td></tr>
</tfoot></table>`;
}

/** A small form that puts one item in the cart. */
export function addToCartButton(item: string): Html {
  if (!cartItems.has(item)) return html``;
  return html`<form method="post" action="/cart/add" class="add-to-cart"><input type="hidden" name="item" value="${item}"><button type="submit">Add to cart</button></form>`;
}

export function cartPage(order: CardOrder | undefined): Html {
  return page({
    title: 'Your cart',
    path: '/cart',
    body: html`<section class="cart">
<h1 class="section-title">Your cart</h1>
${
  order === undefined
    ? html`<p class="empty">Your cart is empty. Add <a href="/gallery">prints</a> or <a href="/downloads">downloads</a>.</p>`
    : html`<p class="section-intro">Prints are posted as a printed card and kept as the full SVG; downloads are yours at once.</p>
${orderTable(order, { removable: true })}
<p><a class="button" href="/checkout" id="checkout">Go to checkout</a></p>`
}
</section>`,
  });
}

/** A page of the checkout: its title, its heading and what follows the heading. */
function checkoutStep(title: string, heading: string, content: Html): Html {
  return page({
    title,
    path: '/checkout',
    body: html`<section class="checkout">
<h1 class="section-title">${heading}</h1>
${content}
</section>`,
  });
}

export function checkoutPage(order: CardOrder, offer: unknown): Html {
  return checkoutStep(
    'Checkout',
    'Checkout',
    html`<p class="section-intro">Paid by card through your Farthing wallet. The wallet shows this order in its own window before anything is paid; we never see your card number, and your bank never sees what you bought.</p>
${orderTable(order)}
<p><a class="button" id="pay-with-card" href="/checkout/wallet-needed" data-farthing-card-checkout="${JSON.stringify(offer)}">Pay with card</a></p>
<p class="more"><a href="/cart">Change the cart</a></p>`,
  );
}

export function walletNeededPage(): Html {
  return checkoutStep(
    'A Farthing wallet is needed',
    'A Farthing wallet is needed',
    html`<p>Card payments here go through the Farthing wallet: it keeps your card's certificate, shows you the order in a window the page cannot touch, and sends your card number sealed for the bank alone. Install the wallet, register your card in its settings, and come back to the <a href="/checkout">checkout</a>.</p>
<p class="more"><a href="/about">How paying works</a></p>`,
  );
}

export function paidPage(order: CardOrder, status: string): Html {
  return checkoutStep(
    'Thank you',
    'Thank you for your order',
    html`<p id="order-status" data-status="${status}">Your card payment is <strong>${status}</strong>. The wallet keeps the receipt in its history.</p>
${orderTable(order)}`,
  );
}
