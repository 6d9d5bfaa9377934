/** The history page: receipts, newest first, paged; and spending by site over a chosen range. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { ReceiptView, SiteView, WalletErrorJson } from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import type { Platform } from '../../ui/platform.ts';
import { layoutSpending, type SpendingChartModel } from './spending-chart.ts';

export const rangeChoices = [7, 30, 90] as const;
export type RangeDays = (typeof rangeChoices)[number];
export const pageSize = 50;

export type HistoryState =
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly error: WalletErrorJson; retry(): void }
  | { readonly status: 'empty' }
  | {
      readonly status: 'ready';
      readonly receipts: readonly ReceiptView[];
      readonly chart: SpendingChartModel;
      readonly days: RangeDays;
      setDays(days: RangeDays): void;
      /** Null when every receipt is shown. */
      readonly loadMore: (() => void) | null;
      readonly loadingMore: boolean;
      readonly error: WalletErrorJson | null;
      openSettings(): void;
      /** "Prove this payment" (e-cash): saves the mint's signed statement and a readable page. */
      prove(receiptId: string): void;
      /** The receipt whose proof is being made, if any. */
      readonly proving: string | null;
    };

type Loaded =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: WalletErrorJson }
  | {
      readonly kind: 'loaded';
      readonly receipts: readonly ReceiptView[];
      readonly complete: boolean;
      readonly chart: SpendingChartModel;
    };

/** Each site's name: the one the wallet keeps for the site, else the payee on its receipts. */
export function siteNames(
  sites: readonly SiteView[],
  receipts: readonly ReceiptView[],
): Map<string, string> {
  const names = new Map<string, string>();
  for (const receipt of receipts) {
    if (!names.has(receipt.origin)) names.set(receipt.origin, receipt.merchantName);
  }
  for (const site of sites) if (site.name !== null) names.set(site.origin, site.name);
  return names;
}

export function useHistoryState(
  platform: Platform,
  options: { readonly now?: () => number } = {},
): HistoryState {
  const { transport } = platform;
  // Read once: a new function on every render would reload the page in a loop.
  const now = useRef(options.now ?? Date.now).current;
  const [days, setDays] = useState<RangeDays>(30);
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<WalletErrorJson | null>(null);
  const [proving, setProving] = useState<string | null>(null);

  const load = useCallback(async (): Promise<void> => {
    try {
      const [receipts, points, settings, sites] = await Promise.all([
        callBackground(transport, 'history.list', { limit: pageSize }),
        callBackground(transport, 'history.spending', { days }),
        // SpendingPoint carries no currency: the chart is in the wallet's currency.
        callBackground(transport, 'settings.get', {}),
        // Only for the legend's names: without them the chart names sites by host.
        callBackground(transport, 'site.list', {}).catch((): readonly SiteView[] => []),
      ]);
      setLoaded({
        kind: 'loaded',
        receipts,
        complete: receipts.length < pageSize,
        chart: layoutSpending(points, {
          days,
          now: now(),
          currency: settings.currency,
          names: siteNames(sites, receipts),
        }),
      });
    } catch (failure) {
      setLoaded({ kind: 'failed', error: walletErrorOf(failure) });
    }
  }, [transport, days, now]);

  useEffect(() => {
    void load();
  }, [load]);

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
    case 'loaded': {
      if (loaded.receipts.length === 0 && loaded.chart.totalMinor === 0) return { status: 'empty' };
      const last = loaded.receipts.at(-1);
      const more = async (): Promise<void> => {
        if (last === undefined) return;
        setLoadingMore(true);
        setError(null);
        try {
          const older = await callBackground(transport, 'history.list', {
            limit: pageSize,
            before: last.paidAt,
          });
          const known = new Set(loaded.receipts.map((receipt) => receipt.receiptId));
          setLoaded({
            ...loaded,
            receipts: [...loaded.receipts, ...older.filter((r) => !known.has(r.receiptId))],
            complete: older.length < pageSize,
          });
        } catch (failure) {
          setError(walletErrorOf(failure));
        } finally {
          setLoadingMore(false);
        }
      };
      return {
        status: 'ready',
        receipts: loaded.receipts,
        chart: loaded.chart,
        days,
        setDays,
        loadMore: loaded.complete ? null : () => void more(),
        loadingMore,
        error,
        openSettings: () => platform.openPage('settings'),
        proving,
        prove: (receiptId) => {
          setProving(receiptId);
          setError(null);
          callBackground(transport, 'payment.prove', { receiptId })
            .then(
              (files) => {
                platform.download(files.fileName, files.text, 'application/json');
                platform.download(files.pageName, files.page, 'text/html');
              },
              (failure: unknown) => setError(walletErrorOf(failure)),
            )
            .finally(() => setProving(null));
        },
      };
    }
  }
}
