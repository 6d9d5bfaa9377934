/** The purse page's views and the load form the settings page shows too. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Button, Card, ColumnHeads, ErrorNotice, Loading, Page } from '../../ui/components.tsx';
import { Form, TextField } from '../../ui/forms.tsx';
import { blockedCardAdvice } from './card-errors.ts';
import type { LoadStep, PurseState } from './state.ts';

type Ready = Extract<PurseState, { status: 'ready' }>;

const linkText = {
  searching: 'Looking for the reader…',
  connected: 'Reader connected.',
  waiting_for_button: 'The reader waits for its button.',
  disconnected: 'Reader not connected: plug it in.',
} as const;

const loadStepText: Readonly<Record<LoadStep, string>> = {
  pin: 'Checking the PIN on the card…',
  bank: 'Your bank debits the account…',
  card: 'The card writes the new balance; keep the reader plugged in…',
};

export function PursePageView(props: { state: PurseState }): JSX.Element {
  const { state } = props;
  return (
    <Page title="Hardware purse">
      {state.status === 'loading' ? <Loading /> : <ReadyView state={state} />}
    </Page>
  );
}

function ReadyView({ state }: { state: Ready }): JSX.Element {
  return (
    <>
      <ErrorNotice error={state.error} />
      {state.notice === null ? null : (
        <p class="notice" role="status" data-testid="purse-notice">
          {state.notice}
        </p>
      )}
      {state.link === null ? null : (
        <p class="small muted" data-testid="purse-link">
          {linkText[state.link]}
        </p>
      )}
      {state.blank !== null ? (
        <Personalise state={state} />
      ) : state.reader === null ? (
        <Card title="Pair a reader" id="pair">
          <p>
            Plug in your Farthing purse reader and choose it in the browser’s list. The wallet then
            pays with the card in it where sites take the purse; you confirm each payment on the
            reader’s own button.
          </p>
          <div class="actions">
            <Button onClick={state.pair} busy={state.busy} testId="purse-pair">
              Pair a reader
            </Button>
          </div>
        </Card>
      ) : (
        <>
          <PairedCard state={state} />
          <PurseLoadForm state={state} />
        </>
      )}
    </>
  );
}

function Personalise({ state }: { state: Ready }): JSX.Element {
  const [bankUrl, setBankUrl] = useState(state.banks[0]?.url ?? '');
  const [pin, setPin] = useState('');
  const [repeat, setRepeat] = useState('');
  return (
    <Card title="A new card" id="personalise">
      <p>
        Card <span class="mono">{state.blank?.cardId}</span> is blank. Your bank certifies it for
        your account; choose the PIN that loading it will ask for.
      </p>
      <Form class="stack" onSubmit={() => state.personalise(bankUrl, pin, repeat)}>
        <TextField id="purse-bank" label="Bank" value={bankUrl} onInput={setBankUrl} type="url" />
        <TextField
          id="purse-new-pin"
          label="PIN (4–8 digits)"
          value={pin}
          onInput={setPin}
          type="password"
          testId="purse-new-pin"
        />
        <TextField
          id="purse-new-pin-repeat"
          label="PIN again"
          value={repeat}
          onInput={setRepeat}
          type="password"
          testId="purse-new-pin-repeat"
        />
        <div class="actions">
          <Button type="submit" busy={state.busy} testId="purse-personalise">
            Issue and pair
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function PairedCard({ state }: { state: Ready }): JSX.Element | null {
  const reader = state.reader;
  if (reader === null) return null;
  return (
    <Card title="Your purse" id="purse">
      <dl>
        <dt>Reader</dt>
        <dd>{reader.productName}</dd>
        <dt>Card</dt>
        <dd class="mono" data-testid="purse-card-id">
          {reader.cardId}
        </dd>
        <dt>Balance</dt>
        <dd data-testid="purse-balance">{reader.balance.text}</dd>
        <dt>Holds at most</dt>
        <dd>{reader.maximum.text}</dd>
      </dl>
      {reader.state === 'pin-blocked' ? (
        <p class="notice error" role="alert" data-testid="purse-blocked">
          {blockedCardAdvice}
        </p>
      ) : null}
      <label class="check">
        <input
          type="checkbox"
          checked={reader.preferred}
          data-testid="purse-preferred"
          onChange={(event) => state.prefer(event.currentTarget.checked)}
        />{' '}
        Pay with the purse where sites take it
      </label>
      <h3>Last transactions on the card</h3>
      {reader.log.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table class="figures" data-testid="purse-log">
          <ColumnHeads columns={['What', 'Amount', 'SNo', 'To']} />
          <tbody>
            {reader.log.map((line) => (
              <tr key={`${line.type}-${line.at}-${line.sno ?? ''}`}>
                <td>{line.type === 'pay' ? 'Paid' : 'Loaded'}</td>
                <td>{line.amount.text}</td>
                <td>{line.sno ?? ''}</td>
                <td class="mono">{line.merchantId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        <Button
          variant="secondary"
          onClick={state.refresh}
          busy={state.busy}
          testId="purse-refresh"
        >
          Read the card
        </Button>
        <Button variant="danger" onClick={state.unpair} disabled={state.busy} testId="purse-unpair">
          Unpair
        </Button>
      </div>
    </Card>
  );
}

/** Amount and PIN; the PIN goes to the card only, never to the background or the bank. */
export function PurseLoadForm({ state }: { state: Ready }): JSX.Element | null {
  const [amountText, setAmountText] = useState('20.00');
  const [pin, setPin] = useState('');
  if (state.reader === null) return null;
  return (
    <Card title="Load the card" id="purse-load">
      <Form
        class="stack"
        onSubmit={() => {
          state.load(amountText, pin);
          setPin('');
        }}
      >
        <TextField
          id="purse-load-amount"
          label={`Amount (${state.reader.balance.currency})`}
          value={amountText}
          onInput={setAmountText}
          inputMode="decimal"
          testId="purse-load-amount"
        />
        <TextField
          id="purse-load-pin"
          label="Card PIN"
          value={pin}
          onInput={setPin}
          type="password"
          testId="purse-load-pin"
        />
        {state.loadStep === null ? null : (
          <p class="small muted" role="status" data-testid="purse-load-step">
            {loadStepText[state.loadStep]}
          </p>
        )}
        <div class="actions">
          <Button
            type="submit"
            busy={state.busy}
            disabled={state.reader.state !== 'active'}
            testId="purse-load"
          >
            Load from my account
          </Button>
        </div>
      </Form>
    </Card>
  );
}

