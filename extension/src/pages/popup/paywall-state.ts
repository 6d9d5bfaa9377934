/**
 * The popup's offer to pay the paywall of the page the user is looking at (the toolbar half
 * of DESIGN.md's "pay it from the page or the toolbar"). The offer shown is the background's
 * verified description; paying reads the page's offer again and navigates the tab to it.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { ActivePaywall, PayOutcome, WalletErrorJson } from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import type { Platform } from '../../ui/platform.ts';

export type PaywallState =
  | { readonly status: 'none' }
  | {
      readonly status: 'offer';
      readonly paywall: ActivePaywall;
      pay(): void;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
    }
  | { readonly status: 'paid'; readonly outcome: Extract<PayOutcome, { status: 'paid' }> };

export function usePaywallState(platform: Platform): PaywallState {
  const { transport } = platform;
  const [paywall, setPaywall] = useState<ActivePaywall | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<WalletErrorJson | null>(null);
  const [paid, setPaid] = useState<Extract<PayOutcome, { status: 'paid' }> | null>(null);

  useEffect(() => {
    let active = true;
    callBackground(transport, 'tab.paywall', {}).then(
      (found) => {
        if (active) setPaywall(found);
      },
      () => undefined, // no paywall to offer; the rest of the popup says what is wrong
    );
    return () => {
      active = false;
    };
  }, [transport]);

  const pay = useCallback(() => {
    if (paywall === null || busy) return;
    setBusy(true);
    setError(null);
    callBackground(transport, 'tab.payPaywall', { tabId: paywall.tabId })
      .then((outcome) => {
        if (outcome.status === 'paid') setPaid(outcome);
        else setError(outcome.error);
      })
      .catch((failure: unknown) => setError(walletErrorOf(failure)))
      .finally(() => setBusy(false));
  }, [transport, paywall, busy]);

  if (paid !== null) return { status: 'paid', outcome: paid };
  if (paywall === null) return { status: 'none' };
  return { status: 'offer', paywall, pay, busy, error };
}
