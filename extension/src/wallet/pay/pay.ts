/**
 * Paying an offer (DESIGN.md "Priced link", steps 3–5) as a resumable task; this file is the
 * click, send.ts the rest:
 *
 * 1. Check the offer (offer.ts) and the user's limits (limits.ts); choose the instrument
 *    (../instruments/registry.ts); ask in the confirmation window when the limits say so.
 * 2. The instrument reserves, in one transaction that re-checks the budgets: what pays the
 *    price, the payment record, the spend journal entry and the task (`reserved`).
 * 3–5. send.ts: the credential stored (`sent`, strict) before the request, the POST, the
 *    receipt, the confirmation. PayWord reveals the word inside the reserving transaction, so
 *    there steps 2 and 3 are that one strict commit.
 *
 * The core knows instruments only through their interface (../instruments/instrument.ts).
 */
import type { OfferView, PayOutcome } from '../../messages/contract.ts';
import { perDatabase, type WalletContext } from '../context.ts';
import { newId, type PaymentRecord } from '../db/schema.ts';
import { errorJson, isWalletFailure, WalletFailure } from '../errors.ts';
import type { Instrument } from '../instruments/instrument.ts';
import { instrumentsByPreference } from '../instruments/registry.ts';
import { amountView, moneyView } from '../money.ts';
import { checkLimits, type LimitsSnapshot } from './limits.ts';
import { type CheckedOffer, checkOffer } from './offer.ts';
import { type ClickSeen, clickPresented } from './presentation.ts';
import {
  earlierPayment,
  isStillPaid,
  limitsSnapshot,
  paymentsOfResource,
  withoutEntries,
} from './reservation.ts';
import {
  completePayment,
  failPayment,
  type PayHooks,
  paidOutcome,
  reopenAccess,
  sendPayment,
} from './send.ts';
import { oneAtATime } from './vendor-queue.ts';

export type { ConfirmationRequest, PayHooks } from './send.ts';

/** A second click on the same offer within this time joins the first one's payment. */
export const duplicateWindowMs = 5_000;

export interface PayOfferParameters {
  readonly token: string;
  readonly href: string;
  /** The page's URL, from the browser's MessageSender. */
  readonly pageUrl: string;
}

export interface PayClickParameters extends PayOfferParameters {
  readonly seen: ClickSeen;
  /**
   * The page went to the resource at the click with this id in its URL (the content script,
   * `@farthing/protocol/http/paying-navigation`): a payment made at once carries it to the
   * merchant, which serves that navigation once paid.
   */
  readonly navigation?: string;
  /**
   * Told, for a click with `navigation`, as soon as the wallet knows it will not pay at once
   * (it asks, or makes a chain or reserves coins first): the page then stops its navigation.
   */
  readonly onHeld?: () => void;
}

interface RecentClick {
  readonly at: number;
  readonly outcome: Promise<PayOutcome>;
}
/** Per wallet (database): clicks of the last few seconds and their outcome. */
const recentClicksOf = perDatabase<string, RecentClick>();

/** What a click decides on before anything is reserved. */
interface ClickState {
  /** Earlier payments of this offer's resource, whatever offer they paid. */
  readonly previous: readonly PaymentRecord[];
  readonly limits: LimitsSnapshot;
}

/**
 * Reads the click's state in one transaction, every request at once: each request is a round
 * trip to the browser's storage process, and this is on the click's path to the content.
 */
async function readClickState(
  ctx: WalletContext,
  checked: CheckedOffer,
  now: number,
): Promise<ClickState> {
  const tx = ctx.db.transaction(['payments', 'settings', 'sites', 'journal']);
  const [previous, limits] = await Promise.all([
    paymentsOfResource(tx.objectStore('payments'), checked),
    limitsSnapshot(
      {
        settings: { get: (key) => tx.objectStore('settings').get(key) },
        sites: { get: (key) => tx.objectStore('sites').get(key) },
        journalByDay: (day) => tx.objectStore('journal').index('day').getAll(day),
      },
      checked.origin,
      now,
    ),
  ]);
  return { previous, limits };
}

/**
 * The instruments that may pay this offer now, the preferred first (never empty): the first
 * pays, the next ones are where a reservation the first cannot make falls back to.
 */
async function chooseInstruments(
  ctx: WalletContext,
  checked: CheckedOffer,
): Promise<readonly [Instrument, ...Instrument[]]> {
  const able: Instrument[] = [];
  for (const instrument of instrumentsByPreference) {
    if (await instrument.mayPay(ctx, checked)) able.push(instrument);
  }
  const [first, ...rest] = able;
  if (first === undefined) {
    throw new WalletFailure(
      'instrument_unsupported',
      'This site takes no means of payment this wallet has.',
    );
  }
  return [first, ...rest];
}

