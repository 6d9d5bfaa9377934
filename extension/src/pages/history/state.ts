/** The history page: receipts, newest first, paged; and spending by site over a chosen range. */
import { useRef, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { ReceiptView, SiteView, WalletErrorJson } from '../../messages/contract.ts';
import { type Pending, useLoader } from '../../ui/load.ts';
import type { Platform } from '../../ui/platform.ts';
import { downloadProof } from '../../ui/proof.ts';
import { useTask } from '../../ui/task.ts';
import { layoutSpending, type SpendingChartModel } from './spending-chart.ts';

export const rangeChoices = [7, 30, 90] as const;
export type RangeDays = (typeof rangeChoices)[number];
export const pageSize = 50;

export type HistoryState =
  | Pending
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

interface Page {
  readonly receipts: readonly ReceiptView[];
  readonly complete: boolean;
  readonly chart: SpendingChartModel;
}

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
  const more = useTask();
  const proof = useTask<string>();

  const { loaded, update } = useLoader(async (): Promise<Page> => {
    const [receipts, points, settings, sites] = await Promise.all([
      callBackground(transport, 'history.list', { limit: pageSize }),
      callBackground(transport, 'history.spending', { days }),
      // SpendingPoint carries no currency: the chart is in the wallet's currency.
      callBackground(transport, 'settings.get', {}),
      // Only for the legend's names: without them the chart names sites by host.
      callBackground(transport, 'site.list', {}).catch((): readonly SiteView[] => []),
    ]);
    return {
      receipts,
      complete: receipts.length < pageSize,
      chart: layoutSpending(points, {
        days,
        now: now(),
        currency: settings.currency,
        names: siteNames(sites, receipts),
      }),
    };
  }, [transport, days, now]);

  if (loaded.status !== 'loaded') return loaded;
  const page = loaded.value;
  if (page.receipts.length === 0 && page.chart.totalMinor === 0) return { status: 'empty' };
  const last = page.receipts.at(-1);
  const loadMore = async (): Promise<void> => {
    if (last === undefined) return;
    proof.clearError();
    const older = await callBackground(transport, 'history.list', {
      limit: pageSize,
      before: last.paidAt,
    });
    update((current) => {
      const known = new Set(current.receipts.map((receipt) => receipt.receiptId));
      return {
        ...current,
        receipts: [...current.receipts, ...older.filter((r) => !known.has(r.receiptId))],
        complete: older.length < pageSize,
      };
    });
  };
  return {
    status: 'ready',
    receipts: page.receipts,
    chart: page.chart,
    days,
    setDays,
    loadMore: page.complete ? null : () => more.run(true, loadMore),
    loadingMore: more.busy !== null,
    error: more.error ?? proof.error,
    openSettings: () => platform.openPage('settings'),
    proving: proof.busy,
    prove: (receiptId) => {
      more.clearError();
      proof.run(receiptId, () => downloadProof(platform, receiptId));
    },
  };
}
