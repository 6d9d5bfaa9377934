/** The recovery page's views, one per state (state.ts). */
import type { JSX } from 'preact';
import { Button, ErrorNotice, Loading, Screen } from '../../ui/components.tsx';
import { FormStep, type StepWording, TextField } from '../../ui/forms.tsx';
import type { RecoveryState } from './state.ts';

type StateOf<S extends RecoveryState['status']> = Extract<RecoveryState, { status: S }>;

const cents = (minor: number) => (minor / 100).toFixed(2);

const steps: Readonly<Record<'check' | 'restore', StepWording>> = {
  check: {
    title: 'Check what you wrote',
    back: 'Show the words again',
    next: 'Confirm',
    testId: 'recovery-confirm',
  },
  restore: {
    title: 'Restore from your phrase',
    back: 'Back',
    next: 'Restore',
    testId: 'recovery-restore',
  },
};

export function RecoveryView({ state }: { state: RecoveryState }): JSX.Element {
  switch (state.status) {
    case 'loading':
      return <Loading label="Opening the wallet…" />;
    case 'start':
      return <StartView state={state} />;
    case 'show':
      return <ShowView state={state} />;
    case 'check':
      return <CheckView state={state} />;
    case 'restore':
      return <RestoreView state={state} />;
    case 'ready':
      return <ReadyView state={state} />;
  }
}

function StartView({ state }: { state: StateOf<'start'> }): JSX.Element {
  return (
    <Screen title="Your recovery phrase">
      <p>
        Twenty-four words are the key to your coins: with them and your bank login, a new browser
        gets back the e-cash of your last withdrawals if this one is lost.
      </p>
      <ErrorNotice error={state.error} />
      <div class="actions">
        <Button onClick={state.create} testId="recovery-create">
          Make my recovery phrase
        </Button>
        <Button variant="secondary" onClick={state.startRestore} testId="recovery-start-restore">
          I have a phrase: restore
        </Button>
      </div>
    </Screen>
  );
}

function ShowView({ state }: { state: StateOf<'show'> }): JSX.Element {
  return (
    <Screen title="Write these words down">
      <p>
        Write the 24 words on paper, in order, and keep it safe. Anyone with them and your bank
        login can take your coins; the wallet will not show them again once you confirmed them.
      </p>
      <ol class="phrase" data-testid="recovery-words">
        {state.words.map((word, index) => (
          <li key={index} data-testid={`recovery-word-${index}`}>
            {word}
          </li>
        ))}
      </ol>
      <div class="actions">
        <Button onClick={state.written} testId="recovery-written">
          I wrote them down
        </Button>
      </div>
    </Screen>
  );
}

function CheckView({ state }: { state: StateOf<'check'> }): JSX.Element {
  return (
    <FormStep wording={steps.check} step={state} onSubmit={state.confirm} onBack={state.back}>
      <p>Type these words of your phrase, from your paper.</p>
      {state.positions.map((position, index) => (
        <TextField
          key={position}
          id={`recovery-answer-${index}`}
          label={`Word ${position + 1}`}
          value={state.answers[index] ?? ''}
          onInput={(word) => state.setAnswer(index, word)}
          testId={`recovery-answer-${index}`}
        />
      ))}
    </FormStep>
  );
}

function RestoreView({ state }: { state: StateOf<'restore'> }): JSX.Element {
  return (
    <FormStep wording={steps.restore} step={state} onSubmit={state.restore} onBack={state.back}>
      <div class="field">
        <label for="recovery-phrase">Your 24 words, in order</label>
        <textarea
          id="recovery-phrase"
          rows={4}
          spellcheck={false}
          autoComplete="off"
          value={state.phrase}
          data-testid="recovery-phrase"
          onInput={(event) => state.setPhrase(event.currentTarget.value)}
        />
      </div>
    </FormStep>
  );
}

function ReadyView({ state }: { state: StateOf<'ready'> }): JSX.Element {
  const loggedIn = state.banks.filter((bank) => bank.account !== null);
  return (
    <Screen title="Recovery">
      <p data-testid="recovery-status">
        {state.origin === 'restored'
          ? 'This wallet was restored from your recovery phrase.'
          : 'Your recovery phrase is written down.'}
      </p>
      {loggedIn.length === 0 ? (
        <p class="muted">Add your bank and log in (in the wallet’s popup) to recover coins.</p>
      ) : null}
      {loggedIn.map((bank) => (
        <div class="card" key={bank.url}>
          <h2>{bank.name}</h2>
          <p class="small muted">
            Lost coins: the unspent coins of your last 16 withdrawals at this bank come back. The
            bank learns only which account asks; the mint never learns which coins.
          </p>
          <div class="actions">
            <Button
              onClick={() => state.recoverLostCoins(bank.url)}
              busy={state.busy}
              testId="recovery-lost-coins"
            >
              Recover lost coins
            </Button>
            <Button
              variant="secondary"
              onClick={() => state.returnCoins(bank.url)}
              busy={state.busy}
              testId="recovery-return"
            >
              Return e-cash to my bank account
            </Button>
          </div>
          {state.origin === 'restored' ? (
            <>
              <p class="small muted">
                PayWord credit of your lost wallet: ends its certificates at this bank. Sites keep
                the usual grace to be paid for what you bought with it; then the rest comes back to
                your account. Another browser using this account loses its PayWord credit too.
              </p>
              <div class="actions">
                <Button
                  variant="secondary"
                  onClick={() => state.endPaywordCredit(bank.url)}
                  busy={state.busy}
                  testId="recovery-payword"
                >
                  Give back the lost wallet’s PayWord credit
                </Button>
              </div>
            </>
          ) : null}
        </div>
      ))}
      {state.lost === null ? null : (
        <p class="notice" data-testid="recovery-lost-result">
          Found {state.lost.withdrawals} withdrawals and {state.lost.changes} changes:{' '}
          {state.lost.recovered} coins worth {cents(state.lost.value)} came back; {state.lost.spent}{' '}
          were already spent.
        </p>
      )}
      {state.paywordEnded === null ? null : (
        <p class="notice" data-testid="recovery-payword-result">
          {state.paywordEnded.ended === 0
            ? 'No PayWord certificate of a lost wallet was left to end.'
            : `Ended ${state.paywordEnded.ended} PayWord certificate${state.paywordEnded.ended === 1 ? '' : 's'}; the credit sites did not claim comes back to your account by ${new Date(state.paywordEnded.returnsBy ?? 0).toLocaleString()}.`}
        </p>
      )}
      {state.returned === null ? null : (
        <p class="notice" data-testid="recovery-return-result">
          Returned {state.returned.coins} coins worth {cents(state.returned.value)} to your account.
        </p>
      )}
      <ErrorNotice error={state.error} />
    </Screen>
  );
}