function refusedView(error: unknown, checked?: CheckedOffer): OfferView {
  return {
    status: 'refused',
    error: errorJson(error),
    ...(checked === undefined
      ? {}
      : { price: moneyView(checked.offer.amount), payee: checked.payee }),
  };
}

/**
 * What a click on this offer would do (the tooltip); decides nothing, pays nothing. With
 * `prepare` (the tooltip shows: the pointer or the focus is on the link), an offer a click
 * would pay at once has its payment made ready meanwhile, stored and sent only by that click
 * (`Instrument.prepare`).
 */
export async function describeOffer(
  ctx: WalletContext,
  params: PayOfferParameters & { readonly prepare?: boolean },
): Promise<OfferView> {
  let checked: CheckedOffer | undefined;
  try {
    checked = await checkOffer(ctx, {
      token: params.token,
      href: params.href,
      pageUrl: params.pageUrl,
    });
    const now = ctx.platform.now();
    const { previous, limits: read } = await readClickState(ctx, checked, now);
    // What the vendor's click would take or give back is not spent yet (Instrument.prepare).
    const vendorId = checked.offer.merchantId;
    const ready = instrumentsByPreference.flatMap(
      (instrument) => instrument.readyJournalEntry?.(ctx, vendorId) ?? [],
    );
    const snapshot = withoutEntries(read, ready);
    const offer = checked;
    const owned = previous.find((payment) => isStillPaid(payment, offer, now));
    if (owned !== undefined) {
      return {
        status: 'owned',
        price: moneyView(owned.price),
        payee: checked.payee,
        title: owned.title,
        resourceUrl: checked.resourceUrl,
        grantExpiresAt: owned.grantExpiresAt ?? now,
        receiptId: owned.receiptId ?? '',
      };
    }
    const decision = checkLimits(snapshot, checked.origin, checked.offer.amount);
    const [chosen] = await chooseInstruments(ctx, checked);
    const shortfall = await chosen.shortfall?.(ctx, checked);
    if (shortfall !== undefined) throw shortfall;
    const instrument = chosen.name;
    const currency = snapshot.settings.currency;
    if (params.prepare === true && decision.confirmation === null) {
      void chosen.prepare?.(ctx, checked);
    }
    return {
      status: 'payable',
      price: moneyView(checked.offer.amount),
      payee: checked.payee,
      title: checked.offer.title ?? checked.offer.resource,
      resourceUrl: checked.resourceUrl,
      instrument,
      siteBudgetLeft: amountView(currency, decision.siteBudgetLeft),
      dailyBudgetLeft: amountView(currency, decision.dailyBudgetLeft),
      confirmation: decision.confirmation,
      autoPay: {
        seenVisibleMs: snapshot.settings.seenVisibleMs,
        seenShownMs: snapshot.settings.seenShownMs,
      },
    };
  } catch (error) {
    return refusedView(error, checked);
  }
}

/** Logs a refusal: what a page tried and why nothing was paid. */
export async function logRefusal(
  ctx: WalletContext,
  origin: string,
  resource: string | null,
  error: unknown,
): Promise<void> {
  await ctx.db.put('refusals', {
    id: newId(),
    at: ctx.platform.now(),
    origin,
    resource,
    error: errorJson(error),
  });
}

/** The click: pays the offer or says why not. Never throws. */
export async function payOffer(
  ctx: WalletContext,
  hooks: PayHooks,
  params: PayClickParameters,
): Promise<PayOutcome> {
  let checked: CheckedOffer | undefined;
  let origin = 'unknown';
  try {
    origin = new URL(params.pageUrl).origin;
    checked = await checkOffer(ctx, params);
    const key = `${checked.origin} ${checked.hash}`;
    const now = ctx.platform.now();
    const recentClicks = recentClicksOf(ctx.db);
    const recent = recentClicks.get(key);
    if (recent !== undefined && now - recent.at < duplicateWindowMs) {
      // Joins the first click's payment, which does not carry this click's navigation.
      params.onHeld?.();
      return await recent.outcome;
    }
    const outcome = payChecked(ctx, hooks, checked, params);
    recentClicks.set(key, { at: now, outcome });
    // A refusal is not remembered: once the user has changed what refused the click (raised a
    // budget, as the refusal's hint says), the next click is a new question.
    const clicks = recentClicks;
    outcome.catch(() => {
      if (clicks.get(key)?.outcome === outcome) clicks.delete(key);
    });
    for (const [old, click] of recentClicks) {
      if (now - click.at >= duplicateWindowMs) recentClicks.delete(old);
    }
    return await outcome;
  } catch (error) {
    await logRefusal(ctx, checked?.origin ?? origin, checked?.offer.resource ?? null, error).catch(
      () => undefined,
    );
    return { status: 'refused', error: errorJson(error) };
  }
}

