/**
 * Figures that anyone can reproduce (issue 21): a figure the README or an issue's target
 * quotes is the median of at least three rounds measured in one run, reported with the range
 * of those rounds, never the best one.
 */
import type { Metric } from './targets.ts';

/** The least rounds a quoted figure is the median of. */
export const minRounds = 3;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no rounds');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `value` to `digits` significant digits (integers above that stay whole). */
function rounded(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 10 ** digits ? Math.round(value) : Number(value.toPrecision(digits));
}

/**
 * The rounds of one figure as a metric: their median, their range and how many there were.
 * Throws when there are fewer than `minRounds`, so no bench quotes a single run by mistake.
 */
export function roundsMetric(rounds: readonly number[], unit: string, digits = 4): Metric {
  if (rounds.length < minRounds) {
    throw new Error(`a quoted figure needs ${minRounds} rounds at least, got ${rounds.length}`);
  }
  return {
    value: rounded(median(rounds), digits),
    unit,
    min: rounded(Math.min(...rounds), digits),
    max: rounded(Math.max(...rounds), digits),
    rounds: rounds.map((round) => rounded(round, digits)),
  };
}

/** Round by round `top[i] / bottom[i]` (each pair measured side by side). */
export function ratios(top: readonly number[], bottom: readonly number[]): number[] {
  if (top.length !== bottom.length) throw new Error('ratios of rounds need as many of each');
  return top.map((value, i) => value / bottom[i]!);
}

/** Round by round `top[i] - bottom[i]`. */
export function differences(top: readonly number[], bottom: readonly number[]): number[] {
  if (top.length !== bottom.length) throw new Error('differences of rounds need as many of each');
  return top.map((value, i) => value - bottom[i]!);
}

/** "median (min–max, n rounds)", as the summary and the README table print a figure. */
export function formatMetric(metric: Metric): string {
  const number = (value: number) => value.toLocaleString('en', { maximumSignificantDigits: 4 });
  const main = `${number(metric.value)} ${metric.unit}`;
  if (metric.min === undefined || metric.max === undefined) return main;
  const count = metric.rounds?.length;
  return `${main} (${number(metric.min)}–${number(metric.max)}${count === undefined ? '' : `, ${count} rounds`})`;
}
