/** The confirmation window's views, one per state. */
import type { ComponentChildren, JSX } from 'preact';
import { ErrorNotice, Loading, Shell } from '../../ui/components.tsx';
import { SubmitActions } from '../../ui/forms.tsx';
import { confirmationReasonText, instrumentName, unreachable } from '../../ui/wording.ts';
import { PurseConfirmActions, type PurseConfirmState } from '../purse/confirm-purse.tsx';
import { CardOrder } from './card-order.tsx';
import type { ConfirmState } from './state.ts';

export function ConfirmView(props: {
  state: ConfirmState;
  /** A purse payment's reader exchange (pages/purse/confirm-purse.tsx), when it is one. */
  purse?: PurseConfirmState;
}): JSX.Element {
  const { state } = props;
  switch (state.status) {
    case 'framed':
      // Nothing actionable inside a frame: a page must not be able to show this window.
      return <p class="confirm muted">Open the Farthing wallet from the browser toolbar.</p>;
    case 'no-request':
      return (
        <Message title="Nothing to confirm">
          This window opens when a payment needs your confirmation. You can close it.
        </Message>
      );
    case 'loading':
      return (
        <Shell title="Confirm a payment">
          <div class="confirm">
            <Loading />
          </div>
        </Shell>
      );
    case 'failed':
      return (
        <Shell title="Confirm a payment">
          <div class="confirm">
            <ErrorNotice error={state.error} />
          </div>
        </Shell>
      );
    case 'expired':
      return (
        <Message title="This request expired">
          Nothing was paid for “{state.confirmation.title}”. Click the link again to pay.
        </Message>
      );
    case 'answered':
      return (
        <Message title={state.accepted ? 'Confirmed' : 'Declined'}>
          {state.accepted ? 'The payment goes ahead.' : 'Nothing was paid.'}
        </Message>
      );
    case 'ready':
      return <ReadyView state={state} purse={props.purse} />;
    default:
      return unreachable(state);
  }
}

function Message(props: { title: string; children: ComponentChildren }): JSX.Element {
  return (
    <Shell title={props.title}>
      <div class="confirm">
        <p role="status">{props.children}</p>
      </div>
    </Shell>
  );
}

function ReadyView({
  state,
  purse,
}: {
  state: Extract<ConfirmState, { status: 'ready' }>;
  purse: PurseConfirmState | undefined;
}): JSX.Element {
  const { confirmation: c } = state;
  const originDiffers = c.pageOrigin !== c.payee.origin;
  return (
    <Shell title="Confirm a payment">
      <div class="confirm">
        <section class="stack" aria-label="Payment">
          <p class="price" data-testid="confirm-amount">
            {c.price.text}
          </p>
          <div data-testid="confirm-payee">
            <p>
              to <strong>{c.payee.name}</strong>
            </p>
            <p class="mono">{c.payee.origin}</p>
          </div>
        </section>
        <dl>
          <dt>For</dt>
          <dd>
            {c.title}
            <br />
            <span class="mono">{c.resource}</span>
          </dd>
          <dt>On page</dt>
          <dd class="mono">{c.pageOrigin}</dd>
          <dt>Certified by</dt>
          <dd class="mono">{c.payee.bankUrl}</dd>
          <dt>Paid with</dt>
          <dd>{instrumentName(c.instrument)}</dd>
          {c.card === undefined ? (
            <>
              <dt>Site budget left</dt>
              <dd>{c.siteBudgetLeft.text} after this</dd>
              <dt>Today's budget left</dt>
              <dd>{c.dailyBudgetLeft.text} after this</dd>
            </>
          ) : null}
        </dl>
        {c.card === undefined ? null : <CardOrder card={c.card} />}
        <p class="notice">{confirmationReasonText(c.reason)}</p>
        {c.waiting > 0 ? (
          <p class="notice" data-testid="confirm-waiting">
            {c.waiting === 1
              ? 'One more payment waits for your answer after this one.'
              : `${c.waiting} more payments wait for your answer after this one, one at a time.`}
          </p>
        ) : null}
        {originDiffers ? (
          <p class="notice error" role="alert">
            The page's origin is not the payee's. Decline unless you expected this.
          </p>
        ) : null}
        {c.purse !== undefined && purse !== undefined ? (
          <>
            <ErrorNotice error={state.error} />
            <PurseConfirmActions state={purse} />
          </>
        ) : (
          <SubmitActions
            error={state.error}
            busy={state.busy}
            back={{ label: 'Decline', onClick: state.decline, testId: 'confirm-decline' }}
            label={`Pay ${c.price.text}`}
            onClick={state.accept}
            disabled={!state.armed}
            testId="confirm-accept"
          />
        )}
      </div>
    </Shell>
  );
}
