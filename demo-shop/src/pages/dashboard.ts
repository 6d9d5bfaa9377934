/**
 * The merchant dashboard: what the shop has taken per instrument, PayWord value accepted but
 * not yet redeemed with the broker, and the settlement history, with a "settle now" button.
 * Everything comes from the merchant SDK's dashboard reads.
 */
import {
  type Amount,
  formatAmount,
  type InstrumentEarnings,
  type SettlementBatchView,
  type SettlementStatus,
} from '@farthing/merchant-sdk/server';
import { type Html, html } from './html.ts';
import { page, shortTime } from './layout.ts';

export interface DashboardData {
  readonly merchantId: string;
  readonly name: string;
  readonly origin: string;
  readonly bankUrl: string;
  readonly certificateNotAfter: number;
  readonly earnings: readonly InstrumentEarnings[];
  readonly status: SettlementStatus;
  readonly history: readonly SettlementBatchView[];
  /** What the last "settle now" did, from the redirect's query. */
  readonly flash: string | undefined;
  /** Seconds between scheduled settlement runs; 0 when only the button settles. */
  readonly settleIntervalSeconds: number;
  /** The card orders section (cart/routes.ts), when the shop takes cards. */
  readonly cards?: Html | undefined;
}

const instrumentNames = {
  ecash: 'E-cash (deposited at the mint)',
  payword: 'PayWord',
  purse: 'Hardware purse (cleared at the issuer)',
  card: 'Card (SET, captured at settlement or sale)',
} as const;

const money = (value: Amount) => formatAmount(value);
const short = (id: string) => `${id.slice(0, 10)}…`;

function earningsTable(earnings: readonly InstrumentEarnings[]): Html {
  if (earnings.length === 0) return html`<p class="empty">No payments yet.</p>`;
  return html`<table class="figures" id="earnings">
<thead><tr><th scope="col">Instrument</th><th scope="col">Payments</th><th scope="col">Taken</th></tr></thead>
<tbody>${earnings.map(
    (row) =>
      html`<tr data-instrument="${row.instrument}"><th scope="row">${instrumentNames[row.instrument]}</th><td>${row.payments}</td><td>${money(row.total)}</td></tr>`,
  )}</tbody></table>`;
}

function paywordTotals(status: SettlementStatus): Html {
  if (status.totals.length === 0) return html`<p class="empty">No PayWord chains yet.</p>`;
  return html`<table class="figures" id="payword-totals">
<thead><tr><th scope="col">Currency</th><th scope="col">Accepted</th><th scope="col">Redeemed</th><th scope="col">In flight</th><th scope="col">Unredeemed</th><th scope="col">Refused</th></tr></thead>
<tbody>${status.totals.map(
    (row) =>
      html`<tr data-currency="${row.currency}"><th scope="row">${row.currency}</th><td>${money(row.accepted)}</td><td>${money(row.redeemed)}</td><td>${money(row.inFlight)}</td><td class="owed">${money(row.owed)}</td><td>${money(row.refused)}</td></tr>`,
  )}</tbody></table>
<details><summary>${status.chains.length} PayWord chains</summary>
<table class="figures">
<thead><tr><th scope="col">Commitment</th><th scope="col">Per word</th><th scope="col">Accepted</th><th scope="col">Redeemed</th><th scope="col">Unredeemed</th><th scope="col">Expires</th><th scope="col">State</th></tr></thead>
<tbody>${status.chains.map(
    (chain) =>
      html`<tr><td><code title="${chain.commitmentId}">${short(chain.commitmentId)}</code></td><td>${money(chain.valuePerWord)}</td><td>${money(chain.accepted)}</td><td>${money(chain.redeemed)}</td><td>${money(chain.owed)}</td><td>${shortTime(chain.expiresAt)}</td><td>${chain.status === 'open' ? 'open' : `refused (${chain.rejectionCode ?? 'unknown'})`}</td></tr>`,
  )}</tbody></table></details>`;
}

function historyTable(history: readonly SettlementBatchView[]): Html {
  if (history.length === 0) return html`<p class="empty">No settlement has run yet.</p>`;
  return html`<table class="figures" id="settlements">
<thead><tr><th scope="col">Batch</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">State</th><th scope="col">Chains</th><th scope="col">Paid</th><th scope="col">Attempts</th></tr></thead>
<tbody>${history.map(
    (batch) =>
      html`<tr data-status="${batch.status}"><td><code>${short(batch.batchId)}</code></td><td>${shortTime(batch.createdAt)}</td><td>${batch.finishedAt === undefined ? '—' : shortTime(batch.finishedAt)}</td><td>${batch.status.replace('_', ' ')}${batch.lastError === undefined ? '' : html`<br><small>${batch.lastError}</small>`}</td><td>${batch.items.length}</td><td>${batch.paid.length === 0 ? '—' : batch.paid.map(money).join(', ')}</td><td>${batch.attempts}</td></tr>`,
  )}</tbody></table>`;
}

export function dashboardPage(data: DashboardData): Html {
  const schedule =
    data.settleIntervalSeconds === 0
      ? 'Settlement runs only when you press the button.'
      : `Settlement also runs by itself every ${Math.round(data.settleIntervalSeconds / 60) || 1} minutes.`;
  return page({
    title: 'Merchant dashboard',
    path: '/dashboard',
    body: html`<section class="dashboard">
<h1 class="section-title">Merchant dashboard</h1>
<p class="section-intro"><strong>${data.name}</strong> (merchant <code>${data.merchantId}</code>) at ${data.origin}, banking with <a href="${data.bankUrl}/v1/openapi.json">${data.bankUrl}</a>. Certificate valid until ${shortTime(data.certificateNotAfter)}.</p>
${data.flash === undefined ? '' : html`<p class="flash" role="status">${data.flash}</p>`}
<h2>Earnings by instrument</h2>
<p class="note">E-cash is on the shop's bank account the moment it is deposited. PayWord is on it once redeemed with the broker.</p>
${earningsTable(data.earnings)}
<h2>PayWord settlement</h2>
${paywordTotals(data.status)}
<form method="post" action="/dashboard/settle" class="settle">
<button type="submit">Settle now</button>
<span class="note">Redeems every unredeemed PayWord with the broker. ${schedule}</span>
</form>
<h2>Settlement history</h2>
${historyTable(data.history)}
${data.cards ?? ''}
</section>`,
  });
}
