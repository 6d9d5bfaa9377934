/** The popup's onboarding views: add a bank, check its fingerprints, log in. */
import type { JSX } from 'preact';
import { Fingerprints, Screen } from '../../ui/components.tsx';
import {
  type FieldRow,
  FormStep,
  type StepWording,
  SubmitActions,
  TextFields,
} from '../../ui/forms.tsx';
import { fingerprintsPageUrl, paywordHoldNotice } from '../../ui/wording.ts';
import type { PopupState } from './state.ts';

type StateOf<S extends PopupState['status']> = Extract<PopupState, { status: S }>;

const steps: Readonly<Record<'add-bank' | 'login', StepWording>> = {
  'add-bank': {
    title: 'Set up Farthing',
    next: 'Continue',
    busy: 'Contacting the bank…',
    testId: 'add-bank-inspect',
  },
  login: { title: 'Log in to your bank', back: 'Not now', next: 'Log in', testId: 'login-submit' },
};

const bankFields: readonly FieldRow<StateOf<'add-bank'>>[] = [
  { key: 'url', id: 'add-bank-url', label: 'Bank address', type: 'url', inputMode: 'url' },
];

export function AddBankView({ state }: { state: StateOf<'add-bank'> }): JSX.Element {
  return (
    <FormStep wording={steps['add-bank']} step={state} onSubmit={state.inspect}>
      <p>
        Farthing pays with coins from a bank you choose. Enter your bank's address to see who it is
        before you trust it.
      </p>
      <TextFields state={state} fields={bankFields} />
    </FormStep>
  );
}

export function ReviewBankView({ state }: { state: StateOf<'review-bank'> }): JSX.Element {
  const { inspection } = state;
  return (
    <Screen title="Trust this bank?">
      <div class="card">
        <h2>{inspection.name}</h2>
        <p class="mono">{inspection.url}</p>
        <Fingerprints
          caFingerprint={inspection.caFingerprint}
          mintKeyFingerprint={inspection.mintKeyFingerprint}
          brokerKeyFingerprint={inspection.brokerKeyFingerprint}
          testId="bank-fingerprints"
        />
        <p class="small muted">
          Coins: {inspection.denominations.map((denomination) => denomination.text).join(', ')}
        </p>
      </div>
      <p class="small" data-testid="fingerprints-where">
        Before you trust it, check that each fingerprint matches, character by character, the one
        the bank shows on its fingerprints page,{' '}
        <a class="mono" href={fingerprintsPageUrl(inspection.url)} target="_blank" rel="noreferrer">
          {fingerprintsPageUrl(inspection.url)}
        </a>
        , or on a copy it gave you. Running the demo? <code>npm start</code> printed them when it
        started. If any differs, go back: this is not your bank.
      </p>
      <p class="small muted">
        Farthing remembers these keys and refuses the bank if they ever change.
      </p>
      <SubmitActions
        error={state.error}
        busy={state.busy}
        back={{ label: 'Back', onClick: state.back }}
        label="Trust this bank"
        testId="add-bank-trust"
        onClick={state.trust}
      />
    </Screen>
  );
}

const loginFields: readonly FieldRow<StateOf<'login'>>[] = [
  { key: 'username', id: 'login-username', label: 'Username', autoComplete: 'username' },
  {
    key: 'password',
    id: 'login-password',
    label: 'Password',
    type: 'password',
    autoComplete: 'current-password',
  },
];

export function LoginView({ state }: { state: StateOf<'login'> }): JSX.Element {
  return (
    <FormStep wording={steps.login} step={state} onSubmit={state.submit} onBack={state.skip}>
      <p>
        Log in to <strong>{state.bank.name}</strong> to withdraw coins from your account.
      </p>
      <p class="small muted" data-testid="payword-hold-notice">
        {paywordHoldNotice(state.paywordCredit, state.bank.name)}
      </p>
      <TextFields state={state} fields={loginFields} />
    </FormStep>
  );
}
