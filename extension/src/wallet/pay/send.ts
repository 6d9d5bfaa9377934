/**
 * Steps 3–5 of paying an offer (pay.ts has steps 1–2), whatever instrument pays it: the
 * credential stored with the payment (`sent`, strict) before it leaves the wallet, the POST to
 * the descriptor's pay endpoint (with cookies, so the grant lands in the browser's jar), the
 * receipt verified, then the confirmation (relaxed: resume rebuilds it) or the failure. The
 * instrument (../instruments/) builds the credential and settles or releases what paid.
 *
 * The merchant answers the same credential for the same offer with the same receipt, so
 * resending after a crash never pays twice. A merchant's definite refusal fails the payment; no
 * answer leaves it `sent`, to be resent by the task runner (`runPayment`).
 */
import { toBase64url } from '@farthing/protocol/encoding';
import type { SignedOffer } from '@farthing/protocol/offer';
import { parseOfferToken } from '@farthing/protocol/offer-token';
import { checkReceiptForOffer, receipts, type SignedReceipt } from '@farthing/protocol/receipt';
import * as v from 'valibot';
import type { ConfirmationView, PayOutcome, TaskView } from '../../messages/contract.ts';
import { recordMissing } from '../../messages/failure.ts';
import type { WalletContext } from '../context.ts';
import { moneyTx, type PaymentRecord, rebuildableTx, type TaskRecord } from '../db/schema.ts';
import { noteUndeliveredPayment } from '../delivery/delivery.ts';
import { errorJson, WalletFailure } from '../errors.ts';
import { isTransient, merchantParty, requestJson } from '../http.ts';
import { instrumentStores } from '../instruments/instrument.ts';
import { instrumentOf } from '../instruments/registry.ts';
import { moneyView } from '../money.ts';
import { setTask, taskView } from '../tasks.ts';
import { verifyReceiptSignature } from './merchant-signatures.ts';
import { oneAtATime } from './vendor-queue.ts';

export type ConfirmationRequest = Omit<ConfirmationView, 'id' | 'expiresAt' | 'waiting'>;

export interface PayHooks {
  /** Shows the trusted confirmation window; resolves with the user's answer. */
  confirm(request: ConfirmationRequest): Promise<boolean>;
  /** Called when the credential is stored and about to be sent (the benchmark's stop watch). */
  onCredentialReady?(paymentId: string): void;
  /** Runs tasks the flow started on the side (refreshing coins after a refusal). */
  kick?(): void;
}

/** How long a payment whose page went at the click leaves that page the machine (sendPayment). */
const drawingMs = 150;

/** `owned`: nothing was paid by this click; the payment is an earlier one the user holds. */
export function paidOutcome(payment: PaymentRecord, owned: boolean): PayOutcome {
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

const payAnswer = v.object({
  receipt: v.unknown(),
  grant: v.object({ resource: v.string(), expiresAt: v.number() }),
  /** The merchant answered with an earlier payment's receipt: this credential was not taken. */
  owned: v.optional(v.literal(true)),
});

/** Steps 3–5 for a payment stored earlier, as it is stored now. */
export async function completePayment(
  ctx: WalletContext,
  hooks: PayHooks,
  reserved: PaymentRecord,
): Promise<PayOutcome> {
  const payment = (await ctx.db.get('payments', reserved.id)) ?? reserved;
  return sendPayment(ctx, hooks, payment, parseOfferToken(payment.offerToken));
}

/**
 * Steps 3–5 for a reserved or sent payment, `payment` as stored; throws when the merchant did
 * not answer. `navigation`: the id of the page's navigation that went at the click, sent along
 * so the merchant serves it once paid (`@farthing/protocol/http/paying-navigation`). Answers as
 * soon as the receipt verifies: the grant is in the browser's cookie jar and the page may go to
 * the content while the confirmation commits (`confirmPayment`).
 */
export async function sendPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  stored: PaymentRecord,
  offer: SignedOffer,
  navigation?: string,
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
    const credential = await instrumentOf(payment).credential(ctx, payment, offer);
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
        ...(navigation === undefined ? {} : { navigation }),
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
  // The page that went at the click is served by the same payment and is drawing now: what is
  // left here (the receipt's check, the confirmation) waits a moment rather than take the
  // machine from it (e2e bench, 2 cores: the paid page drew ~3–5 ms later without this). A
  // crash meanwhile leaves the payment `sent`, resent on resume for the same receipt; a paid
  // page that fails meanwhile waits for this confirmation (../delivery/delivery.ts).
  if (navigation !== undefined) await new Promise((resolve) => setTimeout(resolve, drawingMs));
  if (answer.owned === true) return heldElsewhere(ctx, hooks, payment, offer, answer);
  let receipt: SignedReceipt;
  try {
    receipt = receipts.parse(answer.receipt);
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
export async function reopenAccess(ctx: WalletContext, payment: PaymentRecord): Promise<void> {
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
    receipt = receipts.parse(answer.receipt);
    await verifyReceiptSignature(receipt, payment.offerPublicKey);
    if (receipt.merchantId !== offer.merchantId || receipt.resource !== offer.resource) {
      throw new WalletFailure(
        'merchant_refused',
        'The receipt is for another merchant or resource.',
      );
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

/** Step 5: the receipt stored, what paid settled (coins spent, words accepted), the task confirmed. */
async function confirmPayment(
  ctx: WalletContext,
  payment: PaymentRecord,
  receipt: SignedReceipt,
): Promise<void> {
  const now = ctx.platform.now();
  const tx = rebuildableTx(ctx.db, [
    'payments',
    'receipts',
    'journal',
    'sites',
    'tasks',
    ...instrumentStores,
  ]);
  // Reads first, all at once, then the writes at once: each request is a round trip to the
  // browser's storage process, and the next click's transactions wait for this one.
  const [current, settle, entries, site] = await Promise.all([
    tx.objectStore('payments').get(payment.id),
    instrumentOf(payment).settle(ctx, tx, payment),
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
      json: receipts.signedToWire(receipt),
    }),
    ...settle(),
    ...entries.map((entry) => tx.objectStore('journal').put({ ...entry, status: 'confirmed' })),
    tx.objectStore('sites').put({
      origin: payment.origin,
      name: payment.merchantName,
      budget: site?.budget ?? null,
      blocked: site?.blocked ?? false,
      lastPaidAt: now,
    }),
  ];
  await Promise.all(writes);
  await setTask(tx.objectStore('tasks'), payment.taskId, { status: 'confirmed', error: null }, now);
  await tx.done;
}

/** Step 6: the payment failed, its budget entry released, what paid refused and released. */
export async function failPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  payment: PaymentRecord,
  error: unknown,
) {
  const now = ctx.platform.now();
  const instrument = instrumentOf(payment);
  const tx = moneyTx(ctx.db, ['payments', 'journal', 'tasks', ...instrumentStores]);
  await tx.objectStore('payments').put({ ...payment, status: 'failed', error: errorJson(error) });
  await instrument.refuse(tx, payment);
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
  await instrument.release(ctx, payment);
  hooks.kick?.();
}

/** The task runner's entry: resend a reserved or sent payment. */
export async function runPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  task: TaskRecord,
): Promise<TaskView> {
  const payment = await ctx.db.get('payments', task.ref);
  if (payment === undefined) {
    throw recordMissing('payment', task.ref);
  }
  await oneAtATime(payment.merchantId, () => completePayment(ctx, hooks, payment)).catch(
    (error: unknown) => {
      if (isTransient(error)) throw error;
    },
  );
  return taskView((await ctx.db.get('tasks', task.id)) ?? task);
}
