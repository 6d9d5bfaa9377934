/**
 * Card purchases in the history: each with its state from the shop's signed answers
 * (authorized, captured, reversed), what the shop gave back as a credit, and a button that
 * runs a purchase inquiry (a signed question to the shop; wallet/instruments/card/purchase.ts).
 */
import type { JSX } from 'preact';
import { callBackground } from '../../messages/client.ts';
import type { CardPaymentView } from '../../messages/contract.ts';
import { Button, RowsCard } from '../../ui/components.tsx';
import type { Platform } from '../../ui/platform.ts';
import { useKeyedRows } from '../../ui/task.ts';
import { formatTime, shortOrigin } from '../../ui/wording.ts';

const statusText: Readonly<Record<CardPaymentView['status'], string>> = {
  sent: 'sent, waiting for the shop',
  authorized: 'authorized',
  captured: 'captured',
  reversed: 'reversed (nothing charged)',
  capture_reversed: 'capture reversed',
  failed: 'refused',
};

export function CardPurchases(props: { platform: Platform }): JSX.Element | null {
  const { transport } = props.platform;
  const {
    rows: payments,
    replace,
    task,
  } = useKeyedRows(
    () => callBackground(transport, 'card.payments', {}),
    [transport],
    (payment) => payment.transactionId,
  );

  const inquire = (transactionId: string) =>
    task.run(transactionId, async () =>
      replace(await callBackground(transport, 'card.inquire', { transactionId })),
    );
  return (
    <RowsCard
      title="Card purchases"
      testId="card-purchases"
      rows={payments}
      error={task.error}
      row={(payment) => (
        <li
          key={payment.transactionId}
          data-testid="card-purchase"
          data-transaction={payment.transactionId}
          data-status={payment.status}
        >
          <strong>{payment.merchantName}</strong> ({shortOrigin(payment.origin)}) · {payment.lines}{' '}
          item{payment.lines === 1 ? '' : 's'} ·{' '}
          <span data-testid="card-purchase-total">{payment.total.text}</span> on card ending{' '}
          {payment.lastFour} ·{' '}
          <span data-testid="card-purchase-status">{statusText[payment.status]}</span>
          {payment.credited.minor > 0 ? (
            <>
              {' '}
              · <span data-testid="card-purchase-credit">credit {payment.credited.text}</span>
            </>
          ) : null}{' '}
          · {formatTime(payment.createdAt)}{' '}
          <Button
            variant="secondary"
            busy={task.busy === payment.transactionId}
            onClick={() => inquire(payment.transactionId)}
            testId="card-purchase-inquire"
          >
            Ask the shop
          </Button>
        </li>
      )}
    />
  );
}
