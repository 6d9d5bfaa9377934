/** The popup's views, one per state; pure functions of the state. */

import type { JSX } from 'preact';
import type { CardView, ReceiptView, WalletErrorJson } from '../../messages/contract.ts';
import { Button, Card, ErrorNotice, PendingView, Screen } from '../../ui/components.tsx';
import { Form, SubmitActions, TextField } from '../../ui/forms.tsx';
import {
  formatDay,
  formatTime,
  instrumentName,
  paywordHoldNotice,
  shortOrigin,
  unreachable,
} from '../../ui/wording.ts';
import { Balance, CardBalance } from './card-balance.tsx';
import { AddBankView, LoginView, ReviewBankView } from './onboarding-views.tsx';
import type { PaywallState } from './paywall-state.ts';
import type { PaywordHold, PopupState, ThresholdForm, WithdrawForm } from './state.ts';

export function PopupView(props: {
  state: PopupState;
  paywall?: PaywallState;
  /** The wallet's cards (card-balance.tsx), shown beside e-cash and PayWord. */
  cards?: readonly CardView[];
}): JSX.Element {
  const { state } = props;
  const paywall = props.paywall ?? { status: 'none' };
  switch (state.status) {
    case 'loading':
    case 'failed':
      return (
        <Screen title="Farthing">
          <PendingView state={state} />
        </Screen>
      );
    case 'add-bank':
      return <AddBankView state={state} />;
    case 'review-bank':
      return <ReviewBankView state={state} />;
    case 'login':
      return <LoginView state={state} />;
    case 'ready':
      return <ReadyView state={state} paywall={paywall} cards={props.cards ?? []} />;
    default:
      return unreachable(state);
  }
}

type StateOf<S extends PopupState['status']> = Extract<PopupState, { status: S }>;

function ReadyView({
  state,
  paywall,
  cards,
}: {
  state: StateOf<'ready'>;
  paywall: PaywallState;
  cards: readonly CardView[];
}): JSX.Element {
  return (
    <Screen title="Farthing" link={{ label: 'Settings', onClick: state.openSettings }}>
      <PaywallCard paywall={paywall} />
      <section class="balances" aria-label="Balances">
        <Balance label="E-cash" figure={state.ecash.text} testId="balance-ecash" />
        <Balance label="PayWord credit" figure={state.payword.text} testId="balance-payword" />
        {state.purse === null ? null : (
          <Balance label="Hardware purse" figure={state.purse.text} testId="balance-purse" />
        )}
        <CardBalance cards={cards} />
      </section>
      <PaywordHolds
        holds={state.paywordHolds}
        credit={state.paywordCredit}
        bankName={state.bank.name}
      />
      <p class="small muted">Spent today: {state.overview.spentToday.text}</p>
      {state.bank.account === null ? (
        <div class="notice">
          <p>Log in to {state.bank.name} to withdraw coins.</p>
          <Button variant="link" onClick={state.logIn}>
            Log in
          </Button>
        </div>
      ) : (
        <WithdrawCard form={state.withdraw} bankName={state.bank.name} />
      )}
      <RecentPayments receipts={state.overview.recent} onMore={state.openHistory} />
      <ThresholdCard form={state.threshold} />
      <p class="small">
        <Button variant="link" onClick={state.openRecovery} testId="open-recovery">
          Recovery phrase · return e-cash to my bank
        </Button>
      </p>
    </Screen>
  );
}

/** Where the PayWord credit is: held at the bank, until when, and when the rest comes back. */
function PaywordHolds(props: {
  holds: readonly PaywordHold[];
  credit: PaywordHold['held'];
  bankName: string;
}): JSX.Element {
  if (props.holds.length === 0) {
    return (
      <p class="small muted" data-testid="payword-held">
        {paywordHoldNotice(props.credit, props.bankName)}
      </p>
    );
  }
  return (
    <div class="stack" data-testid="payword-held">
      {props.holds.map((hold) => (
        <p class="small muted" key={hold.expiresAt}>
          {hold.expired
            ? `Reserved credit: ${hold.held.text} of your account was set aside at ${props.bankName} for PayWord until ${formatDay(hold.expiresAt)}; it has expired.`
            : `Reserved credit: ${hold.held.text} of your account is set aside at ${props.bankName} for PayWord until ${formatDay(hold.expiresAt)}; ${hold.left.text} of it is left to spend.`}{' '}
          {hold.returnsBy === null
            ? 'What sites have not collected comes back to your account after that, once they have had time to collect.'
            : `What sites have not collected comes back to your account by ${formatDay(hold.returnsBy)}.`}
        </p>
      ))}
    </div>
  );
}

