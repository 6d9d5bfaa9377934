/** What the wallet's pages read: receipts, spending per site and day, refusals, balances. */
import type { BalanceView, ReceiptView, RefusalView, SpendingPoint } from '../messages/contract.ts';
import type { WalletContext } from './context.ts';
import type { ReceiptRecord } from './db/schema.ts';
import { amountView, dayOf, moneyView } from './money.ts';

export function receiptView(record: ReceiptRecord): ReceiptView {
  return {
    receiptId: record.receiptId,
    origin: record.origin,
    merchantName: record.merchantName,
    resource: record.resource,
    title: record.title,
    price: moneyView(record.price),
    instrument: record.instrument,
    paidAt: record.paidAt,
  };
}

export async function listReceipts(
  ctx: WalletContext,
  options: { readonly limit?: number; readonly before?: number } = {},
): Promise<ReceiptView[]> {
  const limit = options.limit ?? 50;
  const range = options.before === undefined ? null : IDBKeyRange.upperBound(options.before, true);
  const views: ReceiptView[] = [];
  let cursor = await ctx.db.transaction('receipts').store.index('paidAt').openCursor(range, 'prev');
  while (cursor !== null && views.length < limit) {
    views.push(receiptView(cursor.value));
    cursor = await cursor.continue();
  }
  return withRefunds(ctx, await withPurseSno(ctx, views));
}

/** Receipts the merchant refunded (part of) show how much (wallet/refunds/learn.ts). */
async function withRefunds(ctx: WalletContext, views: ReceiptView[]): Promise<ReceiptView[]> {
  const index = ctx.db.transaction('refunds').store.index('receiptId');
  return Promise.all(
    views.map(async (view) => {
      const refunds = await index.getAll(view.receiptId);
      if (refunds.length === 0) return view;
      const minor = refunds.reduce((sum, refund) => sum + refund.amount.minor, 0);
      return { ...view, refunded: amountView(refunds[0]!.amount.currency, minor) };
    }),
  );
}

/** Purse payments show the card's sequence number SNo (its proof journal, wallet/instruments/purse/). */
async function withPurseSno(ctx: WalletContext, views: ReceiptView[]): Promise<ReceiptView[]> {
  if (!views.some((view) => view.instrument === 'purse')) return views;
  const tx = ctx.db.transaction(['receipts', 'purseProofs']);
  return Promise.all(
    views.map(async (view) => {
      if (view.instrument !== 'purse') return view;
      const receipt = await tx.objectStore('receipts').get(view.receiptId);
      const proof =
        receipt === undefined
          ? undefined
          : await tx.objectStore('purseProofs').get(receipt.paymentId);
      return proof?.sno === undefined ? view : { ...view, sno: proof.sno };
    }),
  );
}

/** Confirmed spending per origin per UTC day over the last `days` days. */
export async function spendingByDay(ctx: WalletContext, days: number): Promise<SpendingPoint[]> {
  const today = dayOf(ctx.platform.now());
  const from = today - (days - 1) * 86_400_000;
  const entries = await ctx.db.getAllFromIndex('journal', 'day', IDBKeyRange.lowerBound(from));
  const sums = new Map<string, SpendingPoint>();
  for (const entry of entries) {
    if (entry.status !== 'confirmed') continue;
    const key = `${entry.day} ${entry.origin}`;
    const point = sums.get(key) ?? { day: entry.day, origin: entry.origin, minor: 0 };
    sums.set(key, { ...point, minor: point.minor + entry.price.minor });
  }
  return [...sums.values()].sort((a, b) => a.day - b.day || a.origin.localeCompare(b.origin));
}

export async function listRefusals(ctx: WalletContext, limit = 50): Promise<RefusalView[]> {
  const views: RefusalView[] = [];
  let cursor = await ctx.db.transaction('refusals').store.index('at').openCursor(null, 'prev');
  while (cursor !== null && views.length < limit) {
    const { id, at, origin, resource, error } = cursor.value;
    views.push({ id, at, origin, resource, error });
    cursor = await cursor.continue();
  }
  return views;
}

/**
 * E-cash: spendable coins per bank and currency. PayWord: credit left on each certificate whose
 * credit the bank may still hold, with how much it set aside and until when: the certificate's
 * expiry, then the bank's grace period for sites to redeem (`/v1/bank`). An expired certificate
 * has nothing left to spend but is listed until that grace ends, since the money is still held.
 */
export async function balances(ctx: WalletContext): Promise<BalanceView[]> {
  const views: BalanceView[] = [];
  const coins = await ctx.db.getAllFromIndex('coins', 'status', 'spendable');
  const ecash = new Map<
    string,
    { bankUrl: string; currency: string; minor: number; count: number }
  >();
  for (const coin of coins) {
    const key = `${coin.bankUrl} ${coin.currency}`;
    const sum = ecash.get(key) ?? {
      bankUrl: coin.bankUrl,
      currency: coin.currency,
      minor: 0,
      count: 0,
    };
    ecash.set(key, { ...sum, minor: sum.minor + coin.minor, count: sum.count + 1 });
  }
  for (const sum of ecash.values()) {
    views.push({
      instrument: 'ecash',
      bankUrl: sum.bankUrl,
      balance: amountView(sum.currency, sum.minor),
      count: sum.count,
    });
  }
  const now = ctx.platform.now();
  const chains = await ctx.db.getAll('paywordChains');
  const banks = new Map((await ctx.db.getAll('banks')).map((bank) => [bank.url, bank]));
  for (const certificate of await ctx.db.getAll('paywordCertificates')) {
    const graceMs = banks.get(certificate.bankUrl)?.paywordGraceMs;
    const returnsBy = graceMs === undefined ? null : certificate.expiresAt + graceMs;
    const live = certificate.expiresAt > now;
    if (!live && (returnsBy === null || returnsBy <= now)) continue;
    const own = chains.filter((chain) => chain.certificateId === certificate.id);
    // Credit left: never promised to a chain, plus the unspent words of open chains.
    const unspent = own
      .filter((chain) => chain.status === 'open' && chain.expiresAt > now)
      .reduce(
        (sum, chain) => sum + (chain.length - chain.reservedIndex) * chain.valuePerWord.minor,
        0,
      );
    views.push({
      instrument: 'payword',
      bankUrl: certificate.bankUrl,
      balance: amountView(
        certificate.creditLimit.currency,
        live ? certificate.creditLimit.minor - certificate.committed + unspent : 0,
      ),
      count: own.filter((chain) => chain.status === 'open').length,
      held: {
        amount: moneyView(certificate.creditLimit),
        expiresAt: certificate.expiresAt,
        returnsBy,
      },
    });
  }
  // The hardware purse: the card's balance as last read from it (wallet/instruments/purse/).
  const reader = await ctx.db.get('purseReaders', 'reader');
  if (reader !== undefined) {
    views.push({
      instrument: 'purse',
      bankUrl: reader.bankUrl,
      balance: moneyView(reader.balance),
      count: 1,
    });
  }
  return views;
}
