// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/preact';
import { describe, expect, it, vi } from 'vitest';
import type { TaskView, WalletOverview } from '../../messages/contract.ts';
import type { Platform } from '../../ui/platform.ts';
import { type FakeBackground, fakeBackground, refusal } from '../../ui/testing/fake-background.ts';
import {
  bankUrl,
  bankView,
  eur,
  inspection,
  overview,
  settings,
  task,
} from '../../ui/testing/fixtures.ts';
import { type PopupState, usePopupState } from './state.ts';

function platformOf(background: FakeBackground): Platform {
  return {
    transport: background.transport,
    openPage: vi.fn(),
    download: vi.fn(),
    closeWindow: vi.fn(),
  };
}

/** 1 Jan 2027: before the fixtures' PayWord certificate expires (3 Jan 2027). */
const beforeExpiry = Date.UTC(2027, 0, 1);

function renderPopup(background: FakeBackground, now = beforeExpiry) {
  const platform = platformOf(background);
  const hook = renderHook(() => usePopupState(platform, { pollMs: 10, now: () => now }));
  const statuses: string[] = [];
  const current = <S extends PopupState['status']>(
    status: S,
  ): Extract<PopupState, { status: S }> => {
    const state = hook.result.current;
    expect(state.status).toBe(status);
    return state as Extract<PopupState, { status: S }>;
  };
  const until = async (status: PopupState['status']) => {
    await waitFor(() => expect(hook.result.current.status).toBe(status));
    statuses.push(status);
  };
  return { hook, platform, current, until, statuses };
}

describe('popup onboarding', () => {
  it('adds a bank, shows its fingerprints, trusts it and logs in', async () => {
    let wallet: WalletOverview = overview({ banks: [], balances: [], recent: [] });
    const background = fakeBackground({
      'wallet.overview': () => wallet,
      'settings.get': () => settings,
      'bank.inspect': () => inspection,
      'bank.trust': () => {
        wallet = { ...wallet, banks: [bankView(null)] };
        return bankView(null);
      },
      'bank.login': () => {
        wallet = overview({ recent: [] });
        return bankView('alice');
      },
    });
    const popup = renderPopup(background);
    expect(popup.hook.result.current.status).toBe('loading');

    await popup.until('add-bank');
    expect(popup.current('add-bank').url).toBe('http://127.0.0.1:8700');
    act(() => popup.current('add-bank').inspect());
    await popup.until('review-bank');
    expect(popup.current('review-bank').inspection.caFingerprint).toBe(inspection.caFingerprint);

    act(() => popup.current('review-bank').trust());
    await popup.until('login');
    // Before any PayWord payment can take the hold, the user is told how much it will be.
    expect(popup.current('login').paywordCredit).toEqual(settings.paywordCredit);
    act(() => {
      popup.current('login').setUsername('alice');
      popup.current('login').setPassword('wonderland');
    });
    act(() => popup.current('login').submit());
    await popup.until('ready');
    expect(popup.current('ready').ecash.text).toBe('EUR 4.95');
    expect(popup.current('ready').paywordHolds).toEqual([
      {
        held: eur(500),
        left: eur(200),
        expiresAt: Date.UTC(2027, 0, 3),
        expired: false,
        returnsBy: Date.UTC(2027, 0, 10),
      },
    ]);

    expect(background.calls.map((call) => call.action)).toEqual([
      'wallet.overview',
      'settings.get',
      'bank.inspect',
      'bank.trust',
      'wallet.overview',
      'settings.get',
      'bank.login',
      'wallet.overview',
      'settings.get',
    ]);
    expect(background.callsOf('bank.trust')).toEqual([
      {
        url: bankUrl,
        caFingerprint: inspection.caFingerprint,
        mintKeyFingerprint: inspection.mintKeyFingerprint,
        brokerKeyFingerprint: inspection.brokerKeyFingerprint,
      },
    ]);
    expect(background.callsOf('bank.login')).toEqual([
      { url: bankUrl, username: 'alice', password: 'wonderland' },
    ]);
    expect(background.invalid).toEqual([]);
  });

  it('stays on the address with the reason when the bank cannot be reached', async () => {
    const background = fakeBackground({
      'wallet.overview': () => overview({ banks: [] }),
      'settings.get': () => settings,
      'bank.inspect': () => {
        throw refusal('bank_unreachable', 'The bank did not answer at this address.');
      },
    });
    const popup = renderPopup(background);
    await popup.until('add-bank');
    act(() => popup.current('add-bank').setUrl('http://127.0.0.1:9999'));
    act(() => popup.current('add-bank').inspect());
    await waitFor(() => expect(popup.current('add-bank').error?.code).toBe('bank_unreachable'));
    expect(popup.current('add-bank').busy).toBe(false);
    expect(background.callsOf('bank.inspect')).toEqual([{ url: 'http://127.0.0.1:9999' }]);
  });

  it('asks a logged-out user to log in, and lets them go on without', async () => {
    const background = fakeBackground({
      'wallet.overview': () => overview({ banks: [bankView(null)] }),
      'settings.get': () => settings,
    });
    const popup = renderPopup(background);
    await popup.until('login');
    act(() => popup.current('login').skip());
    expect(popup.current('ready').bank.account).toBeNull();
    act(() => popup.current('ready').logIn());
    expect(popup.hook.result.current.status).toBe('login');
  });

  it('shows a failure to load and recovers on retry', async () => {
    let fail = true;
    const background = fakeBackground({
      'wallet.overview': () => {
        if (fail) throw refusal('internal', 'The wallet is starting.');
        return overview();
      },
      'settings.get': () => settings,
    });
    const popup = renderPopup(background);
    await popup.until('failed');
    fail = false;
    act(() => popup.current('failed').retry());
    await popup.until('ready');
  });
});

