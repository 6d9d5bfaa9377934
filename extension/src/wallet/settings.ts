/**
 * The user's limits and the sites they paid: settings (one record, validated on every read
 * since it may have been written by an older version), per-site budgets and blocking.
 */
import * as v from 'valibot';
import type { AmountInput, Settings, SiteView } from '../messages/contract.ts';
import type { WalletContext } from './context.ts';
import type { SettingsRecord, SiteRecord, WalletDatabase } from './db/schema.ts';
import { WalletFailure } from './errors.ts';
import { amountView, dayOf, type Money } from './money.ts';

export const defaultSettings: SettingsRecord = {
  id: 'settings',
  currency: 'EUR',
  autoPayThreshold: 20,
  defaultSiteBudget: 100,
  dailyBudget: 500,
  confirmFirstPayment: true,
  // Why these times: README "Auto-pay only what you saw". The browser's occlusion check reports
  // at most every 100 ms, so 800 ms is several reports of a link that has been on screen, not
  // one slid under the pointer; 400 ms of the wallet's own tooltip is time to notice a price
  // (a fixation is ~250 ms) and shorter than most hovers before a deliberate click. A quicker
  // click is not refused: it is asked about in the wallet's window.
  seenVisibleMs: 800,
  seenShownMs: 400,
  paywordCredit: 500,
};

/**
 * What the PayWord credit may be set to, in minor units: at least the largest price PayWord
 * pays (`paywordMaxPrice` in instruments/payword/chains.ts), so one certificate covers any PayWord click; at
 * most what the bank's broker extends (EUR 1,000.00, bank/src/broker/certificates.ts).
 */
export const paywordCreditBounds = { min: 10, max: 100_000 } as const;

const minor = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** Every field optional: a record from an older version gets today's defaults for the rest. */
const storedSettingsSchema = v.object({
  currency: v.optional(v.pipe(v.string(), v.regex(/^[A-Z]{3}$/))),
  autoPayThreshold: v.optional(minor),
  defaultSiteBudget: v.optional(minor),
  dailyBudget: v.optional(minor),
  confirmFirstPayment: v.optional(v.boolean()),
  seenVisibleMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  seenShownMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  paywordCredit: v.optional(
    v.pipe(minor, v.minValue(paywordCreditBounds.min), v.maxValue(paywordCreditBounds.max)),
  ),
});

export function readSettingsRecord(stored: unknown): SettingsRecord {
  const parsed = v.safeParse(storedSettingsSchema, stored);
  if (!parsed.success) return defaultSettings;
  const out = parsed.output;
  return {
    id: 'settings',
    currency: out.currency ?? defaultSettings.currency,
    autoPayThreshold: out.autoPayThreshold ?? defaultSettings.autoPayThreshold,
    defaultSiteBudget: out.defaultSiteBudget ?? defaultSettings.defaultSiteBudget,
    dailyBudget: out.dailyBudget ?? defaultSettings.dailyBudget,
    confirmFirstPayment: out.confirmFirstPayment ?? defaultSettings.confirmFirstPayment,
    seenVisibleMs: out.seenVisibleMs ?? defaultSettings.seenVisibleMs,
    seenShownMs: out.seenShownMs ?? defaultSettings.seenShownMs,
    paywordCredit: out.paywordCredit ?? defaultSettings.paywordCredit,
  };
}

export async function loadSettings(db: WalletDatabase): Promise<SettingsRecord> {
  return readSettingsRecord(await db.get('settings', 'settings'));
}

export function settingsView(record: SettingsRecord): Settings {
  return {
    currency: record.currency,
    autoPayThreshold: amountView(record.currency, record.autoPayThreshold),
    defaultSiteBudget: amountView(record.currency, record.defaultSiteBudget),
    dailyBudget: amountView(record.currency, record.dailyBudget),
    confirmFirstPayment: record.confirmFirstPayment,
    seenVisibleMs: record.seenVisibleMs,
    seenShownMs: record.seenShownMs,
    paywordCredit: amountView(record.currency, record.paywordCredit),
  };
}

function inCurrency(record: SettingsRecord, value: AmountInput, field: string): number {
  if (value.currency !== record.currency) {
    throw new WalletFailure('invalid_message', `Give the ${field} in ${record.currency}.`, {
      detail: { field },
    });
  }
  return value.minor;
}

function paywordCreditOf(record: SettingsRecord, value: AmountInput): number {
  const credit = inCurrency(record, value, 'paywordCredit');
  const { min, max } = paywordCreditBounds;
  if (credit < min || credit > max) {
    throw new WalletFailure(
      'invalid_message',
      `Choose a PayWord credit from ${amountView(record.currency, min).text} to ${amountView(record.currency, max).text}.`,
      { detail: { field: 'paywordCredit', min, max } },
    );
  }
  return credit;
}

export interface SettingsUpdate {
  readonly autoPayThreshold?: AmountInput | undefined;
  readonly defaultSiteBudget?: AmountInput | undefined;
  readonly dailyBudget?: AmountInput | undefined;
  readonly confirmFirstPayment?: boolean | undefined;
  readonly seenVisibleMs?: number | undefined;
  readonly seenShownMs?: number | undefined;
  readonly paywordCredit?: AmountInput | undefined;
}

