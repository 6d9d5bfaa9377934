/**
 * A card payment's order in the confirmation window: each line with its quantity, unit price
 * and amount, then VAT, shipping and the total — the order the merchant signed (the wallet
 * checked it against the digest its signed initiation carries), and the card it is charged to.
 */
import type { JSX } from 'preact';
import type { CardConfirmationView } from '../../messages/contract.ts';
import { ColumnHeads } from '../../ui/components.tsx';

export function CardOrder(props: { card: CardConfirmationView }): JSX.Element {
  const { order, lastFour } = props.card;
  return (
    <section class="stack" aria-label="Order">
      <table class="order" data-testid="confirm-order">
        <ColumnHeads columns={['Item', 'Qty', 'Unit', 'Amount']} />
        <tbody>
          {order.lines.map((line) => (
            <tr data-testid="confirm-line" key={line.description}>
              <td>{line.description}</td>
              <td>{line.quantity}</td>
              <td>{line.unitPrice}</td>
              <td>{line.amount}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          {[
            { label: 'Subtotal', value: order.subtotal },
            { label: `VAT ${order.vatRate / 100} %`, value: order.vat, testId: 'confirm-vat' },
            { label: 'Shipping', value: order.shipping, testId: 'confirm-shipping' },
            { label: 'Total', value: order.total, testId: 'confirm-total' },
          ].map((row) => (
            <tr key={row.label}>
              <th scope="row" colSpan={3}>
                {row.label}
              </th>
              <td data-testid={row.testId}>{row.value}</td>
            </tr>
          ))}
        </tfoot>
      </table>
      <p data-testid="confirm-card">Charged to your card ending {lastFour}.</p>
    </section>
  );
}
