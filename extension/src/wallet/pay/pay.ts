/**
 * Paying an offer (DESIGN.md "Priced link", steps 3–5) as a resumable task:
 *
 * 1. Check the offer (offer.ts) and the user's limits (limits.ts); ask in the confirmation
 *    window when the limits say so.
 * 2. Reserve, in one transaction that re-checks the budgets: the coins (or the PayWord words),
 *    the payment record, the spend journal entry and the task (`reserved`).
 * 3. Build the credential and store it with the payment (`sent`) before the request, in a
 *    strict commit: it is on disk before anything leaves the wallet, and its sync covers the
 *    relaxed reservation before it (commits are logged in order). PayWord reveals the word
 *    inside the reserving transaction, so there steps 2 and 3 are that one strict commit.
 * 4. POST it to the descriptor's pay endpoint (with cookies, so the grant lands in the
 *    browser's jar). The merchant answers the same credential for the same offer with the
 *    same receipt, so resending after a crash never pays twice.
 * 5. Verify the receipt and answer the click, then store the receipt, coins `spent` / words
 *    accepted, task `confirmed` in a relaxed commit: resume rebuilds it if it is lost.
 *
 * A merchant's definite refusal fails the payment and refreshes its coins at the mint (the
 * merchant holds permissions for them) or closes the PayWord chain (its words are skipped).
 * No answer leaves the payment `sent`, to be resent by the task runner.
 */