async function payChecked(
  ctx: WalletContext,
  hooks: PayHooks,
  checked: CheckedOffer,
  { seen, navigation, onHeld }: PayClickParameters,
): Promise<PayOutcome> {
  // An instrument's common case in one transaction (PayWord's); the long way below otherwise.
  for (const instrument of instrumentsByPreference) {
    if (instrument.reserveAtOnce === undefined) continue;
    const fast = instrument.reserveAtOnce;
    const outcome = await oneAtATime(checked.offer.merchantId, async () => {
      const payment = await fast(ctx, checked, seen);
      return payment === undefined
        ? undefined
        : sendPayment(ctx, hooks, payment, checked.offer, navigation);
    });
    if (outcome !== undefined) return outcome;
  }
  // Not at once: a page that went at the click stops (only the common case carries it).
  onHeld?.();
  for (const instrument of instrumentsByPreference) {
    await instrument.unprepare?.(ctx, checked.offer.merchantId);
  }
  const now = ctx.platform.now();
  const { previous, limits } = await readClickState(ctx, checked, now);
  const earlier = earlierPayment(previous, checked, now);
  if (earlier?.status === 'confirmed') {
    await reopenAccess(ctx, earlier);
    return paidOutcome(earlier, true);
  }
  if (earlier !== undefined)
    return oneAtATime(earlier.merchantId, () => completePayment(ctx, hooks, earlier));

  const presented = clickPresented(seen, limits.settings);
  const decision = checkLimits(limits, checked.origin, checked.offer.amount, presented);
  const [chosen, ...fallbacks] = await chooseInstruments(ctx, checked);
  const currency = limits.settings.currency;
  const confirmation = {
    pageOrigin: checked.origin,
    payee: checked.payee,
    title: checked.offer.title ?? checked.offer.resource,
    resource: checked.resourceUrl,
    price: moneyView(checked.offer.amount),
    instrument: chosen.name,
    siteBudgetLeft: amountView(currency, decision.siteBudgetLeft),
    dailyBudgetLeft: amountView(currency, decision.dailyBudgetLeft),
  };
  if (chosen.payOwnWay !== undefined) {
    // Always in the trusted window, which holds the reader (../instruments/purse/).
    return chosen.payOwnWay(ctx, checked, {
      confirm: (paymentId) =>
        hooks.confirm({
          ...confirmation,
          reason: decision.confirmation ?? 'purse_reader',
          purse: { paymentId },
        }),
      send: (payment) =>
        oneAtATime(payment.merchantId, () => sendPayment(ctx, hooks, payment, checked.offer)),
      fail: (payment, error) => failPayment(ctx, hooks, payment, error),
    });
  }
  if (decision.confirmation !== null) {
    const accepted = await hooks.confirm({ ...confirmation, reason: decision.confirmation });
    if (!accepted) {
      throw new WalletFailure(
        'confirmation_declined',
        'You declined this payment; nothing was paid.',
      );
    }
  }
  // The reservations read this offer's payments again, in their own transaction: another
  // click may have paid it (or started to) while this one waited for the user or the queue.
  // Then that payment is the answer (sendPayment finishes it or reads it back), not a second.
  return oneAtATime(checked.offer.merchantId, async () => {
    const payment = await reserveWithFallback(ctx, checked, [chosen, ...fallbacks]);
    return sendPayment(ctx, hooks, payment, checked.offer);
  });
}

/**
 * Reserves with the first instrument; when it cannot (a PayWord chain or certificate it could
 * not make), with the next, as long as the refusal is the wallet's own (a `WalletFailure`).
 */
async function reserveWithFallback(
  ctx: WalletContext,
  checked: CheckedOffer,
  [first, ...rest]: readonly [Instrument, ...Instrument[]],
): Promise<PaymentRecord> {
  try {
    return await first.reserve(ctx, checked);
  } catch (error) {
    const [next, ...after] = rest;
    if (next === undefined || !isWalletFailure(error)) throw error;
    return reserveWithFallback(ctx, checked, [next, ...after]);
  }
}