let limitsChanged = 0;

/**
 * Moves on each time the settings or a site's budget or block change, before and after the
 * write: limits read while it stays the same are still the user's (words prepared for a
 * hovered link are paid on them only then: ./instruments/payword/prepared.ts).
 */
export function limitsVersion(): number {
  return limitsChanged;
}

/** Called before and after a write that changes limits (the settings, a site, a backup). */
export function noteLimitsChanged(): void {
  limitsChanged++;
}

export async function updateSettings(
  ctx: WalletContext,
  update: SettingsUpdate,
): Promise<Settings> {
  const tx = ctx.db.transaction('settings', 'readwrite', { durability: 'strict' });
  const record = readSettingsRecord(await tx.store.get('settings'));
  const next: SettingsRecord = {
    ...record,
    ...(update.autoPayThreshold === undefined
      ? {}
      : { autoPayThreshold: inCurrency(record, update.autoPayThreshold, 'autoPayThreshold') }),
    ...(update.defaultSiteBudget === undefined
      ? {}
      : { defaultSiteBudget: inCurrency(record, update.defaultSiteBudget, 'defaultSiteBudget') }),
    ...(update.dailyBudget === undefined
      ? {}
      : { dailyBudget: inCurrency(record, update.dailyBudget, 'dailyBudget') }),
    ...(update.confirmFirstPayment === undefined
      ? {}
      : { confirmFirstPayment: update.confirmFirstPayment }),
    ...(update.seenVisibleMs === undefined ? {} : { seenVisibleMs: update.seenVisibleMs }),
    ...(update.seenShownMs === undefined ? {} : { seenShownMs: update.seenShownMs }),
    ...(update.paywordCredit === undefined
      ? {}
      : { paywordCredit: paywordCreditOf(record, update.paywordCredit) }),
  };
  noteLimitsChanged();
  await tx.store.put(next);
  await tx.done;
  noteLimitsChanged();
  return settingsView(next);
}

/** Spent per origin and in total on the day of `now`, counting reserved and confirmed spends. */
export async function spentToday(
  db: WalletDatabase,
  now: number,
): Promise<{ total: number; byOrigin: Map<string, number> }> {
  const entries = await db.getAllFromIndex('journal', 'day', dayOf(now));
  const byOrigin = new Map<string, number>();
  let total = 0;
  for (const entry of entries) {
    if (entry.status === 'failed') continue;
    total += entry.price.minor;
    byOrigin.set(entry.origin, (byOrigin.get(entry.origin) ?? 0) + entry.price.minor);
  }
  return { total, byOrigin };
}

export function siteView(
  settings: SettingsRecord,
  origin: string,
  site: SiteRecord | undefined,
  spent: number,
): SiteView {
  return {
    origin,
    name: site?.name ?? null,
    budget: site?.budget == null ? null : amountView(site.budget.currency, site.budget.minor),
    spentToday: amountView(settings.currency, spent),
    blocked: site?.blocked ?? false,
    lastPaidAt: site?.lastPaidAt ?? null,
  };
}

export async function listSites(ctx: WalletContext): Promise<SiteView[]> {
  const settings = await loadSettings(ctx.db);
  const sites = await ctx.db.getAll('sites');
  const { byOrigin } = await spentToday(ctx.db, ctx.platform.now());
  const origins = new Set([...sites.map((site) => site.origin), ...byOrigin.keys()]);
  const byKey = new Map(sites.map((site) => [site.origin, site]));
  return [...origins]
    .sort()
    .map((origin) => siteView(settings, origin, byKey.get(origin), byOrigin.get(origin) ?? 0));
}

export interface SiteUpdate {
  readonly origin: string;
  readonly budget?: AmountInput | null | undefined;
  readonly blocked?: boolean | undefined;
}

export async function updateSite(ctx: WalletContext, update: SiteUpdate): Promise<SiteView> {
  const origin = new URL(update.origin).origin;
  const settings = await loadSettings(ctx.db);
  const budget: Money | null | undefined =
    update.budget === undefined || update.budget === null
      ? update.budget
      : { currency: settings.currency, minor: inCurrency(settings, update.budget, 'budget') };
  const tx = ctx.db.transaction('sites', 'readwrite', { durability: 'strict' });
  const site: SiteRecord = (await tx.store.get(origin)) ?? {
    origin,
    name: null,
    budget: null,
    blocked: false,
    lastPaidAt: null,
  };
  const next: SiteRecord = {
    ...site,
    ...(budget === undefined ? {} : { budget }),
    ...(update.blocked === undefined ? {} : { blocked: update.blocked }),
  };
  noteLimitsChanged();
  await tx.store.put(next);
  await tx.done;
  noteLimitsChanged();
  const { byOrigin } = await spentToday(ctx.db, ctx.platform.now());
  return siteView(settings, origin, next, byOrigin.get(origin) ?? 0);
}