import { randomPayerCode } from '@farthing/protocol/coin/derivation';
import { toBase64url } from '@farthing/protocol/encoding';
import type { SignedOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import {
  checkReceiptForOffer,
  parseReceipt,
  receiptToWire,
  type SignedReceipt,
} from '@farthing/protocol/receipt';
import * as v from 'valibot';
import type {
  ConfirmationView,
  Instrument,
  OfferView,
  PayOutcome,
  TaskView,
} from '../../messages/contract.ts';
import { keySetOf, sessionToken } from '../bank/banks.ts';
import { perDatabase, type WalletContext } from '../context.ts';
import {
  moneyTx,
  newId,
  type PaymentRecord,
  type PaywordChainRecord,
  rebuildableTx,
  type TaskRecord,
} from '../db/schema.ts';
import { noteUndeliveredPayment } from '../delivery/delivery.ts';
import { refreshCoin, runChange, startChange } from '../ecash/change.ts';
import { planChange, selectExact } from '../ecash/denominations.ts';
import { signingDenominations } from '../ecash/issuance.ts';
import { errorJson, isWalletFailure, WalletFailure } from '../errors.ts';
import { isTransient, merchantParty, requestJson } from '../http.ts';
import { amountView, moneyView } from '../money.ts';
import {
  certificateOf,
  paywordChainLength,
  paywordMaxPrice,
  usableChain,
} from '../payword/purse.ts';
import { payWithPurse, purseMayPay } from '../purse/purse-payment.ts';
import { newTask, setTask, taskView } from '../tasks.ts';
import { buildCredential } from './credential.ts';
import { checkLimits, type LimitsSnapshot } from './limits.ts';
import { verifyReceiptSignature } from './merchant-signatures.ts';
import { type CheckedOffer, checkOffer } from './offer.ts';
import { expectChain, reserveAtOnce, reservePayword } from './payword-reservation.ts';
import { type ClickSeen, clickPresented } from './presentation.ts';
import {
  abort,
  basePayment,
  earlierPayment,
  earlierPaymentIn,
  isStillPaid,
  journalEntry,
  limitsSnapshot,
  paymentsOfResource,
  reserveSnapshot,
  reserveStores,
} from './reservation.ts';

/** A second click on the same offer within this time joins the first one's payment. */
export const duplicateWindowMs = 5_000;

export type ConfirmationRequest = Omit<ConfirmationView, 'id' | 'expiresAt' | 'waiting'>;

export interface PayHooks {
  /** Shows the trusted confirmation window; resolves with the user's answer. */
  confirm(request: ConfirmationRequest): Promise<boolean>;
  /** Called when the credential is stored and about to be sent (the benchmark's stop watch). */
  onCredentialReady?(paymentId: string): void;
  /** Runs tasks the flow started on the side (refreshing coins after a refusal). */
  kick?(): void;
}

export interface PayOfferParameters {
  readonly token: string;
  readonly href: string;
  /** The page's URL, from the browser's MessageSender. */
  readonly pageUrl: string;
}

export interface PayClickParameters extends PayOfferParameters {
  readonly seen: ClickSeen;
}

interface RecentClick {
  readonly at: number;
  readonly outcome: Promise<PayOutcome>;
}
/** Per wallet (database): clicks of the last few seconds and their outcome. */
const recentClicksOf = perDatabase<string, RecentClick>();
const vendorQueues = new Map<string, Promise<unknown>>();

/** What a click decides on before anything is reserved. */
interface ClickState {
  /** Earlier payments of this offer's resource, whatever offer they paid. */
  readonly previous: readonly PaymentRecord[];
  readonly limits: LimitsSnapshot;
  /** The vendor's open PayWord chain with words for this price, when PayWord may pay it. */
  readonly openChain: PaywordChainRecord | undefined;
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
  const tx = ctx.db.transaction(['payments', 'settings', 'sites', 'journal', 'paywordChains']);
  const { offer } = checked;
  const [previous, limits, openChains] = await Promise.all([
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
    paywordMayPay(checked)
      ? tx.objectStore('paywordChains').index('vendor').getAll([offer.merchantId, 'open'])
      : [],
  ]);
  return { previous, limits, openChain: usableChain(openChains, offer.amount.minor, now) };
}

async function spendableTotal(
  ctx: WalletContext,
  bankUrl: string,
  currency: string,
): Promise<number> {
  const coins = await ctx.db.getAllFromIndex('coins', 'status', 'spendable');
  return coins
    .filter((coin) => coin.bankUrl === bankUrl && coin.currency === currency)
    .reduce((sum, coin) => sum + coin.minor, 0);
}

function paywordMayPay(checked: CheckedOffer): boolean {
  const { offer } = checked;
  return offer.instruments.includes('payword') && offer.amount.minor <= paywordMaxPrice;
}

/** PayWord for small prices when the merchant takes it and the wallet can pay with it. */
async function chooseInstrument(
  ctx: WalletContext,
  checked: CheckedOffer,
  openChain: PaywordChainRecord | undefined,
): Promise<Instrument> {
  const { offer, bank } = checked;
  const price = offer.amount;
  // The hardware purse when the user prefers it and the merchant takes it (wallet/purse/).
  if (await purseMayPay(ctx, checked)) return 'purse';
  if (paywordMayPay(checked)) {
    if (openChain !== undefined) return 'payword';
    const certificate = await certificateOf(
      ctx,
      bank.url,
      Math.min(price.minor, paywordChainLength),
    );
    if (certificate !== undefined) return 'payword';
    const loggedIn = await sessionToken(ctx, bank.url).then(
      () => true,
      () => false,
    );
    if (loggedIn) return 'payword';
  }
  if (offer.instruments.includes('ecash')) return 'ecash';
  throw new WalletFailure(
    'instrument_unsupported',
    'This site takes no means of payment this wallet has.',
  );
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

/** What a click on this offer would do (the tooltip); decides nothing, pays nothing. */
export async function describeOffer(
  ctx: WalletContext,
  params: PayOfferParameters,
): Promise<OfferView> {
  let checked: CheckedOffer | undefined;
  try {
    checked = await checkOffer(ctx, {
      token: params.token,
      href: params.href,
      pageUrl: params.pageUrl,
    });
    const now = ctx.platform.now();
    const { previous, limits: snapshot, openChain } = await readClickState(ctx, checked, now);
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
    const instrument = await chooseInstrument(ctx, checked, openChain);
    if (
      instrument === 'ecash' &&
      (await spendableTotal(ctx, checked.bank.url, checked.offer.amount.currency)) <
        checked.offer.amount.minor
    ) {
      throw new WalletFailure(
        'insufficient_funds',
        'Not enough coins: withdraw more from your bank.',
        {
          hint: 'popup#withdraw',
        },
      );
    }
    const currency = snapshot.settings.currency;
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
    if (recent !== undefined && now - recent.at < duplicateWindowMs) return await recent.outcome;
    const outcome = payChecked(ctx, hooks, checked, params.seen);
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

/** `owned`: nothing was paid by this click; the payment is an earlier one the user holds. */
function paidOutcome(payment: PaymentRecord, owned: boolean): PayOutcome {
  return {
    status: 'paid',
    receiptId: payment.receiptId!,
    price: moneyView(payment.price),
    instrument: payment.instrument,
    resource: payment.resource,
    navigateTo: payment.navigateTo,
    owned,
  };
}

function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = vendorQueues.get(key) ?? Promise.resolve();
  const result = previous.then(run, run);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  vendorQueues.set(key, tail);
  void tail.then(() => {
    if (vendorQueues.get(key) === tail) vendorQueues.delete(key);
  });
  return result;
}

async function payChecked(
  ctx: WalletContext,
  hooks: PayHooks,
  checked: CheckedOffer,
  seen: ClickSeen,
): Promise<PayOutcome> {
  // PayWord's common case in one transaction (reserveAtOnce); the long way below otherwise.
  if (paywordMayPay(checked)) {
    const outcome = await oneAtATime(checked.offer.merchantId, async () => {
      const payment = await reserveAtOnce(ctx, checked, seen);
      return payment === undefined ? undefined : sendPayment(ctx, hooks, payment, checked.offer);
    });
    if (outcome !== undefined) return outcome;
  }
  const now = ctx.platform.now();
  const { previous, limits, openChain } = await readClickState(ctx, checked, now);
  const earlier = earlierPayment(previous, checked, now);
  if (earlier?.status === 'confirmed') {
    await reopenAccess(ctx, earlier);
    return paidOutcome(earlier, true);
  }
  if (earlier !== undefined)
    return oneAtATime(earlier.merchantId, () => completePayment(ctx, hooks, earlier));

  const presented = clickPresented(seen, limits.settings);
  const decision = checkLimits(limits, checked.origin, checked.offer.amount, presented);
  let instrument = await chooseInstrument(ctx, checked, openChain);
  if (instrument === 'purse') {
    // Always in the trusted window, which holds the reader (wallet/purse/purse-payment.ts).
    const currency = limits.settings.currency;
    return payWithPurse(ctx, checked, {
      confirm: (paymentId) =>
        hooks.confirm({
          reason: decision.confirmation ?? 'purse_reader',
          pageOrigin: checked.origin,
          payee: checked.payee,
          title: checked.offer.title ?? checked.offer.resource,
          resource: checked.resourceUrl,
          price: moneyView(checked.offer.amount),
          instrument,
          siteBudgetLeft: amountView(currency, decision.siteBudgetLeft),
          dailyBudgetLeft: amountView(currency, decision.dailyBudgetLeft),
          purse: { paymentId },
        }),
      send: (payment) =>
        oneAtATime(payment.merchantId, () => sendPayment(ctx, hooks, payment, checked.offer)),
      fail: (payment, error) => failPayment(ctx, hooks, payment, error),
    });
  }
  if (decision.confirmation !== null) {
    const currency = limits.settings.currency;
    const accepted = await hooks.confirm({
      reason: decision.confirmation,
      pageOrigin: checked.origin,
      payee: checked.payee,
      title: checked.offer.title ?? checked.offer.resource,
      resource: checked.resourceUrl,
      price: moneyView(checked.offer.amount),
      instrument,
      siteBudgetLeft: amountView(currency, decision.siteBudgetLeft),
      dailyBudgetLeft: amountView(currency, decision.dailyBudgetLeft),
    });
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
    let payment: PaymentRecord;
    if (instrument === 'payword') {
      try {
        payment = await reservePayword(ctx, checked, openChain);
      } catch (error) {
        if (!checked.offer.instruments.includes('ecash') || !isWalletFailure(error)) throw error;
        instrument = 'ecash';
        payment = await reserveEcash(ctx, checked);
      }
    } else {
      payment = await reserveEcash(ctx, checked);
    }
    return sendPayment(ctx, hooks, payment, checked.offer);
  });
}

/**
 * Reserves coins worth the price (making change first when none add up to it) for a new
 * payment; or, when the offer is paid or in flight already, writes nothing and gives that
 * payment back.
 */
async function reserveEcash(ctx: WalletContext, checked: CheckedOffer): Promise<PaymentRecord> {
  const price = checked.offer.amount;
  const payerCode = randomPayerCode();
  for (let attempt = 0; ; attempt++) {
    const now = ctx.platform.now();
    // Nothing leaves the wallet before the strict `sent` write in completePayment.
    const tx = rebuildableTx(ctx.db, [...reserveStores]);
    try {
      const [earlier, limits] = await Promise.all([
        earlierPaymentIn(tx, checked, now),
        reserveSnapshot(tx, checked.origin, now),
      ]);
      if (earlier !== undefined) {
        await abort(tx);
        return earlier;
      }
      // Budgets again, inside the transaction that spends: two clicks cannot both fit.
      checkLimits(limits, checked.origin, price);
    } catch (error) {
      await abort(tx);
      throw error;
    }
    const coins = (await tx.objectStore('coins').index('status').getAll('spendable')).filter(
      (coin) => coin.bankUrl === checked.bank.url && coin.currency === price.currency,
    );
    const withIds = coins.map((coin) => ({ ...coin, id: coin.coinPub }));
    const selected = selectExact(withIds, price.minor);
    if (selected === undefined) {
      await abort(tx);
      if (attempt > 0) throw new WalletFailure('payment_in_progress', 'Coins are busy; try again.');
      await makeChange(ctx, checked, withIds, price.minor);
      continue;
    }
    const task = newTask('pay', '', { currency: price.currency, minor: price.minor }, now);
    const payment: PaymentRecord = {
      ...basePayment(checked, 'ecash', task.id, now),
      coins: selected.map((coin) => coin.coinPub),
      payerCode,
    };
    for (const coin of selected) {
      const { id: _id, ...record } = coin;
      await tx
        .objectStore('coins')
        .put({ ...record, status: 'reserved', reservedBy: payment.id, updatedAt: now });
    }
    await tx.objectStore('payments').add(payment);
    await tx.objectStore('journal').add(journalEntry(payment, now));
    await tx.objectStore('tasks').add({ ...task, ref: payment.id });
    await tx.done;
    return payment;
  }
}

async function makeChange(
  ctx: WalletContext,
  checked: CheckedOffer,
  coins: readonly (import('../db/schema.ts').CoinRecord & { id: string })[],
  price: number,
): Promise<void> {
  const keySet = await keySetOf(ctx, checked.bank);
  const values = [
    ...signingDenominations(keySet, checked.offer.amount.currency, ctx.platform.now()).keys(),
  ];
  const plan = planChange(coins, price, values);
  if (plan === undefined) {
    throw new WalletFailure(
      'insufficient_funds',
      'Not enough coins: withdraw more from your bank.',
      {
        hint: 'popup#withdraw',
      },
    );
  }
  const { id: _id, ...coin } = plan.coin;
  const task = await startChange(ctx, coin, plan.values);
  await runChange(ctx, task);
}

const payAnswer = v.object({
  receipt: v.unknown(),
  grant: v.object({ resource: v.string(), expiresAt: v.number() }),
  /** The merchant answered with an earlier payment's receipt: this credential was not taken. */
  owned: v.optional(v.literal(true)),
});

/** Steps 3–5 for a payment stored earlier, as it is stored now. */
async function completePayment(
  ctx: WalletContext,
  hooks: PayHooks,
  reserved: PaymentRecord,
): Promise<PayOutcome> {
  const payment = (await ctx.db.get('payments', reserved.id)) ?? reserved;
  return sendPayment(ctx, hooks, payment, parseOfferToken(payment.offerToken));
}

/**
 * Steps 3–5 for a reserved or sent payment, `payment` as stored; throws when the merchant did
 * not answer. Answers as soon as the receipt verifies: the grant is in the browser's cookie jar
 * and the page may go to the content while the confirmation commits (`confirmPayment`).
 */
async function sendPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  stored: PaymentRecord,
  offer: SignedOffer,
): Promise<PayOutcome> {
  let payment = stored;
  if (payment.status === 'confirmed') return paidOutcome(payment, true);
  if (payment.status === 'failed') {
    throw new WalletFailure(
      payment.error?.code ?? 'merchant_refused',
      payment.error?.message ?? 'The payment failed.',
    );
  }
  if (payment.status === 'reserved' || payment.credential === undefined) {
    const credential = await buildCredential(ctx, payment, offer);
    const tx = moneyTx(ctx.db, ['payments', 'tasks']);
    payment = { ...payment, status: 'sent', credential };
    await tx.objectStore('payments').put(payment);
    await setTask(tx.objectStore('tasks'), payment.taskId, { status: 'sent' }, ctx.platform.now());
    await tx.done;
  }
  hooks.onCredentialReady?.(payment.id);
  let answer: v.InferOutput<typeof payAnswer>;
  try {
    answer = await requestJson(
      ctx.platform,
      merchantParty,
      {
        method: 'POST',
        url: payment.payEndpoint,
        text: payment.credential!,
        credentials: 'include',
      },
      payAnswer,
    );
  } catch (error) {
    if (isTransient(error)) {
      await noteUndeliveredPayment(ctx, payment, error).catch(() => undefined);
      throw new WalletFailure(
        'merchant_unreachable',
        `${payment.origin} did not answer. The wallet will send the same payment again; it cannot be paid twice.`,
        { detail: { transient: true }, cause: error },
      );
    }
    await failPayment(ctx, hooks, payment, error);
    throw error;
  }
  if (answer.owned === true) return heldElsewhere(ctx, hooks, payment, offer, answer);
  let receipt: SignedReceipt;
  try {
    receipt = parseReceipt(answer.receipt);
    await verifyReceiptSignature(receipt, payment.offerPublicKey);
    checkReceiptForOffer(receipt, offer);
  } catch (cause) {
    const error = new WalletFailure(
      'merchant_refused',
      `${payment.origin} sent a receipt that does not verify.`,
      {
        cause,
      },
    );
    await failPayment(ctx, hooks, payment, error);
    throw error;
  }
  const confirmed: PaymentRecord = {
    ...payment,
    status: 'confirmed',
    receiptId: toBase64url(receipt.receiptId),
    grantExpiresAt: answer.grant.expiresAt,
  };
  // Opens its transaction now, so every later transaction on these stores (the next click's,
  // the history's) sees the confirmation. If the commit is lost, the payment is still `sent`
  // with its credential: resume resends it and the merchant answers with the same receipt.
  confirmPayment(ctx, confirmed, receipt).catch(() => hooks.kick?.());
  return paidOutcome(confirmed, false);
}

/**
 * A resource the user owns, opened again: its payment's credential goes to the merchant once
 * more, which answers it with the same receipt and sets the access grant's cookie again (the
 * user may have cleared cookies). Nothing is paid: the merchant knows the credential. Without an
 * answer the page still opens; the merchant's paywall then says what is wrong.
 */
async function reopenAccess(ctx: WalletContext, payment: PaymentRecord): Promise<void> {
  if (payment.credential === undefined) return;
  await requestJson(
    ctx.platform,
    merchantParty,
    { method: 'POST', url: payment.payEndpoint, text: payment.credential, credentials: 'include' },
    payAnswer,
  ).catch(() => undefined);
}

/**
 * The merchant says this browser holds the resource already (a grant this wallet has no
 * payment for: another profile's, or one restored without its history) and answered with that
 * payment's receipt, not taking this credential. Once that receipt verifies as the merchant's,
 * for this resource, this payment is ended unpaid: its budget entry released, its coins
 * exchanged at the mint (the merchant holds permissions for them), its PayWord chain closed.
 */
async function heldElsewhere(
  ctx: WalletContext,
  hooks: PayHooks,
  payment: PaymentRecord,
  offer: SignedOffer,
  answer: v.InferOutput<typeof payAnswer>,
): Promise<PayOutcome> {
  let receipt: SignedReceipt;
  try {
    receipt = parseReceipt(answer.receipt);
    await verifyReceiptSignature(receipt, payment.offerPublicKey);
    if (receipt.merchantId !== offer.merchantId || receipt.resource !== offer.resource) {
      throw new Error('the receipt is for another merchant or resource');
    }
  } catch (cause) {
    const error = new WalletFailure(
      'merchant_refused',
      `${payment.origin} sent a receipt that does not verify.`,
      { cause },
    );
    await failPayment(ctx, hooks, payment, error);
    throw error;
  }
  await failPayment(
    ctx,
    hooks,
    payment,
    new WalletFailure('already_paid', 'You had paid for this already; nothing was paid again.'),
  );
  return {
    status: 'paid',
    receiptId: toBase64url(receipt.receiptId),
    price: moneyView(receipt.amount),
    instrument: payment.instrument,
    resource: payment.resource,
    navigateTo: payment.navigateTo,
    owned: true,
  };
}

/** Step 5: the receipt stored, the coins spent or the words accepted, the task confirmed. */
async function confirmPayment(
  ctx: WalletContext,
  payment: PaymentRecord,
  receipt: SignedReceipt,
): Promise<void> {
  const now = ctx.platform.now();
  const tx = rebuildableTx(ctx.db, [
    'payments',
    'receipts',
    'coins',
    'paywordChains',
    'journal',
    'sites',
    'tasks',
  ]);
  // Reads first, all at once, then the writes at once: each request is a round trip to the
  // browser's storage process, and the next click's transactions wait for this one.
  const [current, coins, chain, entries, site] = await Promise.all([
    tx.objectStore('payments').get(payment.id),
    Promise.all((payment.coins ?? []).map((coinPub) => tx.objectStore('coins').get(coinPub))),
    payment.chainId === undefined
      ? undefined
      : tx.objectStore('paywordChains').get(payment.chainId),
    tx.objectStore('journal').index('paymentId').getAll(payment.id),
    tx.objectStore('sites').get(payment.origin),
  ]);
  if (current?.status === 'confirmed') {
    await tx.done;
    return;
  }
  const writes: Promise<unknown>[] = [
    tx.objectStore('payments').put(payment),
    tx.objectStore('receipts').put({
      receiptId: payment.receiptId!,
      paymentId: payment.id,
      origin: payment.origin,
      merchantName: payment.merchantName,
      resource: payment.resource,
      title: payment.title,
      price: payment.price,
      instrument: payment.instrument,
      paidAt: receipt.paidAt,
      json: receiptToWire(receipt),
    }),
    ...coins.flatMap((coin) =>
      coin === undefined
        ? []
        : [tx.objectStore('coins').put({ ...coin, status: 'spent', updatedAt: now })],
    ),
    ...entries.map((entry) => tx.objectStore('journal').put({ ...entry, status: 'confirmed' })),
    tx.objectStore('sites').put({
      origin: payment.origin,
      name: payment.merchantName,
      budget: site?.budget ?? null,
      blocked: site?.blocked ?? false,
      lastPaidAt: now,
    }),
  ];
  if (chain !== undefined && chain.acceptedIndex < payment.index!) {
    const accepted: PaywordChainRecord = { ...chain, acceptedIndex: payment.index! };
    writes.push(tx.objectStore('paywordChains').put(accepted));
    // Every later transaction sees this write, so the next click expects it.
    expectChain(ctx.db, accepted);
  }
  await Promise.all(writes);
  await setTask(tx.objectStore('tasks'), payment.taskId, { status: 'confirmed', error: null }, now);
  await tx.done;
}

async function failPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  payment: PaymentRecord,
  error: unknown,
) {
  const now = ctx.platform.now();
  const tx = moneyTx(ctx.db, ['payments', 'paywordChains', 'journal', 'tasks']);
  await tx.objectStore('payments').put({ ...payment, status: 'failed', error: errorJson(error) });
  if (payment.chainId !== undefined) {
    const chain = await tx.objectStore('paywordChains').get(payment.chainId);
    if (chain !== undefined)
      await tx.objectStore('paywordChains').put({ ...chain, status: 'closed' });
  }
  for (const entry of await tx.objectStore('journal').index('paymentId').getAll(payment.id)) {
    await tx.objectStore('journal').put({ ...entry, status: 'failed' });
  }
  await setTask(
    tx.objectStore('tasks'),
    payment.taskId,
    { status: 'failed', error: errorJson(error) },
    now,
  );
  await tx.done;
  // The merchant holds deposit permissions for these coins: exchange them at the mint.
  for (const coinPub of payment.coins ?? []) {
    const coin = await ctx.db.get('coins', coinPub);
    if (coin !== undefined && coin.status === 'reserved' && coin.reservedBy === payment.id) {
      await refreshCoin(ctx, coin, payment.id).catch(() => undefined);
    }
  }
  hooks.kick?.();
}

/** The task runner's entry: resend a reserved or sent payment. */
export async function runPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  task: TaskRecord,
): Promise<TaskView> {
  const payment = await ctx.db.get('payments', task.ref);
  if (payment === undefined) throw new Error(`payment ${task.ref} is missing`);
  await oneAtATime(payment.merchantId, () => completePayment(ctx, hooks, payment)).catch(
    (error: unknown) => {
      if (isTransient(error)) throw error;
    },
  );
  return taskView((await ctx.db.get('tasks', task.id)) ?? task);
}
