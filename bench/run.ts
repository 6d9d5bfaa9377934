/**
 * `npm run bench`: runs every `bench/*.bench.ts` (optionally only those whose name contains
 * one of the arguments), writes `bench/results.json` as
 * `{ "<metric>": { "value": n, "unit": "…" } }` and prints a summary with the targets the
 * issues set. Each bench module measures its figure and its comparison in the same run, since
 * this machine is noisy and only ratios within one run mean much.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Metric {
  readonly value: number;
  readonly unit: string;
}
export type Metrics = Record<string, Metric>;

interface Target {
  readonly at: 'most' | 'least';
  readonly value: number;
}

/** Targets from the issues, on this 2-core machine. */
const targets: Record<string, Target> = {
  'protocol.blind_rsa.wallet_ms_per_coin': { at: 'most', value: 1.5 },
  'protocol.blind_rsa.sign_per_s': { at: 'least', value: 2_000 },
  'protocol.payword.verify_per_s': { at: 'least', value: 300_000 },
  'protocol.deposit_permission.verify_per_s': { at: 'least', value: 4_000 },
  'bank.deposit_coins_per_s': { at: 'least', value: 3_000 },
  'bank.deposit_p99_ms': { at: 'most', value: 50 },
  'bank.deposit_batch_coins_per_s': { at: 'least', value: 6_000 },
  'bank.withdraw_coins_per_s': { at: 'least', value: 1_500 },
  'bank.payword_redeem_per_s': { at: 'least', value: 1_000 },
  'merchant.payword_vs_free_ratio': { at: 'least', value: 0.5 },
  'wallet.withdraw_100_coins_ms': { at: 'most', value: 500 },
  'wallet.pay_decision_ms': { at: 'most', value: 10 },
  // What paying adds to a click: priced (PayWord) minus free click-to-content, same run.
  'e2e.click_premium_ms': { at: 'most', value: 30 },
  // Issue 22: the SDK's browser part as a single <script>, gzipped.
  'merchant.browser_script_gzip_bytes': { at: 'most', value: 10 * 1024 },
};

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

  const results: Metrics = {};
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
  const rows = Object.entries(results).map(([name, { value, unit }]) => {
    const target = targets[name];
    let verdict = '';
    if (target !== undefined) {
      const met = target.at === 'most' ? value <= target.value : value >= target.value;
      verdict = `${met ? 'meets' : 'MISSES'} target ${target.at === 'most' ? '≤' : '≥'} ${target.value}`;
    }
    return [name, `${round(value).toLocaleString('en')} ${unit}`, verdict] as const;
  });
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  process.stdout.write('\n');
  for (const [name, value, verdict] of rows) {
    process.stdout.write(`${name.padEnd(width)}  ${value.padStart(valueWidth)}  ${verdict}\n`);
  }
  process.stdout.write(`\nwrote ${join('bench', 'results.json')}\n`);
}

await main(process.argv.slice(2));
