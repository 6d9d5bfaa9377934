/**
 * The settings page: banks, limits, per-site budgets and blocking, encrypted backup, and the log
 * of what the wallet refused to pay.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type {
  BankView,
  RefusalView,
  Settings,
  SiteView,
  WalletErrorJson,
} from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import type { Platform } from '../../ui/platform.ts';
import { type BackupSection, useBackupSection } from './backup-state.ts';
import { type CardsSection, useCardsSection } from './cards-state.ts';
import { type LimitsForm, useLimitsForm } from './limits-state.ts';
import { type SiteRow, useSiteRows } from './sites-state.ts';

export interface BankRow {
  readonly bank: BankView;
  logOut(): void;
  readonly busy: boolean;
  readonly error: WalletErrorJson | null;
}

export type SettingsState =
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly error: WalletErrorJson; retry(): void }
  | {
      readonly status: 'ready';
      readonly banks: readonly BankRow[];
      readonly limits: LimitsForm;
      readonly sites: readonly SiteRow[];
      readonly backup: BackupSection;
      readonly cards: CardsSection;
      readonly refusals: readonly RefusalView[];
      /** Add a bank or log in: the popup's onboarding does both. */
      openPopup(): void;
      openHistory(): void;
    };

type Loaded =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: WalletErrorJson }
  | {
      readonly kind: 'loaded';
      readonly banks: readonly BankView[];
      readonly settings: Settings;
      readonly sites: readonly SiteView[];
      readonly refusals: readonly RefusalView[];
    };

export const refusalsShown = 50;

export function useSettingsState(platform: Platform): SettingsState {
  const { transport } = platform;
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [bankBusy, setBankBusy] = useState<string | null>(null);
  const [bankError, setBankError] = useState<{ url: string; error: WalletErrorJson } | null>(null);

  const load = useCallback(async (): Promise<void> => {
    try {
      const [overview, settings, sites, refusals] = await Promise.all([
        callBackground(transport, 'wallet.overview', {}),
        callBackground(transport, 'settings.get', {}),
        callBackground(transport, 'site.list', {}),
        callBackground(transport, 'refusal.list', { limit: refusalsShown }),
      ]);
      setLoaded({ kind: 'loaded', banks: overview.banks, settings, sites, refusals });
    } catch (failure) {
      setLoaded({ kind: 'failed', error: walletErrorOf(failure) });
    }
  }, [transport]);

  useEffect(() => {
    void load();
  }, [load]);

  const limitsOf = useLimitsForm(transport, (settings) =>
    setLoaded((current) => (current.kind === 'loaded' ? { ...current, settings } : current)),
  );
  const siteRowsOf = useSiteRows(transport, (site) =>
    setLoaded((current) =>
      current.kind === 'loaded'
        ? {
            ...current,
            sites: current.sites.map((known) => (known.origin === site.origin ? site : known)),
          }
        : current,
    ),
  );
  const backup = useBackupSection(platform, () => void load());
  const cards = useCardsSection(platform, loaded.kind === 'loaded' ? loaded.banks : []);

  switch (loaded.kind) {
    case 'loading':
      return { status: 'loading' };
    case 'failed':
      return {
        status: 'failed',
        error: loaded.error,
        retry: () => {
          setLoaded({ kind: 'loading' });
          void load();
        },
      };
    case 'loaded':
      return {
        status: 'ready',
        banks: loaded.banks.map((bank) => ({
          bank,
          busy: bankBusy === bank.url,
          error: bankError?.url === bank.url ? bankError.error : null,
          logOut: () => {
            setBankBusy(bank.url);
            setBankError(null);
            callBackground(transport, 'bank.logout', { url: bank.url })
              .then(
                (updated) =>
                  setLoaded((current) =>
                    current.kind === 'loaded'
                      ? {
                          ...current,
                          banks: current.banks.map((known) =>
                            known.url === updated.url ? updated : known,
                          ),
                        }
                      : current,
                  ),
                (failure: unknown) =>
                  setBankError({ url: bank.url, error: walletErrorOf(failure) }),
              )
              .finally(() => setBankBusy(null));
          },
        })),
        limits: limitsOf(loaded.settings),
        sites: siteRowsOf(loaded.sites, loaded.settings.defaultSiteBudget),
        backup,
        cards,
        refusals: loaded.refusals,
        openPopup: () => platform.openPage('popup'),
        openHistory: () => platform.openPage('history'),
      };
  }
}
