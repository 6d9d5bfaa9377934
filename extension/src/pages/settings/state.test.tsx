// @vitest-environment happy-dom
import { act, cleanup, render, renderHook, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Handlers } from '../../ui/testing/fake-background.ts';
import { fakeBackground, refusal } from '../../ui/testing/fake-background.ts';
import { bankView, eur, overview, settings, site } from '../../ui/testing/fixtures.ts';
import { type SettingsState, useSettingsState } from './state.ts';
import { SettingsView } from './views.tsx';

const gazette = 'http://127.0.0.1:8701';
const other = 'https://other.example';

function renderSettings(extra: Handlers = {}) {
  const background = fakeBackground({
    'wallet.overview': () => overview(),
    'settings.get': () => settings,
    'site.list': () => [site(gazette), site(other, { name: null, budget: eur(20) })],
    'refusal.list': () => [
      {
        id: 'x1',
        at: 1_700_000_000_000,
        origin: other,
        resource: '/a',
        error: { code: 'site_blocked', message: 'You blocked this site.' },
      },
    ],
    ...extra,
  });
  const platform = {
    transport: background.transport,
    openPage: vi.fn(),
    download: vi.fn(),
    closeWindow: vi.fn(),
  };
  const hook = renderHook(() => useSettingsState(platform));
  const ready = () => {
    const state = hook.result.current;
    if (state.status !== 'ready') throw new Error(`expected ready, got ${state.status}`);
    return state;
  };
  const loaded = () => waitFor(() => expect(hook.result.current.status).toBe('ready'));
  return { background, platform, hook, ready, loaded };
}

afterEach(cleanup);