/** The settings page's purse section: the card's state, loading, and the way to the purse tab. */
export function PurseSettingsSection(props: {
  state: PurseState;
  openPursePage: () => void;
}): JSX.Element {
  const { state } = props;
  if (state.status === 'loading') return <Loading />;
  return (
    <div class="page stack" id="purse-settings">
      <Card title="Hardware purse" id="purse-section">
        {state.reader === null ? (
          <p>No reader is paired.</p>
        ) : (
          <p>
            Card <span class="mono">{state.reader.cardId}</span> holds{' '}
            <strong data-testid="settings-purse-balance">{state.reader.balance.text}</strong>.
          </p>
        )}
        {state.reader?.state === 'pin-blocked' ? (
          <p class="notice error" role="alert" data-testid="purse-blocked">
            {blockedCardAdvice}
          </p>
        ) : null}
        <ErrorNotice error={state.error} />
        {state.notice === null ? null : (
          <p class="notice" role="status" data-testid="purse-notice">
            {state.notice}
          </p>
        )}
        <div class="actions">
          <Button variant="secondary" onClick={props.openPursePage} testId="open-purse-page">
            {state.reader === null ? 'Pair a reader' : 'Reader, card log and pairing'}
          </Button>
        </div>
      </Card>
      <PurseLoadForm state={state} />
    </div>
  );
}
