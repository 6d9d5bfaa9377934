/** Per-site budgets and blocking, one row per site the wallet has seen. */
import { useState } from 'preact/hooks';
import { callBackground, type Transport } from '../../messages/client.ts';
import type { AmountView, SiteView } from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import { majorUnitsText, parseMajorUnits } from '../../ui/money.ts';

export interface SiteRow {
  readonly site: SiteView;
  /** Empty: the default site budget applies. */
  readonly budgetText: string;
  /** The budget that applies when the site has none of its own. */
  readonly defaultBudget: AmountView;
  setBudgetText(text: string): void;
  saveBudget(): void;
  setBlocked(blocked: boolean): void;
  readonly busy: boolean;
  readonly error: string | null;
}

/** The rows' state; applied to the sites once they have loaded (hooks cannot wait). */
export function useSiteRows(
  transport: Transport,
  onUpdated: (site: SiteView) => void,
): (sites: readonly SiteView[], defaultBudget: AmountView) => SiteRow[] {
  const [drafts, setDrafts] = useState<Readonly<Record<string, string>>>({});
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});

  const update = (
    origin: string,
    change: { budget?: { currency: string; minor: number } | null; blocked?: boolean },
  ): void => {
    setBusy((current) => new Set(current).add(origin));
    setErrors(({ [origin]: _, ...rest }) => rest);
    callBackground(transport, 'site.update', { origin, ...change })
      .then(
        (site) => {
          setDrafts(({ [origin]: _, ...rest }) => rest);
          onUpdated(site);
        },
        (failure: unknown) =>
          setErrors((current) => ({ ...current, [origin]: walletErrorOf(failure).message })),
      )
      .finally(() =>
        setBusy((current) => {
          const next = new Set(current);
          next.delete(origin);
          return next;
        }),
      );
  };

  return (sites, defaultBudget) =>
    sites.map((site) => {
      const { currency } = defaultBudget;
      const budgetText =
        drafts[site.origin] ?? (site.budget === null ? '' : majorUnitsText(site.budget));
      return {
        site,
        budgetText,
        defaultBudget,
        busy: busy.has(site.origin),
        error: errors[site.origin] ?? null,
        setBudgetText: (text) => setDrafts((current) => ({ ...current, [site.origin]: text })),
        setBlocked: (blocked) => update(site.origin, { blocked }),
        saveBudget: () => {
          if (budgetText.trim() === '') {
            update(site.origin, { budget: null });
            return;
          }
          const parsed = parseMajorUnits(budgetText, currency, { allowZero: true });
          if (!parsed.ok) {
            setErrors((current) => ({ ...current, [site.origin]: parsed.message }));
            return;
          }
          update(site.origin, { budget: parsed.amount });
        },
      };
    });
}