describe('settings', () => {
  it('loads banks, limits, sites and the refusals log', async () => {
    const { hook, ready, loaded, background } = renderSettings();
    expect(hook.result.current.status).toBe('loading');
    await loaded();
    expect(ready().banks.map((row) => row.bank.account)).toEqual(['alice']);
    expect(ready().limits.values).toEqual({
      autoPayThreshold: '0.50',
      defaultSiteBudget: '1.00',
      dailyBudget: '5.00',
      paywordCredit: '5.00',
    });
    expect(ready().sites.map((row) => [row.site.origin, row.budgetText])).toEqual([
      [gazette, ''],
      [other, '0.20'],
    ]);
    expect(ready().refusals.map((refusal) => refusal.error.code)).toEqual(['site_blocked']);
    expect(background.callsOf('refusal.list')).toEqual([{ limit: 50 }]);
  });

  it('saves limits as minor units and refuses what is not an amount, per field', async () => {
    const { ready, loaded, background } = renderSettings({
      'settings.update': (update) => ({
        ...settings,
        dailyBudget: eur(update.dailyBudget?.minor ?? 0),
        confirmFirstPayment: update.confirmFirstPayment ?? true,
      }),
    });
    await loaded();
    act(() => ready().limits.set('dailyBudget', 'ten'));
    act(() => ready().limits.save());
    expect(ready().limits.fieldErrors.dailyBudget).toContain('not an amount');
    expect(background.callsOf('settings.update')).toEqual([]);

    act(() => {
      ready().limits.set('dailyBudget', '10');
      ready().limits.setConfirmFirstPayment(false);
    });
    act(() => ready().limits.save());
    await waitFor(() => expect(ready().limits.saved).toBe(true));
    expect(background.callsOf('settings.update')).toEqual([
      {
        autoPayThreshold: { currency: 'EUR', minor: 50 },
        defaultSiteBudget: { currency: 'EUR', minor: 100 },
        dailyBudget: { currency: 'EUR', minor: 1000 },
        paywordCredit: { currency: 'EUR', minor: 500 },
        confirmFirstPayment: false,
      },
    ]);
    expect(ready().limits.values.dailyBudget).toBe('10.00');
    expect(ready().limits.confirmFirstPayment).toBe(false);
  });

  it('sets a site budget, resets it to the default, and blocks the site', async () => {
    const { ready, loaded, background } = renderSettings({
      'site.update': (input) =>
        site(input.origin, {
          ...(input.budget === undefined
            ? {}
            : { budget: input.budget === null ? null : eur(input.budget.minor) }),
          ...(input.blocked === undefined ? {} : { blocked: input.blocked }),
        }),
    });
    await loaded();
    act(() => ready().sites[0]?.setBudgetText('0.30'));
    act(() => ready().sites[0]?.saveBudget());
    await waitFor(() => expect(ready().sites[0]?.site.budget).toEqual(eur(30)));
    act(() => ready().sites[1]?.setBudgetText(''));
    act(() => ready().sites[1]?.saveBudget());
    await waitFor(() => expect(ready().sites[1]?.site.budget).toBeNull());
    act(() => ready().sites[1]?.setBlocked(true));
    await waitFor(() => expect(ready().sites[1]?.site.blocked).toBe(true));
    expect(background.callsOf('site.update')).toEqual([
      { origin: gazette, budget: { currency: 'EUR', minor: 30 } },
      { origin: other, budget: null },
      { origin: other, blocked: true },
    ]);
    expect(background.invalid).toEqual([]);
  });

  it('logs out of a bank', async () => {
    const { ready, loaded, background } = renderSettings({ 'bank.logout': () => bankView(null) });
    await loaded();
    act(() => ready().banks[0]?.logOut());
    await waitFor(() => expect(ready().banks[0]?.bank.account).toBeNull());
    expect(background.callsOf('bank.logout')).toEqual([{ url: 'http://127.0.0.1:8700' }]);
  });

  it('exports a backup only under a passphrase typed twice, and downloads it', async () => {
    const { ready, loaded, background, platform } = renderSettings({
      'backup.export': () => ({ fileName: 'farthing-backup.json', text: '{"v":1}' }),
    });
    await loaded();
    act(() => {
      ready().backup.setExportPassphrase('short');
      ready().backup.setExportRepeat('short');
    });
    act(() => ready().backup.exportBackup());
    expect(ready().backup.exportError?.message).toContain('at least 8');
    act(() => {
      ready().backup.setExportPassphrase('correct horse');
      ready().backup.setExportRepeat('correct hose');
    });
    act(() => ready().backup.exportBackup());
    expect(ready().backup.exportError?.message).toBe('The two passphrases differ.');
    act(() => ready().backup.setExportRepeat('correct horse'));
    act(() => ready().backup.exportBackup());
    await waitFor(() => expect(ready().backup.exported).toBe('farthing-backup.json'));
    expect(background.callsOf('backup.export')).toEqual([{ passphrase: 'correct horse' }]);
    expect(platform.download).toHaveBeenCalledWith(
      'farthing-backup.json',
      '{"v":1}',
      'application/json',
    );
    expect(ready().backup.exportPassphrase).toBe('');
  });

  it('imports a backup file, and says so when the passphrase is wrong', async () => {
    let attempts = 0;
    const { ready, loaded, background } = renderSettings({
      'backup.import': () => {
        attempts++;
        if (attempts === 1)
          throw refusal('wrong_passphrase', 'This passphrase does not open the backup.');
        return { coins: 12, chains: 1 };
      },
    });
    await loaded();
    act(() => ready().backup.importBackup());
    expect(ready().backup.importError?.message).toBe('Choose a backup file first.');
    act(() => ready().backup.chooseFile('backup.json', '{"v":1}'));
    act(() => ready().backup.setImportPassphrase('nope'));
    act(() => ready().backup.importBackup());
    await waitFor(() => expect(ready().backup.importError?.code).toBe('wrong_passphrase'));
    act(() => ready().backup.setImportPassphrase('correct horse'));
    act(() => ready().backup.importBackup());
    await waitFor(() => expect(ready().backup.imported).toEqual({ coins: 12, chains: 1 }));
    expect(background.callsOf('backup.import')[1]).toEqual({
      text: '{"v":1}',
      passphrase: 'correct horse',
    });
    // the wallet reloads what the import changed
    await waitFor(() => expect(background.callsOf('wallet.overview')).toHaveLength(2));
  });

  it('renders one site-row per site with its origin', async () => {
    const { hook, loaded } = renderSettings();
    await loaded();
    const view = render(<SettingsView state={hook.result.current as SettingsState} />);
    const rows = view.getAllByTestId('site-row');
    expect(rows.map((row) => row.getAttribute('data-origin'))).toEqual([gazette, other]);
    expect(view.container.querySelector('#sites')).not.toBeNull();
  });

  it('lets the user choose the PayWord credit, above zero, and says what it is', async () => {
    const { hook, ready, loaded, background } = renderSettings({
      'settings.update': (update) => ({
        ...settings,
        paywordCredit: eur(update.paywordCredit?.minor ?? 500),
      }),
    });
    await loaded();
    act(() => ready().limits.set('paywordCredit', '0'));
    act(() => ready().limits.save());
    expect(ready().limits.fieldErrors.paywordCredit).toBe('Enter an amount above zero.');
    expect(background.callsOf('settings.update')).toEqual([]);
    act(() => ready().limits.set('paywordCredit', '2,50'));
    act(() => ready().limits.save());
    await waitFor(() => expect(ready().limits.saved).toBe(true));
    expect(background.callsOf('settings.update')[0]?.paywordCredit).toEqual({
      currency: 'EUR',
      minor: 250,
    });
    expect(ready().limits.values.paywordCredit).toBe('2.50');
    const view = render(<SettingsView state={hook.result.current as SettingsState} />);
    expect(view.getByLabelText('PayWord credit to set aside at your bank (EUR)')).toBeDefined();
    expect(view.getByTestId('payword-credit-help').textContent).toContain(
      'comes back to your account after the credit expires',
    );
    view.unmount();
  });

  it('shows the default budget’s amount for a site without its own, and the bank’s name', async () => {
    const { hook, loaded } = renderSettings();
    await loaded();
    const view = render(<SettingsView state={hook.result.current as SettingsState} />);
    const notes = view.getAllByTestId('site-budget-note').map((note) => note.textContent);
    expect(notes).toEqual([
      'Default: EUR 1.00',
      'Own budget; empty the field for the default, EUR 1.00',
    ]);
    const input = view.getByLabelText(`Daily budget for ${gazette}`) as HTMLInputElement;
    expect(input.placeholder).toBe('1.00');
    expect(view.container.textContent).not.toMatch(/\bDefault\b(?!: EUR)/);
    const bank = view.getByTestId('bank-row');
    expect(bank.querySelector('h3')?.textContent).toBe('Farthing Demo Bank');
    expect(bank.textContent).toContain('The key that signs its coins');
    expect(bank.querySelector('a')?.getAttribute('href')).toBe(
      'http://127.0.0.1:8700/fingerprints',
    );
    view.unmount();
  });
});
