/**
 * "Pay with card" from a checkout page: the card offer is checked (purchase.ts), the order the
 * merchant signed is shown in the trusted confirmation window — always, whatever the amount —
 * and only the user's Confirm builds and sends the purchase. The page's origin comes from the
 * browser's sender; nothing the page says about the order is shown unless it is what the
 * merchant's signed initiation commits to.
 */
import type { CardOrderView, CardPaymentView, CardPayOutcome } from '../../../messages/contract.ts';
import type { WalletContext } from '../../context.ts';
import type { CardPaymentRecord } from '../../db/schema.ts';
import { errorJson, WalletFailure } from '../../errors.ts';
import { amountView } from '../../money.ts';
import { pageOriginOf } from '../../pay/offer.ts';
import type { PayHooks } from '../../pay/pay.ts';
import {
  cardFor,
  cardOrderDisplay,
  cardPayments,
  inquireCardPayment,
  inspectCardOffer,
  payCardOffer,
} from './purchase.ts';

export async function cardCheckout(
  ctx: WalletContext,
  hooks: Pick<PayHooks, 'confirm'>,
  parameters: { readonly offerText: string; readonly pageUrl: string },
): Promise<CardPayOutcome> {
  try {
    const origin = pageOriginOf(parameters.pageUrl);
    let json: unknown;
    try {
      json = JSON.parse(parameters.offerText);
    } catch (cause) {
      throw new WalletFailure(
        'offer_invalid',
        'The page offers a card payment the wallet cannot read.',
        { cause },
      );
    }
    const checked = await inspectCardOffer(ctx, origin, json);
    const card = await cardFor(ctx, checked.bank.url);
    const display = cardOrderDisplay(checked);
    const { currency, minor } = checked.initiation.body.amount;
    const order: CardOrderView = {
      lines: display.lines,
      subtotal: display.subtotal,
      vatRate: display.vatRate,
      vat: display.vat,
      shipping: display.shipping,
      total: display.signedTotal,
    };
    const accepted = await hooks.confirm({
      reason: 'card_payment',
      pageOrigin: origin,
      payee: {
        name: checked.merchantName,
        origin,
        merchantId: checked.merchantId,
        bankUrl: checked.bank.url,
      },
      title: `Order of ${display.lines.length} item${display.lines.length === 1 ? '' : 's'}`,
      resource: new URL(parameters.pageUrl).pathname,
      price: amountView(currency, minor),
      instrument: 'card',
      // A card payment is charged to the card, not to the wallet's budgets: the window shows
      // the card instead of these.
      siteBudgetLeft: amountView(currency, 0),
      dailyBudgetLeft: amountView(currency, 0),
      card: { lastFour: card.lastFour, order },
    });
    if (!accepted) {
      throw new WalletFailure(
        'confirmation_declined',
        'You declined the card payment; nothing was paid.',
      );
    }
    const paid = await payCardOffer(ctx, checked, card.id);
    if (paid.status === 'failed') {
      throw new WalletFailure(
        'merchant_refused',
        paid.error?.message ?? 'The shop refused the card payment.',
      );
    }
    return {
      status: 'paid',
      transactionId: paid.transactionId,
      cardStatus: paid.status,
      navigateTo: checked.paidUrl,
    };
  } catch (error) {
    return { status: 'refused', error: errorJson(error) };
  }
}

async function paymentView(
  ctx: WalletContext,
  record: CardPaymentRecord,
): Promise<CardPaymentView> {
  const card = await ctx.db.get('cards', record.cardId);
  const lines = (record.order as { lines?: unknown[] } | null)?.lines?.length ?? 0;
  return {
    transactionId: record.transactionId,
    origin: record.origin,
    merchantName: record.merchantName,
    lastFour: card?.lastFour ?? '····',
    total: amountView(record.total.currency, record.total.minor),
    credited: amountView(record.total.currency, record.credited),
    status: record.status,
    lines,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export async function listCardPayments(
  ctx: WalletContext,
  limit: number,
): Promise<CardPaymentView[]> {
  const records = (await cardPayments(ctx)).slice(0, limit);
  return Promise.all(records.map((record) => paymentView(ctx, record)));
}

export async function inquireCardPaymentView(
  ctx: WalletContext,
  transactionId: string,
): Promise<CardPaymentView> {
  return paymentView(ctx, await inquireCardPayment(ctx, transactionId));
}
