// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/preact';
import { describe, expect, it, vi } from 'vitest';
import type { ActivePaywall } from '../../messages/contract.ts';
import type { Platform } from '../../ui/platform.ts';
import { type FakeBackground, fakeBackground, refusal } from '../../ui/testing/fake-background.ts';
import { eur, payableOffer } from '../../ui/testing/fixtures.ts';
import { usePaywallState } from './paywall-state.ts';

const paywall: ActivePaywall = {
  tabId: 7,
  pageUrl: 'http://127.0.0.1:8701/articles/tide-tables',
  offer: payableOffer,
};

function render(background: FakeBackground) {
  const platform: Platform = {
    transport: background.transport,
    openPage: vi.fn(),
    download: vi.fn(),
    closeWindow: vi.fn(),
  };
  return renderHook(() => usePaywallState(platform));
}

describe('the popup’s paywall offer', () => {
  it('offers nothing when the active tab shows no paywall', async () => {
    const background = fakeBackground({ 'tab.paywall': () => null });
    const hook = render(background);
    await waitFor(() => expect(background.callsOf('tab.paywall')).toHaveLength(1));
    expect(hook.result.current.status).toBe('none');
  });

  it('pays the tab’s paywall by its tab id and reports the payment', async () => {
    const background = fakeBackground({
      'tab.paywall': () => paywall,
      'tab.payPaywall': () => ({
        status: 'paid',
        receiptId: 'r1',
        price: eur(5),
        instrument: 'payword',
        resource: '/articles/tide-tables',
        navigateTo: paywall.pageUrl,
        owned: false,
      }),
    });
    const hook = render(background);
    await waitFor(() => expect(hook.result.current.status).toBe('offer'));
    act(() => {
      const state = hook.result.current;
      if (state.status === 'offer') state.pay();
    });
    await waitFor(() => expect(hook.result.current.status).toBe('paid'));
    expect(background.callsOf('tab.payPaywall')).toEqual([{ tabId: 7 }]);
    expect(background.invalid).toEqual([]);
  });

  it('keeps the offer and shows why when the wallet refuses', async () => {
    const background = fakeBackground({
      'tab.paywall': () => paywall,
      'tab.payPaywall': () => {
        throw refusal(
          'over_site_budget',
          'This site’s budget for today is spent.',
          'settings#sites',
        );
      },
    });
    const hook = render(background);
    await waitFor(() => expect(hook.result.current.status).toBe('offer'));
    act(() => {
      const state = hook.result.current;
      if (state.status === 'offer') state.pay();
    });
    await waitFor(() => {
      const state = hook.result.current;
      expect(state.status === 'offer' ? state.error?.code : undefined).toBe('over_site_budget');
    });
  });
});
