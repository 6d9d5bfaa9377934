/**
 * The wallet learns of refunds on its next visit to the merchant (issue 20): a page with
 * priced links makes the content script send `refunds.check`; the background asks the refund
 * URLs of the recent receipts paid on that page's origin (learn.ts) and turns e-cash refunds
 * into coins at the mint (refresh.ts).
 */
import type { WalletContext } from '../context.ts';
import { learnRefunds } from './learn.ts';
import { refreshRefundedCoins } from './refresh.ts';

/** Receipts asked about on a visit: paid within this window, newest first, at most `visitLimit`. */
export const visitWindowMs = 30 * 86_400_000;
const visitLimit = 20;
/** An origin is asked at most this often (the service worker's memory: a restart asks again). */
export const visitIntervalMs = 10 * 60_000;
const lastVisit = new Map<string, number>();

/**
 * On a visit to a merchant's page ("the wallet learns of a refund on its next visit"): asks
 * the refund URLs of the recent receipts paid on `origin` (the page's, from the browser's
 * sender) and keeps what the merchant signed. Returns how many refunds are new.
 */
export async function checkRefundsOnVisit(ctx: WalletContext, origin: string): Promise<number> {
  const now = ctx.platform.now();
  if (now - (lastVisit.get(origin) ?? Number.NEGATIVE_INFINITY) < visitIntervalMs) return 0;
  lastVisit.set(origin, now);
  const range = IDBKeyRange.lowerBound(now - visitWindowMs);
  const receipts = (await ctx.db.getAllFromIndex('receipts', 'paidAt', range))
    .filter((receipt) => receipt.origin === origin && receipt.instrument !== 'card')
    .sort((a, b) => b.paidAt - a.paidAt)
    .slice(0, visitLimit);
  let fresh = 0;
  for (const receipt of receipts) {
    const before = (await ctx.db.getAllFromIndex('refunds', 'receiptId', receipt.receiptId)).length;
    const after = await learnRefunds(ctx, receipt.receiptId).catch(() => undefined);
    if (after === undefined) continue;
    fresh += after.length - before;
    // E-cash refunds become coins at this contact with the mint; a failure waits for the next.
    if (after.some((refund) => refund.instrument === 'ecash' && refund.status === 'credited')) {
      await refreshRefundedCoins(ctx, receipt.receiptId).catch(() => undefined);
    }
  }
  return fresh;
}
