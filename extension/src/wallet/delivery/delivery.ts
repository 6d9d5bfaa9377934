/**
 * Never paying for nothing, the wallet's part (issue 20): a payment the merchant accepted but
 * whose content did not arrive is retried, and once the merchant has kept failing for
 * `notDeliveredAfterMs` it is shown as "not delivered" in the history, with the proof and a
 * one-click refund request (refund-request.ts).
 *
 * How the wallet learns the content did not arrive, two ways:
 *
 * - **The paid page answers 5xx** (`content`): the content script of every page checks its own
 *   navigation's status (`PerformanceNavigationTiming.responseStatus`, set by the browser, not
 *   the page) and reports a 5xx (`delivery.failed`); the page comes from the browser's sender.
 *   If a confirmed payment of the last `paidPageWindowMs` navigates to that very URL, the
 *   background fetches it again with the grant cookie every `deliveryRetryMs` (cookies ride on
 *   the extension's fetch under the host permissions it already has for the pay endpoint), and
 *   reloads the tab when it answers. Chosen over fetching every paid page a second time as a
 *   check (double load on the merchant, and a paid download twice) and over the `webRequest`
 *   permission (a new, broad one, to read every response's status): nothing is sent unless a
 *   page failed, and no permission is added.
 * - **The pay endpoint fails after the credential left** (`payment`): the payment stays `sent`
 *   and the task runner resends the same credential (the merchant answers it with the same
 *   receipt); the pay flow notes each failure here (`noteUndeliveredPayment`).
 *
 * The time is the user's to see: the history says when a payment still failing will count as
 * not delivered. The state lives in the `deliveries` store (schema version 8), so a restarted
 * worker carries on from it (`resumeDeliveries`, on the task alarm).
 */
import { withoutNavigationId } from '@farthing/protocol/http/paying-navigation';
import type { DeliveryView } from '../../messages/delivery.ts';
import type { WalletContext } from '../context.ts';
import type { DeliveryRecord, PaymentRecord } from '../db/schema.ts';
import { errorJson } from '../errors.ts';
import { moneyView } from '../money.ts';

/** How long a merchant may keep failing before the payment counts as not delivered. */
export const notDeliveredAfterMs = 2 * 60_000;
/** How often the wallet fetches a failed paid page again. */
export const deliveryRetryMs = 15_000;
/** A page failing this long after its payment is no longer taken as that payment's content. */
export const paidPageWindowMs = 10 * 60_000;

/** The URL without its fragment, which never reaches the server. */
function pageKey(url: string): string {
  // A page a click went to at once may still show its navigation's id (paying-navigation).
  const parsed = new URL(withoutNavigationId(url) ?? url);
  parsed.hash = '';
  return parsed.href;
}

/** The confirmed payment whose content is the page at `pageUrl`, paid lately. */
async function paymentOfPage(
  ctx: WalletContext,
  pageUrl: string,
): Promise<PaymentRecord | undefined> {
  const key = pageKey(pageUrl);
  for (let waited = 0; ; waited += settlingPollMs) {
    const since = IDBKeyRange.lowerBound(ctx.platform.now() - paidPageWindowMs);
    const recent = (await ctx.db.getAllFromIndex('payments', 'createdAt', since)).filter(
      (payment) => pageKey(payment.navigateTo) === key,
    );
    const confirmed = recent.filter((payment) => payment.status === 'confirmed').at(-1);
    if (confirmed !== undefined) return confirmed;
    // A page that went at the click comes before its payment is confirmed (pay/send.ts
    // `drawingMs`): a payment of it still `sent` is waited for, a little.
    if (waited >= settlingWaitMs || !recent.some((payment) => payment.status === 'sent')) {
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, settlingPollMs));
  }
}

/** How long a failed page waits for its `sent` payment to be confirmed, and how often it looks. */
const settlingWaitMs = 2_000;
const settlingPollMs = 50;

/** `retrying` → `not_delivered` once the failures have lasted long enough. */
function withDeadline(record: DeliveryRecord, now: number): DeliveryRecord {
  return record.status === 'retrying' && now - record.firstFailureAt >= notDeliveredAfterMs
    ? { ...record, status: 'not_delivered' }
    : record;
}

function failing(
  payment: PaymentRecord,
  what: DeliveryRecord['what'],
  status: number | null,
  now: number,
): DeliveryRecord {
  return {
    paymentId: payment.id,
    what,
    url: what === 'content' ? payment.navigateTo : payment.payEndpoint,
    status: 'retrying',
    firstFailureAt: now,
    lastCheckAt: now,
    checks: 0,
    lastStatus: status,
    refunded: null,
    error: null,
    updatedAt: now,
  };
}

/** Retry loops running in this worker, by payment. */
const retrying = new Set<string>();

/**
 * A page answered `status` (5xx): when it is the content of a payment made lately, the wallet
 * retries it until it answers or `notDeliveredAfterMs` has passed. `reload` opens the page in
 * the user's tab once it answers. Answers whether the page was a paid one.
 */
export async function reportFailedPage(
  ctx: WalletContext,
  pageUrl: string,
  status: number,
  reload: () => Promise<void>,
): Promise<boolean> {
  const payment = await paymentOfPage(ctx, pageUrl);
  if (payment === undefined) return false;
  const now = ctx.platform.now();
  const tx = ctx.db.transaction('deliveries', 'readwrite');
  const known = await tx.store.get(payment.id);
  // A payment whose content arrived once, or that is settled, is not retried again; one whose
  // pay endpoint recovered (`payment`, delivered) is watched again for its content.
  const fresh = known === undefined || (known.what === 'payment' && known.status === 'delivered');
  if (fresh) await tx.store.put(failing(payment, 'content', status, now));
  await tx.done;
  if (!fresh && known?.status !== 'retrying') return true;
  void retryUntilSettled(ctx, payment.id, reload);
  return true;
}