function WithdrawCard(props: { form: WithdrawForm; bankName: string }): JSX.Element {
  const { form } = props;
  return (
    <Card title="Withdraw coins" aside={<span class="small muted">from {props.bankName}</span>}>
      {(() => {
        switch (form.phase) {
          case 'idle':
            return (
              <Form class="inline-form" onSubmit={form.submit}>
                <TextField
                  id="withdraw-amount"
                  label="Amount"
                  inputMode="decimal"
                  placeholder="5.00"
                  value={form.amount}
                  onInput={form.setAmount}
                  testId="withdraw-amount"
                  error={form.error?.message ?? null}
                />
                <Button type="submit" busy={form.busy} testId="withdraw-submit">
                  Withdraw
                </Button>
              </Form>
            );
          case 'running': {
            const progress = form.task.progress;
            return (
              <div data-testid="task-progress" class="stack" role="status">
                <progress
                  max={progress?.total ?? 1}
                  value={progress?.done ?? 0}
                  aria-label="Withdrawal progress"
                />
                <p class="small">
                  Withdrawing {form.task.amount?.text ?? ''}
                  {progress === null ? '…' : `: ${progress.done} of ${progress.total} coins signed`}
                </p>
              </div>
            );
          }
          case 'done':
            return (
              <div class="stack" data-testid="task-progress" data-status="confirmed">
                <p class="notice" role="status">
                  Withdrew {form.task.amount?.text ?? 'your coins'}.
                </p>
                <AgainActions error={null} label="Withdraw more" again={form.again} />
              </div>
            );
          case 'failed':
            return (
              <div class="stack">
                <AgainActions error={form.error} label="Try again" again={form.again} />
              </div>
            );
          default:
            return unreachable(form);
        }
      })()}
    </Card>
  );
}

/** After a withdrawal: why it failed, if it did, and a way to start the next. */
function AgainActions(props: {
  error: WalletErrorJson | null;
  label: string;
  again: () => void;
}): JSX.Element {
  return (
    <SubmitActions
      error={props.error}
      busy={false}
      label={props.label}
      variant="secondary"
      onClick={props.again}
    />
  );
}

function RecentPayments(props: {
  receipts: readonly ReceiptView[];
  onMore: () => void;
}): JSX.Element {
  return (
    <Card title="Recent payments" link={{ label: 'History', onClick: props.onMore }}>
      {props.receipts.length === 0 ? (
        <p class="muted small" data-testid="recent-payments">
          No payments yet. Priced links show their price when you point at them.
        </p>
      ) : (
        <ul class="list" data-testid="recent-payments">
          {props.receipts.map((receipt) => (
            <ReceiptItem key={receipt.receiptId} receipt={receipt} />
          ))}
        </ul>
      )}
    </Card>
  );
}

export function ReceiptItem(props: { receipt: ReceiptView }): JSX.Element {
  const { receipt } = props;
  return (
    <li data-testid="receipt-item">
      <div style={{ minWidth: 0 }}>
        <p class="title" title={receipt.title}>
          {receipt.title || receipt.resource}
        </p>
        <p class="small muted">
          {receipt.merchantName} · {shortOrigin(receipt.origin)} · {formatTime(receipt.paidAt)}
        </p>
      </div>
      <div style={{ textAlign: 'right' }}>
        <p class="amount">{receipt.price.text}</p>
        <p class="small muted">{instrumentName(receipt.instrument)}</p>
      </div>
    </li>
  );
}

function ThresholdCard(props: { form: ThresholdForm }): JSX.Element {
  const { form } = props;
  return (
    <Card title="Auto-pay limit">
      <Form class="inline-form" onSubmit={form.save}>
        <TextField
          id="auto-pay-threshold"
          label={`Pay without asking up to (${form.currency})`}
          inputMode="decimal"
          value={form.value}
          onInput={form.setValue}
          error={form.error?.message ?? null}
          testId="auto-pay-threshold"
        />
        <Button type="submit" variant="secondary" busy={form.busy}>
          Save
        </Button>
      </Form>
      {form.saved ? (
        <p class="small muted" role="status">
          Saved.
        </p>
      ) : null}
    </Card>
  );
}

/** The page in the active tab asks for a payment: pay it from here. */
export function PaywallCard(props: { paywall: PaywallState }): JSX.Element | null {
  const { paywall } = props;
  switch (paywall.status) {
    case 'none':
      return null;
    case 'paid':
      return (
        <div class="notice" role="status" data-testid="paywall-paid">
          <p>
            Paid {paywall.outcome.price.text} with {instrumentName(paywall.outcome.instrument)}.
          </p>
        </div>
      );
    case 'offer': {
      const { offer } = paywall.paywall;
      if (offer.status === 'refused') {
        return (
          <Card title="This page asks for a payment" id="paywall">
            <ErrorNotice error={offer.error} />
          </Card>
        );
      }
      return (
        <Card title="This page asks for a payment" id="paywall">
          <p data-testid="paywall-offer">
            <strong>{offer.price.text}</strong> to {offer.payee.name} (
            {shortOrigin(offer.payee.origin)}) for {offer.title}
          </p>
          <ErrorNotice error={paywall.error} />
          <div class="actions">
            <Button onClick={paywall.pay} busy={paywall.busy} testId="paywall-pay">
              Pay {offer.price.text}
            </Button>
          </div>
        </Card>
      );
    }
    default:
      return unreachable(paywall);
  }
}
