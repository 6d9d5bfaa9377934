// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../ui/platform.ts';
import { type FakeBackground, fakeBackground, refusal } from '../../ui/testing/fake-background.ts';
import { confirmation } from '../../ui/testing/fixtures.ts';
import {
  type ConfirmEnvironment,
  type ConfirmState,
  confirmationIdOf,
  useConfirmState,
} from './state.ts';

let visibility: DocumentVisibilityState = 'visible';
const documentLike: ConfirmEnvironment['document'] = {
  get visibilityState() {
    return visibility;
  },
  addEventListener: document.addEventListener.bind(document),
  removeEventListener: document.removeEventListener.bind(document),
};

function environment(overrides: Partial<ConfirmEnvironment> = {}): ConfirmEnvironment {
  return { search: '?id=c1', framed: false, window, document: documentLike, ...overrides };
}

function renderConfirm(background: FakeBackground, env = environment()) {
  const platform: Platform = {
    transport: background.transport,
    openPage: vi.fn(),
    download: vi.fn(),
    closeWindow: vi.fn(),
  };
  const hook = renderHook(() => useConfirmState(platform, env, { armDelayMs: 500 }));
  const ready = () => {
    const state = hook.result.current;
    if (state.status !== 'ready') throw new Error(`expected ready, got ${state.status}`);
    return state;
  };
  return { hook, platform, ready };
}

/** Lets the fake background's promises settle and moves the clock. */
async function advance(ms: number): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function backgroundWith(view = confirmation(), waitingAfter = 0) {
  return fakeBackground({
    'confirmation.get': () => view,
    'confirmation.answer': (input) => ({ accepted: input.accept, waiting: waitingAfter }),
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  visibility = 'visible';
});
afterEach(() => vi.useRealTimers());

describe('confirmation window', () => {
  it('shows nothing actionable inside a frame and asks the wallet nothing', async () => {
    const background = backgroundWith();
    const { hook } = renderConfirm(background, environment({ framed: true }));
    await advance(1_000);
    expect(hook.result.current.status).toBe('framed');
    expect(background.calls).toEqual([]);
  });

  it('needs a well-formed id in its URL', () => {
    expect(confirmationIdOf('?id=c1')).toBe('c1');
    expect(confirmationIdOf('')).toBeNull();
    expect(confirmationIdOf('?id=')).toBeNull();
    expect(confirmationIdOf(`?id=${'x'.repeat(200)}`)).toBeNull();
    expect(confirmationIdOf('?id=a%20b')).toBeNull();
    const { hook } = renderConfirm(backgroundWith(), environment({ search: '?other=1' }));
    expect(hook.result.current.status).toBe('no-request');
  });

  it('loads the request, keeps Confirm disarmed for 500 ms, then pays and closes', async () => {
    const background = backgroundWith();
    const { hook, platform, ready } = renderConfirm(background);
    const seen: ConfirmState['status'][] = [hook.result.current.status];
    await advance(0);
    seen.push(hook.result.current.status);
    expect(ready().armed).toBe(false);
    expect(ready().confirmation.payee.name).toBe('The Farthing Gazette');

    act(() => ready().accept());
    await advance(0);
    expect(background.callsOf('confirmation.answer')).toEqual([]);

    await advance(500);
    expect(ready().armed).toBe(true);
    act(() => ready().accept());
    await advance(0);
    seen.push(hook.result.current.status);
    expect(seen).toEqual(['loading', 'ready', 'answered']);
    expect(hook.result.current).toEqual({ status: 'answered', accepted: true });
    expect(background.callsOf('confirmation.answer')).toEqual([{ id: 'c1', accept: true }]);
    expect(platform.closeWindow).toHaveBeenCalledOnce();
  });

  it('stays open when the wallet has another payment to ask about in it', async () => {
    const background = backgroundWith(confirmation({ waiting: 1 }), 1);
    const { hook, platform, ready } = renderConfirm(background);
    await advance(0);
    expect(ready().confirmation.waiting).toBe(1);
    await advance(500);
    act(() => ready().decline());
    await advance(0);
    expect(hook.result.current).toEqual({ status: 'answered', accepted: false });
    expect(platform.closeWindow).not.toHaveBeenCalled();
  });

  it('disarms again whenever the window regains focus or visibility', async () => {
    const { ready } = renderConfirm(backgroundWith());
    await advance(0);
    await advance(500);
    expect(ready().armed).toBe(true);

    act(() => {
      window.dispatchEvent(new Event('blur'));
    });
    expect(ready().armed).toBe(false);
    await advance(1_000);
    expect(ready().armed).toBe(false);

    act(() => {
      window.dispatchEvent(new Event('focus'));
    });
    await advance(400);
    expect(ready().armed).toBe(false);
    await advance(100);
    expect(ready().armed).toBe(true);

    visibility = 'hidden';
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(ready().armed).toBe(false);
    visibility = 'visible';
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await advance(499);
    expect(ready().armed).toBe(false);
    await advance(1);
    expect(ready().armed).toBe(true);
  });

  it('declines at once: declining needs no delay', async () => {
    const background = backgroundWith();
    const { hook, platform, ready } = renderConfirm(background);
    await advance(0);
    act(() => ready().decline());
    await advance(0);
    expect(hook.result.current).toEqual({ status: 'answered', accepted: false });
    expect(background.callsOf('confirmation.answer')).toEqual([{ id: 'c1', accept: false }]);
    expect(platform.closeWindow).toHaveBeenCalledOnce();
  });

  it('expires when the request does', async () => {
    const { hook } = renderConfirm(backgroundWith(confirmation({ expiresAt: Date.now() + 2_000 })));
    await advance(0);
    expect(hook.result.current.status).toBe('ready');
    await advance(2_000);
    expect(hook.result.current.status).toBe('expired');
  });

  it('shows why the request cannot be loaded', async () => {
    const background = fakeBackground({
      'confirmation.get': () => {
        throw refusal('confirmation_pending', 'This request is no longer waiting.');
      },
    });
    const { hook } = renderConfirm(background);
    await advance(0);
    expect(hook.result.current).toEqual({
      status: 'failed',
      error: { code: 'confirmation_pending', message: 'This request is no longer waiting.' },
    });
  });

  it('keeps the window open with the reason when the answer fails', async () => {
    const background = fakeBackground({
      'confirmation.get': () => confirmation(),
      'confirmation.answer': () => {
        throw refusal('insufficient_funds', 'Not enough coins: withdraw first.', 'popup');
      },
    });
    const { platform, ready } = renderConfirm(background);
    await advance(0);
    await advance(500);
    act(() => ready().accept());
    await advance(0);
    expect(ready().error?.code).toBe('insufficient_funds');
    expect(platform.closeWindow).not.toHaveBeenCalled();
  });
});
