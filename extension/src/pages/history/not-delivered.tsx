/**
 * Payments whose content did not arrive (wallet/delivery/), above the receipts: "retrying"
 * while the wallet fetches the paid page again, "not delivered" once the merchant has failed
 * for the wallet's stated time, each with the proof of payment (e-cash) and a one-click refund
 * request; then what the merchant gave back, or why it refused.
 */
import type { JSX } from 'preact';
import { callBackground } from '../../messages/client.ts';
import type { DeliveryStatus } from '../../messages/delivery.ts';
import { Button, RowsCard } from '../../ui/components.tsx';
import type { Platform } from '../../ui/platform.ts';
import { downloadProof } from '../../ui/proof.ts';
import { useKeyedRows } from '../../ui/task.ts';
import { formatTime, shortOrigin } from '../../ui/wording.ts';

const statusText: Readonly<Record<DeliveryStatus, string>> = {
  retrying: 'the site failed to send it; the wallet is trying again',
  delivered: 'delivered',
  not_delivered: 'not delivered',
  refund_requested: 'refund asked, waiting for the site',
  refunded: 'refunded',
  refund_refused: 'refund refused',
};

const minutes = (ms: number) => Math.round(ms / 60_000);

export function NotDelivered(props: { platform: Platform }): JSX.Element | null {
  const { platform } = props;
  const { transport } = platform;
  const {
    rows: deliveries,
    setRows: setDeliveries,
    replace,
    task,
  } = useKeyedRows(
    () => callBackground(transport, 'delivery.list', {}),
    [transport],
    (delivery) => delivery.paymentId,
  );

  const askRefund = (paymentId: string) =>
    task.run(paymentId, async () => {
      try {
        replace(await callBackground(transport, 'delivery.requestRefund', { paymentId }));
      } finally {
        // A refusal is recorded on the payment too: show it as the wallet keeps it.
        setDeliveries(await callBackground(transport, 'delivery.list', {}));
      }
    });
  const prove = (receiptId: string) =>
    task.run(receiptId, () => downloadProof(platform, receiptId));
  return (
    <RowsCard
      title="Paid, not delivered"
      testId="deliveries"
      rows={deliveries}
      error={task.error}
      row={(delivery) => (
        <li
          key={delivery.paymentId}
          data-testid="delivery"
          data-payment={delivery.paymentId}
          data-status={delivery.status}
        >
          <strong>{delivery.title}</strong> · {delivery.merchantName} (
          {shortOrigin(delivery.origin)}) · {delivery.price.text} ·{' '}
          <span data-testid="delivery-status">{statusText[delivery.status]}</span>
          {delivery.status === 'retrying' ? (
            <span class="small muted">
              {' '}
              since {formatTime(delivery.firstFailureAt)}; if the site keeps failing for{' '}
              {minutes(delivery.notDeliveredAt - delivery.firstFailureAt)} minutes, you can ask for
              your money back ({formatTime(delivery.notDeliveredAt)})
            </span>
          ) : null}
          {delivery.refunded === null ? null : (
            <span data-testid="delivery-refunded"> · {delivery.refunded.text} back</span>
          )}
          {delivery.error === null ? null : (
            <span class="small" data-testid="delivery-error">
              {' '}
              · {delivery.error.message}
            </span>
          )}{' '}
          {delivery.status === 'not_delivered' ||
          delivery.status === 'refund_requested' ||
          delivery.status === 'refund_refused' ? (
            <Button
              busy={task.busy === delivery.paymentId}
              onClick={() => askRefund(delivery.paymentId)}
              testId="delivery-refund"
            >
              Ask for a refund
            </Button>
          ) : null}{' '}
          {delivery.instrument === 'ecash' && delivery.receiptId !== null ? (
            <Button
              variant="link"
              busy={task.busy === delivery.receiptId}
              onClick={() => prove(delivery.receiptId!)}
              testId="delivery-prove"
            >
              Prove this payment
            </Button>
          ) : null}
        </li>
      )}
    />
  );
}
