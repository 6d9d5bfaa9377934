// @vitest-environment happy-dom
import { render } from '@testing-library/preact';
import { describe, expect, it, vi } from 'vitest';
import { confirmation } from '../../ui/testing/fixtures.ts';
import type { ConfirmState } from './state.ts';
import { ConfirmView } from './views.tsx';

function ready(armed: boolean): ConfirmState {
  return {
    status: 'ready',
    confirmation: confirmation(),
    armed,
    busy: false,
    error: null,
    accept: vi.fn(),
    decline: vi.fn(),
  };
}

describe('confirmation views', () => {
  it('shows the verified payee and amount, with Confirm disabled until armed', () => {
    const view = render(<ConfirmView state={ready(false)} />);
    expect(view.getByTestId('confirm-payee').textContent).toContain('The Farthing Gazette');
    expect(view.getByTestId('confirm-payee').textContent).toContain('http://127.0.0.1:8701');
    expect(view.getByTestId('confirm-amount').textContent).toBe('EUR 1.20');
    expect((view.getByTestId('confirm-accept') as HTMLButtonElement).disabled).toBe(true);
    expect((view.getByTestId('confirm-decline') as HTMLButtonElement).disabled).toBe(false);
    view.rerender(<ConfirmView state={ready(true)} />);
    expect((view.getByTestId('confirm-accept') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows nothing to click when framed', () => {
    const view = render(<ConfirmView state={{ status: 'framed' }} />);
    expect(view.container.querySelector('button')).toBeNull();
  });
});
