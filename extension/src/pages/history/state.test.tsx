// @vitest-environment happy-dom
import { act, render, renderHook, waitFor } from '@testing-library/preact';
import { describe, expect, it, vi } from 'vitest';
import type { ReceiptView } from '../../messages/contract.ts';
import type { Platform } from '../../ui/platform.ts';
import { type FakeBackground, fakeBackground, refusal } from '../../ui/testing/fake-background.ts';
import { receipt, settings, site } from '../../ui/testing/fixtures.ts';
import { dayMs } from './spending-chart.ts';
import { type HistoryState, pageSize, useHistoryState } from './state.ts';
import { HistoryView } from './views.tsx';

const now = Date.UTC(2025, 2, 10, 12);
const today = Date.UTC(2025, 2, 10);

function platformOf(background: FakeBackground): Platform {
  return {
    transport: background.transport,
    openPage: vi.fn(),
    download: vi.fn(),
    closeWindow: vi.fn(),
  };
}

function renderHistory(background: FakeBackground) {
  const platform = platformOf(background);
  const hook = renderHook(() => useHistoryState(platform, { now: () => now }));
  const ready = () => {
    const state = hook.result.current;
    if (state.status !== 'ready') throw new Error(`expected ready, got ${state.status}`);
    return state;
  };
  return { hook, ready };
}

const receipts = (count: number, from: number): ReceiptView[] =>
  Array.from({ length: count }, (_, i) => receipt(`r${from + i}`, 5, now - (from + i) * 60_000));

describe('history', () => {
  it('loads receipts and the spending chart for 30 days, then another range', async () => {
    const background = fakeBackground({
      'history.list': () => receipts(3, 0),
      'history.spending': ({ days }) => [
        { day: today, origin: 'http://127.0.0.1:8701', minor: 15 },
        { day: today - (days - 1) * dayMs, origin: 'https://b.example', minor: 7 },
      ],
      'settings.get': () => settings,
    });
    const { hook, ready } = renderHistory(background);
    expect(hook.result.current.status).toBe('loading');
    await waitFor(() => expect(hook.result.current.status).toBe('ready'));
    expect(ready().receipts).toHaveLength(3);
    expect(ready().chart.days).toHaveLength(30);
    expect(ready().chart.totalMinor).toBe(22);
    expect(ready().loadMore).toBeNull();

    act(() => ready().setDays(7));
    await waitFor(() => expect(ready().chart.days).toHaveLength(7));
    expect(background.callsOf('history.spending')).toEqual([{ days: 30 }, { days: 7 }]);
    expect(background.invalid).toEqual([]);
  });

  it('pages through older receipts before the oldest shown', async () => {
    const background = fakeBackground({
      'history.list': ({ before }) =>
        before === undefined ? receipts(pageSize, 0) : receipts(2, pageSize),
      'history.spending': () => [],
      'settings.get': () => settings,
    });
    const { hook, ready } = renderHistory(background);
    await waitFor(() => expect(hook.result.current.status).toBe('ready'));
    const oldest = ready().receipts.at(-1)!;
    act(() => ready().loadMore?.());
    await waitFor(() => expect(ready().receipts).toHaveLength(pageSize + 2));
    expect(background.callsOf('history.list')[1]).toEqual({
      limit: pageSize,
      before: oldest.paidAt,
    });
    expect(ready().loadMore).toBeNull();
  });

  it('says so when there is nothing yet', async () => {
    const background = fakeBackground({
      'history.list': () => [],
      'history.spending': () => [],
      'settings.get': () => settings,
    });
    const { hook } = renderHistory(background);
    await waitFor(() => expect(hook.result.current.status).toBe('empty'));
  });

  it('shows a failure and retries', async () => {
    let fail = true;
    const background = fakeBackground({
      'history.list': () => {
        if (fail) throw refusal('internal', 'The wallet is busy.');
        return receipts(1, 0);
      },
      'history.spending': () => [],
      'settings.get': () => settings,
    });
    const { hook } = renderHistory(background);
    await waitFor(() => expect(hook.result.current.status).toBe('failed'));
    fail = false;
    act(() => (hook.result.current as Extract<HistoryState, { status: 'failed' }>).retry());
    await waitFor(() => expect(hook.result.current.status).toBe('ready'));
  });
});

describe('history view', () => {
  it('draws stacked bars with labels and lists the receipts', async () => {
    const background = fakeBackground({
      'history.list': () => receipts(2, 0),
      'history.spending': () => [
        { day: today, origin: 'http://127.0.0.1:8701', minor: 15 },
        { day: today, origin: 'https://b.example', minor: 5 },
      ],
      'settings.get': () => settings,
      'site.list': () => [
        site('https://b.example', { name: 'B Weekly' }),
        site('https://c.example', { name: null }),
      ],
    });
    const { hook, ready } = renderHistory(background);
    await waitFor(() => expect(hook.result.current.status).toBe('ready'));
    const view = render(<HistoryView state={ready()} />);
    const chart = view.getByTestId('history-chart');
    expect(chart.querySelector('svg')?.getAttribute('role')).toBe('img');
    expect(chart.querySelector('desc')?.textContent).toContain('EUR 0.20 spent');
    const titles = [...chart.querySelectorAll('rect > title')].map((title) => title.textContent);
    // Sites by name: the site's own (kept by the wallet), else the payee on its receipts.
    expect(titles).toEqual(['10 Mar: The Farthing Gazette EUR 0.15', '10 Mar: B Weekly EUR 0.05']);
    const legend = [...chart.querySelectorAll('.legend li')];
    expect(legend.map((item) => item.textContent)).toEqual([
      'The Farthing GazetteEUR 0.15',
      'B WeeklyEUR 0.05',
    ]);
    expect(legend[0]?.querySelector('[title]')?.getAttribute('title')).toBe(
      'http://127.0.0.1:8701',
    );
    expect(
      view.getByTestId('history-list').querySelectorAll('[data-testid="receipt-item"]'),
    ).toHaveLength(2);
  });
});
