/**
 * Never paying for nothing (wallet/delivery/): contract.ts spreads `deliveryActions` into its
 * `actions`. A content script only reports that the page it runs in answered 5xx (the page
 * comes from the browser's sender, never the payload); the history page lists payments whose
 * content did not arrive and asks for their refund.
 */
import * as v from 'valibot';
import { contentAction, noInput, output, pageAction } from './output.ts';

/** contract.ts's `AmountView` (it imports this file, so this one cannot import it). */
interface DeliveryAmount {
  readonly currency: string;
  readonly minor: number;
  readonly text: string;
}

export type DeliveryStatus =
  | 'retrying'
  | 'delivered'
  | 'not_delivered'
  | 'refund_requested'
  | 'refunded'
  | 'refund_refused';

export interface DeliveryView {
  readonly paymentId: string;
  readonly status: DeliveryStatus;
  readonly what: 'content' | 'payment';
  readonly title: string;
  readonly url: string;
  readonly origin: string;
  readonly merchantName: string;
  readonly price: DeliveryAmount;
  readonly instrument: 'ecash' | 'payword' | 'purse' | 'card';
  /** The receipt, when the merchant's answer to the payment arrived. */
  readonly receiptId: string | null;
  readonly firstFailureAt: number;
  /** When a payment still failing counts as not delivered (`notDeliveredAfterMs` later). */
  readonly notDeliveredAt: number;
  readonly checks: number;
  readonly lastStatus: number | null;
  readonly refunded: DeliveryAmount | null;
  /** The refund request's failure, as the wallet's errors are told (`code`, `message`). */
  readonly error: { readonly code: string; readonly message: string } | null;
}

export const deliveryActions = {
  /** The page this content script runs in answered 5xx: if it is a paid page, retry it. */
  'delivery.failed': contentAction(
    v.strictObject({
      status: v.pipe(v.number(), v.safeInteger(), v.minValue(500), v.maxValue(599)),
    }),
    output<boolean>(),
  ),
  /** Payments whose content did not arrive (yet), newest first. */
  'delivery.list': pageAction(noInput, output<readonly DeliveryView[]>()),
  /** The one-click refund request for a payment shown as not delivered. */
  'delivery.requestRefund': pageAction(
    v.strictObject({ paymentId: v.pipe(v.string(), v.minLength(1), v.maxLength(64)) }),
    output<DeliveryView>(),
  ),
} as const;