describe('popup main view', () => {
  it('sums balances per instrument from integer minor units', async () => {
    const background = fakeBackground({
      'wallet.overview': () =>
        overview({
          balances: [
            { instrument: 'ecash', bankUrl, balance: eur(495), count: 12 },
            { instrument: 'ecash', bankUrl: 'http://127.0.0.1:8800', balance: eur(10), count: 1 },
            { instrument: 'payword', bankUrl, balance: eur(7), count: 1 },
          ],
        }),
      'settings.get': () => settings,
    });
    const popup = renderPopup(background);
    await popup.until('ready');
    expect(popup.current('ready').ecash).toEqual(eur(505));
    expect(popup.current('ready').payword).toEqual(eur(7));
    // No certificate has held anything yet: the popup says what the first one will hold.
    expect(popup.current('ready').paywordHolds).toEqual([]);
    expect(popup.current('ready').paywordCredit).toEqual(eur(500));
  });

  it('marks held PayWord credit as expired once its certificate has', async () => {
    const background = fakeBackground({
      'wallet.overview': () => overview(),
      'settings.get': () => settings,
    });
    const popup = renderPopup(background, Date.UTC(2027, 0, 3));
    await popup.until('ready');
    expect(popup.current('ready').paywordHolds.map((hold) => hold.expired)).toEqual([true]);
  });

  it('withdraws 5.00 as 500 minor units and follows the task to the end', async () => {
    let progress: TaskView = task({ status: 'reserved', progress: { done: 0, total: 10 } });
    let wallet = overview();
    const background = fakeBackground({
      'wallet.overview': () => wallet,
      'settings.get': () => settings,
      'withdraw.start': () => progress,
      'task.list': () => [progress],
    });
    const popup = renderPopup(background);
    await popup.until('ready');
    const start = popup.current('ready').withdraw;
    if (start.phase !== 'idle') throw new Error('expected idle');
    act(() => start.setAmount('5.00'));
    const idle = popup.current('ready').withdraw;
    if (idle.phase !== 'idle') throw new Error('expected idle');
    act(() => idle.submit());
    await waitFor(() => expect(popup.current('ready').withdraw.phase).toBe('running'));
    expect(background.callsOf('withdraw.start')).toEqual([
      { url: bankUrl, amount: { currency: 'EUR', minor: 500 } },
    ]);

    progress = task({ status: 'sent', progress: { done: 6, total: 10 } });
    await waitFor(() => {
      const withdraw = popup.current('ready').withdraw;
      expect(withdraw.phase === 'running' && withdraw.task.progress?.done).toBe(6);
    });

    wallet = overview({
      balances: [{ instrument: 'ecash', bankUrl, balance: eur(995), count: 22 }],
    });
    progress = task({ status: 'confirmed', progress: { done: 10, total: 10 } });
    await waitFor(() => expect(popup.current('ready').withdraw.phase).toBe('done'));
    await waitFor(() => expect(popup.current('ready').ecash.text).toBe('EUR 9.95'));
    expect(background.invalid).toEqual([]);
  });

  it('refuses an amount with more decimals than the currency has, without asking the wallet', async () => {
    const background = fakeBackground({
      'wallet.overview': () => overview(),
      'settings.get': () => settings,
    });
    const popup = renderPopup(background);
    await popup.until('ready');
    const setAmount = (text: string) => {
      const withdraw = popup.current('ready').withdraw;
      if (withdraw.phase === 'idle') withdraw.setAmount(text);
    };
    act(() => setAmount('5.001'));
    const idle = popup.current('ready').withdraw;
    if (idle.phase !== 'idle') throw new Error('expected idle');
    act(() => idle.submit());
    const after = popup.current('ready').withdraw;
    expect(after.phase === 'idle' && after.error?.message).toContain('not an amount in EUR');
    expect(background.callsOf('withdraw.start')).toHaveLength(0);
  });

  it('shows a withdrawal that was already running when the popup opened', async () => {
    const running = task({ id: 'task-9', status: 'sent', progress: { done: 3, total: 20 } });
    let latest: TaskView = running;
    const background = fakeBackground({
      'wallet.overview': () => overview({ tasks: [running] }),
      'settings.get': () => settings,
      'task.list': () => [latest],
    });
    const popup = renderPopup(background);
    await popup.until('ready');
    expect(popup.current('ready').withdraw.phase).toBe('running');
    latest = {
      ...running,
      status: 'failed',
      error: { code: 'bank_unreachable', message: 'The bank went away.' },
    };
    await waitFor(() => expect(popup.current('ready').withdraw.phase).toBe('failed'));
    const failed = popup.current('ready').withdraw;
    expect(failed.phase === 'failed' && failed.error.code).toBe('bank_unreachable');
  });

  it('saves the auto-pay limit in minor units', async () => {
    const background = fakeBackground({
      'wallet.overview': () => overview(),
      'settings.get': () => settings,
      'settings.update': (update) => ({
        ...settings,
        autoPayThreshold: eur(update.autoPayThreshold?.minor ?? 0),
      }),
    });
    const popup = renderPopup(background);
    await popup.until('ready');
    expect(popup.current('ready').threshold.value).toBe('0.50');
    act(() => popup.current('ready').threshold.setValue('0.20'));
    act(() => popup.current('ready').threshold.save());
    await waitFor(() => expect(popup.current('ready').threshold.saved).toBe(true));
    expect(popup.current('ready').threshold.value).toBe('0.20');
    expect(background.callsOf('settings.update')).toEqual([
      { autoPayThreshold: { currency: 'EUR', minor: 20 } },
    ]);
  });

  it('opens the settings and history pages', async () => {
    const background = fakeBackground({
      'wallet.overview': () => overview(),
      'settings.get': () => settings,
    });
    const popup = renderPopup(background);
    await popup.until('ready');
    popup.current('ready').openSettings();
    popup.current('ready').openHistory();
    expect(popup.platform.openPage).toHaveBeenNthCalledWith(1, 'settings');
    expect(popup.platform.openPage).toHaveBeenNthCalledWith(2, 'history');
  });
});
