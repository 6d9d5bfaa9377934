/**
 * Spending by site over time, laid out as data: one stacked bar per UTC day, one segment per
 * origin. The SVG view only draws what this computes, so the arithmetic is tested without a DOM.
 * Everything is integer minor units; only pixel positions are fractional.
 */
import type { SpendingPoint } from '../../messages/contract.ts';
import { formatMinor } from '../../ui/money.ts';
import { shortOrigin } from '../../ui/wording.ts';

export const dayMs = 86_400_000;
/** Sites beyond this many are drawn as one "Other sites" segment, to keep colours apart. */
export const maxSeries = 6;
export const otherSites = 'Other sites';

/** Colour-blind-safe (Okabe–Ito), each ≥ 3:1 against white. */
const palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
const otherColor = '#6B7280';

export interface ChartSeries {
  /** An origin, or `otherSites`. */
  readonly label: string;
  /** What people read: the site's name as the wallet knows it, else its host. */
  readonly name: string;
  readonly color: string;
  readonly totalMinor: number;
  readonly totalText: string;
}

export interface ChartSegment {
  readonly label: string;
  readonly color: string;
  readonly minor: number;
  /** Minor units below this segment in the day's stack. */
  readonly baseMinor: number;
}

export interface ChartDay {
  /** UTC day start, ms. */
  readonly day: number;
  readonly totalMinor: number;
  readonly segments: readonly ChartSegment[];
}

export interface SpendingChartModel {
  readonly currency: string;
  readonly days: readonly ChartDay[];
  readonly series: readonly ChartSeries[];
  /** The top of the axis: a round amount at or above the largest day. */
  readonly scaleMinor: number;
  readonly totalMinor: number;
}

export function utcDayStart(ms: number): number {
  return Math.floor(ms / dayMs) * dayMs;
}

export function layoutSpending(
  points: readonly SpendingPoint[],
  options: {
    readonly days: number;
    readonly now: number;
    readonly currency: string;
    /** Site names by origin (the payee names the wallet verified). */
    readonly names?: ReadonlyMap<string, string>;
  },
): SpendingChartModel {
  const lastDay = utcDayStart(options.now);
  const firstDay = lastDay - (options.days - 1) * dayMs;
  const inRange = points.filter(
    (point) =>
      point.day >= firstDay &&
      point.day <= lastDay &&
      Number.isSafeInteger(point.minor) &&
      point.minor > 0,
  );

  const totals = new Map<string, number>();
  for (const point of inRange)
    totals.set(point.origin, (totals.get(point.origin) ?? 0) + point.minor);
  const ranked = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = ranked.length > maxSeries ? ranked.slice(0, maxSeries - 1) : ranked;
  const labelOf = new Map(named.map(([origin]) => [origin, origin]));
  const series: ChartSeries[] = named.map(([origin, total], index) => ({
    label: origin,
    name: options.names?.get(origin) ?? shortOrigin(origin),
    color: palette[index % palette.length]!,
    totalMinor: total,
    totalText: formatMinor(options.currency, total),
  }));
  if (ranked.length > named.length) {
    const otherTotal = ranked.slice(named.length).reduce((sum, [, total]) => sum + total, 0);
    series.push({
      label: otherSites,
      name: otherSites,
      color: otherColor,
      totalMinor: otherTotal,
      totalText: formatMinor(options.currency, otherTotal),
    });
  }
  const colorOf = new Map(series.map((entry) => [entry.label, entry.color]));

  const days: ChartDay[] = [];
  let largest = 0;
  let totalMinor = 0;
  for (let day = firstDay; day <= lastDay; day += dayMs) {
    const byLabel = new Map<string, number>();
    for (const point of inRange) {
      if (utcDayStart(point.day) !== day) continue;
      const label = labelOf.get(point.origin) ?? otherSites;
      byLabel.set(label, (byLabel.get(label) ?? 0) + point.minor);
    }
    let base = 0;
    const segments: ChartSegment[] = [];
    for (const entry of series) {
      const minor = byLabel.get(entry.label);
      if (minor === undefined) continue;
      segments.push({
        label: entry.label,
        color: colorOf.get(entry.label)!,
        minor,
        baseMinor: base,
      });
      base += minor;
    }
    largest = Math.max(largest, base);
    totalMinor += base;
    days.push({ day, totalMinor: base, segments });
  }
  return { currency: options.currency, days, series, scaleMinor: niceCeiling(largest), totalMinor };
}

/** The smallest 1, 2 or 5 × 10^k at or above `value` (at least 1). */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  let magnitude = 1;
  while (magnitude * 10 < value) magnitude *= 10;
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}
