/**
 * `npm run bench -- --readme`: the README's benchmark table, printed from the last run's
 * `bench/results.json`. Every figure is as that run measured it: the median of its rounds
 * with their range (stats.ts), never a best run, and the machine's speed in the same run
 * (machine.ts) heads the table, so a figure can be read against it.
 */
import { readFile } from 'node:fs/promises';
import { formatMetric } from './stats.ts';
import { type Metrics, targets, verdictOf } from './targets.ts';

/** The rows the README quotes, in its order, with what each one measures. */
const rows: readonly (readonly [metric: string, label: string])[] = [
  ['machine.reference_ms_per_coin', "the machine's speed: `@cloudflare/blindrsa-ts`, one coin"],
  ['protocol.blind_rsa.wallet_ms_per_coin', 'blind + finalize + verify, batch of 100'],
  ['protocol.blind_rsa.reference_ms_per_coin', 'the same with `@cloudflare/blindrsa-ts`'],
  ['protocol.blind_rsa.sign_per_s', 'OpenSSL raw private op + self-check'],
  ['protocol.blind_rsa.reference_sign_per_s', 'the same with `@cloudflare/blindrsa-ts`'],
  ['protocol.payword.verify_per_s', ''],
  ['protocol.deposit_permission.verify_per_s', 'RSA + Ed25519, native'],
  ['bank.withdraw_coins_per_s', 'batches of 64, HTTP, durable'],
  ['bank.deposit_coins_per_s', 'single-coin deposits, 64 connections, saturated'],
  ['bank.deposit_p99_ms', 'single-coin deposits offered at 3,000/s'],
  ['bank.deposit_batch_coins_per_s', 'deposits of 16 coins'],
  ['bank.payword_redeem_per_s', 'batches of 10'],
  [
    'bank.compare.full_sync_vs_default_deposits',
    '`synchronous=FULL` over the default, same rounds',
  ],
  ['merchant.free_page_per_s', 'alternating rounds, 64 connections'],
  ['merchant.payword_pay_per_s', 'the same rounds, one word per payment, durable'],
  ['merchant.payword_vs_free_ratio', 'round by round'],
  ['merchant.ecash_pay_per_s', 'including the mint deposit, 16 connections'],
  ['merchant.browser_script_gzip_bytes', '`<script>` build of `merchant-sdk/browser`'],
  ['wallet.withdraw_100_coins_ms', 'wallet core against the bank on loopback'],
  ['wallet.pay_decision_ms', 'click message → PayWord credential stored'],
  ['e2e.click_to_content_ms', 'priced click to content, Chromium'],
  ['e2e.free_click_to_content_ms', 'free click to content, same rounds'],
  ['e2e.click_premium_ms', 'what paying adds to a click, round by round'],
];

export async function readmeTable(path: string): Promise<string> {
  const results = JSON.parse(await readFile(path, 'utf8')) as Metrics;
  const lines = ['| metric | median (range, rounds) | target |', '|---|---|---|'];
  for (const [name, label] of rows) {
    const metric = results[name];
    if (metric === undefined) continue;
    const target = targets[name];
    const shown = label === '' ? `\`${name}\`` : `\`${name}\` (${label})`;
    const single = metric.min === undefined ? ' (one measurement)' : '';
    lines.push(
      `| ${shown} | ${formatMetric(metric)}${single} | ${target === undefined ? '' : verdictOf(metric, target)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
