/** The history page's views, one per state. */
import type { ComponentChildren, JSX } from 'preact';
import { Button, Card, ColumnHeads, ErrorNotice, Loaded, Page } from '../../ui/components.tsx';
import { formatTime, instrumentName, shortOrigin } from '../../ui/wording.ts';
import { SpendingChart } from './chart-view.tsx';
import { type HistoryState, rangeChoices } from './state.ts';

export function HistoryView(props: {
  state: HistoryState;
  /** Card purchases (card-purchases.tsx), above the receipts. */
  cards?: ComponentChildren;
}): JSX.Element {
  return (
    <Page title="Payment history">
      {props.cards}
      <Loaded
        state={props.state}
        loaded={(state) =>
          state.status === 'empty' ? <NoPayments /> : <ReadyView state={state} />
        }
      />
    </Page>
  );
}

function NoPayments(): JSX.Element {
  return (
    <div class="card" data-testid="history-list">
      <p>No payments yet.</p>
      <p class="muted">
        Point at a priced link to see its price; click it to pay. Receipts show up here.
      </p>
    </div>
  );
}

function ReadyView({ state }: { state: Extract<HistoryState, { status: 'ready' }> }): JSX.Element {
  return (
    <>
      <Card
        title="Spending by site"
        aside={
          <fieldset class="tabs">
            <legend class="sr-only">Range</legend>
            {rangeChoices.map((days) => (
              <Button
                key={days}
                variant={days === state.days ? 'primary' : 'secondary'}
                aria-pressed={days === state.days}
                onClick={() => state.setDays(days)}
              >
                {days} days
              </Button>
            ))}
          </fieldset>
        }
      >
        <SpendingChart chart={state.chart} />
      </Card>
      <Card title="Receipts">
        <table data-testid="history-list">
          <ColumnHeads columns={['When', 'What', 'Site', 'With', { num: 'Amount' }]} />
          <tbody>
            {state.receipts.map((receipt) => (
              <tr key={receipt.receiptId} data-testid="receipt-item">
                <td>{formatTime(receipt.paidAt)}</td>
                <td>
                  {receipt.title || receipt.resource}
                  <br />
                  <span class="mono muted" title={`Receipt ${receipt.receiptId}`}>
                    {receipt.resource}
                  </span>
                </td>
                <td title={receipt.origin}>
                  {receipt.merchantName}
                  <br />
                  <span class="small muted">{shortOrigin(receipt.origin)}</span>
                </td>
                <td>{instrumentName(receipt.instrument)}</td>
                <td class="num">
                  {receipt.price.text}
                  {receipt.refunded === undefined ? null : (
                    <>
                      <br />
                      <span class="small" data-testid="receipt-refunded">
                        refunded {receipt.refunded.text}
                      </span>
                    </>
                  )}
                  {receipt.instrument === 'ecash' ? (
                    <>
                      <br />
                      <Button
                        variant="link"
                        onClick={() => state.prove(receipt.receiptId)}
                        busy={state.proving === receipt.receiptId}
                        testId="prove-payment"
                      >
                        Prove this payment
                      </Button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <ErrorNotice error={state.error} />
        {state.loadMore === null ? null : (
          <div class="actions">
            <Button variant="secondary" onClick={state.loadMore} busy={state.loadingMore}>
              Older payments
            </Button>
          </div>
        )}
      </Card>
    </>
  );
}