async function retryUntilSettled(
  ctx: WalletContext,
  paymentId: string,
  reload: () => Promise<void>,
): Promise<void> {
  if (retrying.has(paymentId)) return;
  retrying.add(paymentId);
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, deliveryRetryMs));
      const record = await checkDelivery(ctx, paymentId);
      if (record?.status === 'delivered') await reload().catch(() => undefined);
      if (record?.status !== 'retrying') return;
    }
  } finally {
    retrying.delete(paymentId);
  }
}

/** What one fetch of the paid page answers: its status, or null when nothing answered. */
async function fetchPage(ctx: WalletContext, url: string): Promise<number | null> {
  try {
    const response = await ctx.platform.fetch(url, {
      method: 'GET',
      credentials: 'include',
      cache: 'no-store',
      headers: { accept: 'text/html,*/*;q=0.8' },
    });
    // Only the status matters: a large download is not read.
    await response.body?.cancel().catch(() => undefined);
    return response.status;
  } catch {
    return null;
  }
}

/**
 * Checks one payment in `retrying` once: fetches its page again (`content`), or reads whether
 * the task runner's resend got the merchant's answer (`payment`); then applies the deadline.
 */
export async function checkDelivery(
  ctx: WalletContext,
  paymentId: string,
): Promise<DeliveryRecord | undefined> {
  const record = await ctx.db.get('deliveries', paymentId);
  if (record?.status !== 'retrying') return record;
  let delivered = false;
  let lastStatus = record.lastStatus;
  if (record.what === 'content') {
    lastStatus = await fetchPage(ctx, record.url);
    delivered = lastStatus !== null && lastStatus >= 200 && lastStatus < 400;
  } else {
    const payment = await ctx.db.get('payments', paymentId);
    if (payment === undefined || payment.status === 'failed') {
      // The merchant refused it for good: nothing was paid (the pay flow gets the coins back).
      await ctx.db.delete('deliveries', paymentId);
      return undefined;
    }
    delivered = payment.status === 'confirmed';
  }
  const now = ctx.platform.now();
  const checked: DeliveryRecord = {
    ...record,
    status: delivered ? 'delivered' : 'retrying',
    checks: record.checks + 1,
    lastCheckAt: now,
    lastStatus,
    updatedAt: now,
  };
  const next = withDeadline(checked, now);
  const tx = ctx.db.transaction('deliveries', 'readwrite');
  // Written only over the state it was read in: a refund request meanwhile wins.
  if ((await tx.store.get(paymentId))?.status === 'retrying') await tx.store.put(next);
  await tx.done;
  return next;
}

/**
 * The pay flow's failure path: the merchant did not answer the credential (or answered 5xx),
 * and the payment stays `sent` to be resent. The first failure starts the clock.
 */
export async function noteUndeliveredPayment(
  ctx: WalletContext,
  payment: PaymentRecord,
  error: unknown,
): Promise<void> {
  const now = ctx.platform.now();
  const json = errorJson(error);
  const status = typeof json.detail?.status === 'number' ? json.detail.status : null;
  const tx = ctx.db.transaction('deliveries', 'readwrite');
  const known = await tx.store.get(payment.id);
  const record: DeliveryRecord =
    known === undefined
      ? failing(payment, 'payment', status, now)
      : {
          ...known,
          checks: known.checks + 1,
          lastCheckAt: now,
          lastStatus: status,
          updatedAt: now,
        };
  await tx.store.put(withDeadline(record, now));
  await tx.done;
}

/** The task alarm's turn: every payment still `retrying` is checked once. */
export async function resumeDeliveries(ctx: WalletContext): Promise<number> {
  const open = await ctx.db.getAllFromIndex('deliveries', 'status', 'retrying');
  let still = 0;
  for (const record of open) {
    if (retrying.has(record.paymentId)) continue; // a loop of this worker has it
    const next = await checkDelivery(ctx, record.paymentId).catch(() => record);
    if (next?.status === 'retrying') still++;
  }
  return still;
}

export function deliveryView(record: DeliveryRecord, payment: PaymentRecord): DeliveryView {
  return {
    paymentId: record.paymentId,
    status: record.status,
    what: record.what,
    title: payment.title,
    url: payment.navigateTo,
    origin: payment.origin,
    merchantName: payment.merchantName,
    price: moneyView(payment.price),
    instrument: payment.instrument,
    receiptId: payment.receiptId ?? null,
    firstFailureAt: record.firstFailureAt,
    notDeliveredAt: record.firstFailureAt + notDeliveredAfterMs,
    checks: record.checks,
    lastStatus: record.lastStatus,
    refunded: record.refunded === null ? null : moneyView(record.refunded),
    error: record.error,
  };
}

/** Payments whose content has not arrived (or was refunded for it), newest first. */
export async function listDeliveries(ctx: WalletContext): Promise<DeliveryView[]> {
  const tx = ctx.db.transaction(['deliveries', 'payments']);
  const records = (await tx.objectStore('deliveries').getAll()).filter(
    (record) => record.status !== 'delivered',
  );
  const views: DeliveryView[] = [];
  for (const record of records) {
    const payment = await tx.objectStore('payments').get(record.paymentId);
    if (payment !== undefined)
      views.push(deliveryView(withDeadline(record, ctx.platform.now()), payment));
  }
  return views.sort((a, b) => b.firstFailureAt - a.firstFailureAt);
}
