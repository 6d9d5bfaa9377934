/**
 * What reserving a payment takes, whatever pays it (the instruments, ../instruments/): the
 * records a reservation writes, the stores its transaction names, the limits as that
 * transaction sees them (the final check: two quick clicks cannot both fit under a budget only
 * one of them fits), and which earlier payments of an offer stop a new one.
 */
import {
  type JournalRecord,
  newId,
  type PaymentRecord,
  type SiteRecord,
  type WalletTx,
} from '../db/schema.ts';
import { dayOf } from '../money.ts';
import { readSettingsRecord } from '../settings.ts';
import { checkLimits, type LimitsSnapshot } from './limits.ts';
import type { CheckedOffer } from './offer.ts';

export async function limitsSnapshot(
  stores: {
    settings: { get(key: string): Promise<unknown> };
    sites: { get(key: string): Promise<SiteRecord | undefined> };
    journalByDay(day: number): Promise<JournalRecord[]>;
  },
  origin: string,
  now: number,
): Promise<LimitsSnapshot> {
  const [settings, site, today] = await Promise.all([
    stores.settings.get('settings'),
    stores.sites.get(origin),
    stores.journalByDay(dayOf(now)),
  ]);
  return {
    settings: readSettingsRecord(settings),
    site,
    today,
    paidBefore: site?.lastPaidAt != null,
  };
}

/** A payment of this resource whose grant still holds: the click goes to the content again. */
export function isStillPaid(payment: PaymentRecord, checked: CheckedOffer, now: number): boolean {
  return (
    payment.status === 'confirmed' &&
    payment.origin === checked.origin &&
    (payment.grantExpiresAt ?? 0) > now
  );
}

export function isInFlight(payment: PaymentRecord): boolean {
  return payment.status === 'reserved' || payment.status === 'sent';
}

/**
 * The payment of this resource a new one would repeat, among `previous` (its payments as
 * stored): one still paid, else one in flight. A click goes on with it instead of paying again.
 */
export function earlierPayment(
  previous: readonly PaymentRecord[],
  checked: CheckedOffer,
  now: number,
): PaymentRecord | undefined {
  return previous.find((p) => isStillPaid(p, checked, now)) ?? previous.find(isInFlight);
}

/**
 * Every payment for the offer's resource at its merchant, whatever offer it paid: the shop signs
 * fresh offers for the same article, and a user who owns it (or is paying for it in another tab)
 * must not pay again.
 */
export function paymentsOfResource(
  payments: {
    index(name: 'resource'): { getAll(key: [string, string]): Promise<PaymentRecord[]> };
  },
  checked: CheckedOffer,
): Promise<PaymentRecord[]> {
  return payments.index('resource').getAll([checked.offer.merchantId, checked.offer.resource]);
}

/** This resource's earlier payment as the reserving transaction sees it (`earlierPayment`). */
export async function earlierPaymentIn(
  tx: ReserveTx,
  checked: CheckedOffer,
  now: number,
): Promise<PaymentRecord | undefined> {
  const previous = await paymentsOfResource(tx.objectStore('payments'), checked);
  return earlierPayment(previous, checked, now);
}

/** What every new payment records of its offer, whatever pays it (the caller adds that). */
export function basePayment(checked: CheckedOffer, taskId: string, now: number) {
  return {
    id: newId(),
    offerHash: checked.hash,
    offerToken: checked.token,
    origin: checked.origin,
    resource: checked.offer.resource,
    navigateTo: checked.resourceUrl,
    title: checked.offer.title ?? checked.offer.resource,
    merchantId: checked.offer.merchantId,
    merchantName: checked.payee.name,
    offerPublicKey: checked.offerPublicKey,
    payEndpoint: checked.payEndpoint,
    bankUrl: checked.bank.url,
    price: { currency: checked.offer.amount.currency, minor: checked.offer.amount.minor },
    status: 'reserved' as const,
    taskId,
    createdAt: now,
  };
}

export function journalEntry(payment: PaymentRecord, now: number): JournalRecord {
  return {
    id: newId(),
    paymentId: payment.id,
    origin: payment.origin,
    day: dayOf(now),
    price: payment.price,
    status: 'reserved',
    at: now,
  };
}

export const reserveStores = [
  'coins',
  'paywordChains',
  'payments',
  'journal',
  'tasks',
  'settings',
  'sites',
] as const;

export type ReserveTx = WalletTx<(typeof reserveStores)[number][]>;

/**
 * The limits without these journal entries: words made ready for a link and given back, or
 * waiting for the click that takes them (../instruments/payword/prepared.ts).
 */
export function withoutEntries(limits: LimitsSnapshot, ids: readonly string[]): LimitsSnapshot {
  if (ids.length === 0) return limits;
  return { ...limits, today: limits.today.filter((entry) => !ids.includes(entry.id)) };
}

/** The limits as the reserving transaction sees them. */
export function reserveSnapshot(
  tx: ReserveTx,
  origin: string,
  now: number,
): Promise<LimitsSnapshot> {
  return limitsSnapshot(
    {
      settings: { get: (key) => tx.objectStore('settings').get(key) },
      sites: { get: (key) => tx.objectStore('sites').get(key) },
      journalByDay: (day) => tx.objectStore('journal').index('day').getAll(day),
    },
    origin,
    now,
  );
}

/**
 * A reservation's first reads, in its own transaction: this resource's earlier payment, which
 * is the answer instead of a new one (the transaction aborted, nothing written); else undefined
 * once the budgets fit, checked again inside the transaction that spends so that two quick
 * clicks cannot both fit under a budget only one of them fits. A refusal aborts and throws.
 */
export async function openReservation(
  tx: ReserveTx,
  checked: CheckedOffer,
  now: number,
): Promise<PaymentRecord | undefined> {
  try {
    const [earlier, limits] = await Promise.all([
      earlierPaymentIn(tx, checked, now),
      reserveSnapshot(tx, checked.origin, now),
    ]);
    if (earlier !== undefined) {
      await abort(tx);
      return earlier;
    }
    checkLimits(limits, checked.origin, checked.offer.amount);
    return undefined;
  } catch (error) {
    await abort(tx);
    throw error;
  }
}

export async function abort(tx: { abort(): void; done: Promise<void> }) {
  tx.abort();
  await tx.done.catch(() => undefined);
}
