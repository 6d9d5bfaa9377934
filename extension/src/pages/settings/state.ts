/**
 * The settings page: banks, limits, per-site budgets and blocking, encrypted backup, and the log
 * of what the wallet refused to pay.
 */
import { useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type {
  BankView,
  RefusalView,
  Settings,
  SiteView,
  WalletErrorJson,
} from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import { type Pending, useLoader } from '../../ui/load.ts';
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
  | Pending
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

interface Loaded {
  readonly banks: readonly BankView[];
  readonly settings: Settings;
  readonly sites: readonly SiteView[];
  readonly refusals: readonly RefusalView[];
}

export const refusalsShown = 50;

export function useSettingsState(platform: Platform): SettingsState {
  const { transport } = platform;
  const [bankBusy, setBankBusy] = useState<string | null>(null);
  const [bankError, setBankError] = useState<{ url: string; error: WalletErrorJson } | null>(null);

  const { loaded, reload, update } = useLoader(async (): Promise<Loaded> => {
    const [overview, settings, sites, refusals] = await Promise.all([
      callBackground(transport, 'wallet.overview', {}),
      callBackground(transport, 'settings.get', {}),
      callBackground(transport, 'site.list', {}),
      callBackground(transport, 'refusal.list', { limit: refusalsShown }),
    ]);
    return { banks: overview.banks, settings, sites, refusals };
  }, [transport]);

  const limitsOf = useLimitsForm(transport, (settings) =>
    update((current) => ({ ...current, settings })),
  );
  const siteRowsOf = useSiteRows(transport, (site) =>
    update((current) => ({
      ...current,
      sites: current.sites.map((known) => (known.origin === site.origin ? site : known)),
    })),
  );
  const backup = useBackupSection(platform, () => void reload());
  const cards = useCardsSection(platform, loaded.status === 'loaded' ? loaded.value.banks : []);

  if (loaded.status !== 'loaded') return loaded;
  const { banks, settings, sites, refusals } = loaded.value;
  return {
    status: 'ready',
    banks: banks.map((bank) => ({
      bank,
      busy: bankBusy === bank.url,
      error: bankError?.url === bank.url ? bankError.error : null,
      logOut: () => {
        setBankBusy(bank.url);
        setBankError(null);
        callBackground(transport, 'bank.logout', { url: bank.url })
          .then(
            (updated) =>
              update((current) => ({
                ...current,
                banks: current.banks.map((known) => (known.url === updated.url ? updated : known)),
              })),
            (failure: unknown) => setBankError({ url: bank.url, error: walletErrorOf(failure) }),
          )
          .finally(() => setBankBusy(null));
      },
    })),
    limits: limitsOf(settings),
    sites: siteRowsOf(sites, settings.defaultSiteBudget),
    backup,
    cards,
    refusals,
    openPopup: () => platform.openPage('popup'),
    openHistory: () => platform.openPage('history'),
  };
}
