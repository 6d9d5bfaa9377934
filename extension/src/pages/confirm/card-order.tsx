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
          <tr>
            <th scope="row" colSpan={3}>
              Subtotal
            </th>
            <td>{order.subtotal}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              VAT {order.vatRate / 100} %
            </th>
            <td data-testid="confirm-vat">{order.vat}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              Shipping
            </th>
            <td data-testid="confirm-shipping">{order.shipping}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              Total
            </th>
            <td data-testid="confirm-total">{order.total}</td>
          </tr>
        </tfoot>
      </table>
      <p data-testid="confirm-card">Charged to your card ending {lastFour}.</p>
    </section>
  );
}
