/**
 * The user's limits, enforced here in the background (DESIGN.md "Priced link", step 3): a
 * blocked site, the per-site and daily budgets, the auto-pay threshold and the first payment
 * to a site. Pure: the caller reads the snapshot (inside the reserving transaction for the
 * final check, so two quick clicks cannot both fit under a budget only one of them fits).
 */
import type { ConfirmationReason } from '../../messages/contract.ts';
import type { JournalRecord, SettingsRecord, SiteRecord } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { amountView } from '../money.ts';

export interface LimitsSnapshot {
  readonly settings: SettingsRecord;
  readonly site: SiteRecord | undefined;
  /** Today's journal entries (all origins). */
  readonly today: readonly JournalRecord[];
  /** Whether this origin was paid before (a receipt exists). */
  readonly paidBefore: boolean;
}

export interface LimitsDecision {
  /** Left after this payment. */
  readonly siteBudgetLeft: number;
  readonly dailyBudgetLeft: number;
  readonly confirmation: ConfirmationReason | null;
}

/**
 * `presented`: whether the click showed the user saw the link and its price (presentation.ts);
 * a click that did not asks in the wallet's window. Describing an offer (no click) passes true.
 */
export function checkLimits(
  snapshot: LimitsSnapshot,
  origin: string,
  price: { readonly currency: string; readonly minor: number },
  presented = true,
): LimitsDecision {
  const { settings, site } = snapshot;
  if (site?.blocked === true) {
    throw new WalletFailure('site_blocked', `You blocked payments to ${origin}.`, {
      hint: 'settings#sites',
    });
  }
  if (price.currency !== settings.currency) {
    throw new WalletFailure(
      'instrument_unsupported',
      `This wallet pays in ${settings.currency}; the site asks for ${price.currency}.`,
    );
  }
  let siteSpent = 0;
  let daySpent = 0;
  for (const entry of snapshot.today) {
    if (entry.status === 'failed') continue;
    daySpent += entry.price.minor;
    if (entry.origin === origin) siteSpent += entry.price.minor;
  }
  const siteBudget = site?.budget?.minor ?? settings.defaultSiteBudget;
  const siteLeft = siteBudget - siteSpent - price.minor;
  const dayLeft = settings.dailyBudget - daySpent - price.minor;
  if (siteLeft < 0) {
    throw new WalletFailure(
      'over_site_budget',
      `This would go over your budget for ${origin} today (${amountView(settings.currency, Math.max(0, siteBudget - siteSpent)).text} left).`,
      { hint: 'settings#sites', detail: { left: Math.max(0, siteBudget - siteSpent) } },
    );
  }
  if (dayLeft < 0) {
    throw new WalletFailure(
      'over_daily_budget',
      `This would go over your daily budget (${amountView(settings.currency, Math.max(0, settings.dailyBudget - daySpent)).text} left).`,
      { hint: 'settings#limits', detail: { left: Math.max(0, settings.dailyBudget - daySpent) } },
    );
  }
  let confirmation: ConfirmationReason | null = null;
  if (price.minor > settings.autoPayThreshold) confirmation = 'above_threshold';
  else if (!presented) confirmation = 'unseen_click';
  else if (settings.confirmFirstPayment && !snapshot.paidBefore)
    confirmation = 'first_payment_to_site';
  return { siteBudgetLeft: siteLeft, dailyBudgetLeft: dayLeft, confirmation };
}
