/**
 * The dashboard's card orders: each paid order with its state at the gateway (authorized,
 * captured, reversed), what was captured and given back, and the operator's buttons — capture
 * or reverse an authorization, refund one line or all that is left of a captured order.
 */
import type { CardOrder } from '@farthing/merchant-sdk/card/checkout';
import type { CardPurchaseRecord } from '@farthing/merchant-sdk/card/store';
import { type Amount, formatAmount } from '@farthing/merchant-sdk/server';
import { type Html, html } from './html.ts';
import { shortTime } from './layout.ts';

export interface CardOrderView {
  readonly record: CardPurchaseRecord;
  readonly order: CardOrder;
}

const money = (currency: string, minor: number) => formatAmount({ currency, minor } as Amount);

function action(path: string, transactionId: string, label: string, item?: string): Html {
  return html`<form method="post" action="/dashboard/card/${path}" class="inline"><input type="hidden" name="transaction" value="${transactionId}">${
    item === undefined ? '' : html`<input type="hidden" name="item" value="${item}">`
  }<button type="submit" data-action="${path}"${item === undefined ? '' : html` data-item="${item}"`}>${label}</button></form>`;
}

function actions({ record, order }: CardOrderView): Html {
  if (record.status === 'authorized') {
    return html`${action('capture', record.transactionId, 'Capture')} ${action('reverse', record.transactionId, 'Reverse')}`;
  }
  if (record.status === 'captured' && record.credited < record.captured) {
    return html`<details><summary>Refund</summary>${order.lines.map((line) =>
      action('refund', record.transactionId, `Refund ${line.description}`, line.item),
    )}${action('refund', record.transactionId, 'Refund all that is left')}</details>`;
  }
  return html`—`;
}

export function cardOrdersSection(orders: readonly CardOrderView[]): Html {
  const body =
    orders.length === 0
      ? html`<p class="empty">No card orders yet.</p>`
      : html`<table class="figures" id="card-orders">
<thead><tr><th scope="col">Order</th><th scope="col">Paid</th><th scope="col">Items</th><th scope="col">Total</th><th scope="col">State</th><th scope="col">Captured</th><th scope="col">Refunded</th><th scope="col"></th></tr></thead>
<tbody>${orders.map(
          (view) =>
            html`<tr data-transaction="${view.record.transactionId}" data-status="${view.record.status}"><td><code title="${view.record.transactionId}">${view.record.transactionId.slice(0, 14)}…</code></td><td>${shortTime(view.record.updatedAt)}</td><td>${view.order.lines.map((line) => `${line.quantity} × ${line.description}`).join('; ')}</td><td>${money(view.record.currency, view.record.amount)}</td><td>${view.record.status.replace('_', ' ')}</td><td>${money(view.record.currency, view.record.captured)}</td><td data-credited>${money(view.record.currency, view.record.credited)}</td><td>${actions(view)}</td></tr>`,
        )}</tbody></table>`;
  return html`<h2>Card orders</h2>
<p class="note">Authorized orders hold the money on the customer's card until you capture (or reverse) them. Refunds are SET credits back to the card.</p>
${body}`;
}
