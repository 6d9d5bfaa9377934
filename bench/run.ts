/**
 * `npm run bench`: runs every `bench/*.bench.ts` (optionally only those whose name contains
 * one of the arguments), writes `bench/results.json` as
 * `{ "<metric>": { "value": n, "unit": "…" } }` and prints a summary with the targets the
 * issues set. Each bench module measures its figure and its comparison in the same run, since
 * this machine is noisy and only ratios within one run mean much. Every run first measures the
 * machine's speed with the reference implementation (machine.ts); quoted figures are medians of
 * rounds with their range (stats.ts). `npm run bench -- --readme` prints the README's table
 * from the last run's results instead of running anything (readme.ts).
 */
import { readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineSpeed } from './machine.ts';
import { readmeTable } from './readme.ts';
import { formatMetric } from './stats.ts';
import { type Metrics, targets, verdictOf } from './targets.ts';

export type { Metric, Metrics } from './targets.ts';

/** Ratios between a figure and the comparison measured beside it. */
const ratios: readonly { name: string; numerator: string; denominator: string }[] = [
  {
    name: 'protocol.blind_rsa.wallet_speedup_vs_reference',
    numerator: 'protocol.blind_rsa.reference_ms_per_coin',
    denominator: 'protocol.blind_rsa.wallet_ms_per_coin',
  },
  {
    name: 'protocol.blind_rsa.sign_speedup_vs_reference',
    numerator: 'protocol.blind_rsa.sign_per_s',
    denominator: 'protocol.blind_rsa.reference_sign_per_s',
  },
  // Issue 19: a PostgreSQL-backed bank process should reach half the SQLite bank's rate.
  {
    name: 'bank.pg.deposit_vs_sqlite',
    numerator: 'bank.pg.deposit_coins_per_s',
    denominator: 'bank.pg.sqlite_deposit_coins_per_s',
  },
];

const here = dirname(fileURLToPath(import.meta.url));

async function main(filters: readonly string[]): Promise<void> {
  const files = (await readdir(here))
    .filter((name) => name.endsWith('.bench.ts'))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort();
  if (files.length === 0) throw new Error(`no benchmark matches ${filters.join(', ')}`);

  // The machine's speed in this run, before anything else loads it (machine.ts).
  process.stdout.write('measuring the machine (reference implementation) …\n');
  const results: Metrics = await machineSpeed();
  process.stdout.write(`  ${formatMetric(results['machine.reference_ms_per_coin']!)} per coin\n`);
  for (const file of files) {
    process.stdout.write(`running ${basename(file, '.bench.ts')} …\n`);
    const module = (await import(pathToFileURL(join(here, file)).href)) as {
      run: () => Promise<Metrics>;
    };
    const started = performance.now();
    Object.assign(results, await module.run());
    process.stdout.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  for (const { name, numerator, denominator } of ratios) {
    const top = results[numerator];
    const bottom = results[denominator];
    if (top !== undefined && bottom !== undefined && bottom.value > 0) {
      results[name] = { value: round(top.value / bottom.value), unit: '×' };
    }
  }

  await writeFile(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printSummary(results);
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}

function printSummary(results: Metrics): void {
  const rows = Object.entries(results).map(([name, metric]) => {
    const target = targets[name];
    const verdict = target === undefined ? '' : verdictOf(metric, target);
    return [name, formatMetric(metric), verdict] as const;
  });
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  process.stdout.write('\n');
  for (const [name, value, verdict] of rows) {
    process.stdout.write(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${verdict}\n`);
  }
  process.stdout.write(`\nwrote ${join('bench', 'results.json')}\n`);
}

const args = process.argv.slice(2);
if (args.includes('--readme')) {
  // The README's table from the last run's results (bench/results.json): medians and ranges.
  process.stdout.write(await readmeTable(join(here, 'results.json')));
} else {
  await main(args);
}
