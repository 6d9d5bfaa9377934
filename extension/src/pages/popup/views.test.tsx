// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bankView, eur, inspection, overview, task } from '../../ui/testing/fixtures.ts';
import type { PopupState, WithdrawForm } from './state.ts';
import { PopupView } from './views.tsx';

const idle: WithdrawForm = {
  phase: 'idle',
  amount: '',
  setAmount: vi.fn(),
  submit: vi.fn(),
  busy: false,
  error: null,
};

type ReadyState = Extract<PopupState, { status: 'ready' }>;

function ready(withdraw: WithdrawForm = idle): PopupState {
  return {
    status: 'ready',
    overview: overview(),
    bank: bankView('alice'),
    ecash: eur(495),
    payword: eur(200),
    purse: null,
    paywordHolds: [
      {
        held: eur(500),
        left: eur(200),
        expiresAt: Date.UTC(2027, 0, 3, 12),
        expired: false,
        returnsBy: Date.UTC(2027, 0, 10, 12),
      },
    ],
    paywordCredit: eur(500),
    withdraw,
    threshold: {
      currency: 'EUR',
      value: '0.50',
      setValue: vi.fn(),
      save: vi.fn(),
      busy: false,
      saved: false,
      error: null,
    },
    logIn: vi.fn(),
    openSettings: vi.fn(),
    openHistory: vi.fn(),
    openRecovery: vi.fn(),
  };
}

afterEach(cleanup);

describe('popup views', () => {
  it('carries the onboarding test ids the browser smoke test uses', () => {
    const add = render(
      <PopupView
        state={{
          status: 'add-bank',
          url: 'http://127.0.0.1:8700',
          setUrl: vi.fn(),
          inspect: vi.fn(),
          busy: false,
          error: null,
        }}
      />,
    );
    expect((add.getByTestId('add-bank-url') as HTMLInputElement).value).toBe(
      'http://127.0.0.1:8700',
    );
    add.getByTestId('add-bank-inspect');
    add.unmount();

    const review = render(
      <PopupView
        state={{
          status: 'review-bank',
          inspection,
          trust: vi.fn(),
          back: vi.fn(),
          busy: false,
          error: null,
        }}
      />,
    );
    expect(review.getByTestId('bank-fingerprints').textContent).toContain(inspection.caFingerprint);
    review.getByTestId('add-bank-trust');
    review.unmount();

    const login = render(
      <PopupView
        state={{
          status: 'login',
          bank: bankView(null),
          paywordCredit: eur(300),
          username: '',
          password: '',
          setUsername: vi.fn(),
          setPassword: vi.fn(),
          submit: vi.fn(),
          skip: vi.fn(),
          busy: false,
          error: null,
        }}
      />,
    );
    expect(login.getByTestId('login-password').getAttribute('type')).toBe('password');
    login.getByTestId('login-username');
    login.getByTestId('login-submit');
  });

  it('shows balances, withdraw and recent receipts under their test ids', () => {
    const view = render(<PopupView state={ready()} />);
    expect(view.getByTestId('balance-ecash').textContent).toBe('EUR 4.95');
    expect(view.getByTestId('balance-payword').textContent).toBe('EUR 2.00');
    view.getByTestId('withdraw-amount');
    view.getByTestId('withdraw-submit');
    expect(
      view.getByTestId('recent-payments').querySelectorAll('[data-testid="receipt-item"]'),
    ).toHaveLength(1);
  });

  it('shows a running withdrawal as progress', () => {
    const view = render(
      <PopupView
        state={ready({ phase: 'running', task: task({ progress: { done: 4, total: 10 } }) })}
      />,
    );
    const progress = view.getByTestId('task-progress');
    expect(progress.textContent).toContain('4 of 10');
    expect(progress.querySelector('progress')?.getAttribute('value')).toBe('4');
  });

  it('names the bank, labels its fingerprints plainly and says where to compare them', () => {
    const review = render(
      <PopupView
        state={{
          status: 'review-bank',
          inspection,
          trust: vi.fn(),
          back: vi.fn(),
          busy: false,
          error: null,
        }}
      />,
    );
    expect(review.getByRole('heading', { level: 2 }).textContent).toBe('Farthing Demo Bank');
    const fingerprints = review.getByTestId('bank-fingerprints');
    expect([...fingerprints.querySelectorAll('dt')].map((dt) => dt.textContent)).toEqual([
      'The bank’s certificate',
      'The key that signs its coins',
      'The key that signs PayWord credit',
    ]);
    expect(fingerprints.textContent).toContain(inspection.brokerKeyFingerprint);
    const where = review.getByTestId('fingerprints-where');
    expect(where.querySelector('a')?.getAttribute('href')).toBe(
      'http://127.0.0.1:8700/fingerprints',
    );
    expect(where.textContent).toContain('npm start');
    expect(review.container.textContent).not.toMatch(/mint master key|your bank publishes/i);
  });

  it('tells the user how much PayWord will set aside before the first payment', () => {
    const login = render(
      <PopupView
        state={{
          status: 'login',
          bank: bankView(null),
          paywordCredit: eur(300),
          username: '',
          password: '',
          setUsername: vi.fn(),
          setPassword: vi.fn(),
          submit: vi.fn(),
          skip: vi.fn(),
          busy: false,
          error: null,
        }}
      />,
    );
    expect(login.getByTestId('payword-hold-notice').textContent).toContain(
      'asks Farthing Demo Bank to set aside EUR 3.00 of your account as PayWord credit',
    );
    login.unmount();

    const fresh = render(<PopupView state={{ ...ready(), paywordHolds: [] } as PopupState} />);
    expect(fresh.getByTestId('payword-held').textContent).toContain('set aside EUR 5.00');
  });

  it('shows held PayWord credit as reserved, with its expiry and when the rest returns', () => {
    const view = render(<PopupView state={ready()} />);
    const held = view.getByTestId('payword-held').textContent;
    expect(held).toContain('Reserved credit: EUR 5.00 of your account is set aside at');
    expect(held).toContain('until 3 Jan 2027; EUR 2.00 of it is left to spend');
    expect(held).toContain('comes back to your account by 10 Jan 2027');
    view.unmount();

    const [hold] = ready().status === 'ready' ? (ready() as ReadyState).paywordHolds : [];
    const expired = render(
      <PopupView
        state={{
          ...(ready() as ReadyState),
          paywordHolds: [{ ...hold!, left: eur(0), expired: true, returnsBy: null }],
        }}
      />,
    );
    const text = expired.getByTestId('payword-held').textContent;
    expect(text).toContain('was set aside at Farthing Demo Bank for PayWord until 3 Jan 2027');
    expect(text).toContain('it has expired');
    expect(text).toContain('once they have had time to collect');
  });
});
