/**
 * The payer's refund request (issue 20, "never pay for nothing"): when a payment was accepted
 * but the content did not arrive, the wallet asks the merchant for its money back at
 * `POST /.well-known/farthing/refund-request` with
 *
 *   { "version": 1, "reason": "not_delivered", "credential": <the credential as it was sent> }
 *
 * The credential is the proof: it names the offer and what was spent, the SDK finds the payment
 * it made (`credentialIdOf`, the same id that makes a resent payment idempotent), and nobody but
 * the payer and this merchant ever saw it (it went to the pay endpoint over the connection the
 * wallet opened). It is not signed again: the payer has no key the merchant knows (that is the
 * point of e-cash), and a request can only send the money back the way it came — to the coins
 * (e-cash: only their owner can refresh the credit) or to the account behind the PayWord
 * certificate — so a stranger replaying a request can only refund the payer.
 *
 * Whether to refund: the merchant's `decide` hook when given, else the delivery log
 * (deliveries.ts): a payment whose grant was never answered below 400 is refunded in full (what
 * is left of it) through `merchant.refund` under the refund id `undelivered-<receiptId>`, so a
 * second request answers the same refund; one whose content was served is refused with
 * `refund_request_refused`. Once refunded, the grant opens nothing more (`grant_refunded`).
 */
import { formatAmount } from '@farthing/protocol/amount';
import { decodeCredential, maxCredentialBytes } from '@farthing/protocol/credential';
import { equalBytes, utf8Bytes } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { offerHash } from '@farthing/protocol/offer';
import { parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';
import type { PaymentRecord } from '../../store/store.ts';
import { jsonResponse, readJsonBody, requireJsonContentType } from '../http/http.ts';
import { credentialIdOf } from '../payments/payments.ts';
import type { DeliveryLog, DeliveryRecord } from './deliveries.ts';
import { type RefundContext, type RefundReturnType, refundReceipt } from './refund.ts';

export const refundRequestPath = '/.well-known/farthing/refund-request';

/** What a merchant's own policy is shown to decide a refund request. */
export interface RefundRequestFacts {
  readonly receiptId: string;
  readonly payment: Pick<PaymentRecord, 'instrument' | 'resource' | 'amount' | 'paidAt'>;
  /** What the application answered to the payment's grant; undefined when it never saw it. */
  readonly delivery: DeliveryRecord | undefined;
}

/** `true`: refund in full; `false`: refuse (`refund_request_refused`, reason `policy`). */
export type RefundRequestPolicy = (facts: RefundRequestFacts) => boolean | Promise<boolean>;

export interface RefundRequestContext extends RefundContext {
  readonly deliveries: DeliveryLog;
  readonly decide: RefundRequestPolicy | undefined;
}

export interface RefundRequestAnswer {
  readonly receiptId: string;
  /** The signed refund, as the refund URL lists it. */
  readonly refund: RefundReturnType['refund'];
  readonly amount: string;
}

const requestSchema = v.strictObject({
  version: v.literal(1),
  reason: v.literal('not_delivered'),
  credential: v.record(v.string(), v.unknown()),
});

/** Room for the credential and the envelope around it. */
const maxRequestBytes = maxCredentialBytes + 1024;

const receiptIdOf = (payment: PaymentRecord): string =>
  (JSON.parse(payment.unsignedReceipt) as { receiptId: string }).receiptId;

/** The payment the credential made at this merchant, or `not_found`. */
async function paymentOf(context: RefundRequestContext, credential: unknown) {
  const decoded = decodeCredential(utf8Bytes(JSON.stringify(credential)));
  const hash = offerHash(decoded.offer);
  const payment = await context.config.store.findPayment(credentialIdOf(decoded, hash));
  if (
    payment === undefined ||
    !equalBytes(payment.offerHash, hash) ||
    decoded.offer.merchantId !== context.config.merchantId
  ) {
    throw new FarthingError('not_found', 'this shop took no payment with this credential', {
      details: { field: 'credential' },
    });
  }
  return payment;
}

/** Decides and, when the answer is yes, refunds; idempotent per payment. */
export async function answerRefundRequest(
  context: RefundRequestContext,
  body: unknown,
): Promise<RefundRequestAnswer> {
  const request = parseMessage(requestSchema, body, 'refund request');
  const payment = await paymentOf(context, request.credential);
  const receiptId = receiptIdOf(payment);
  const delivery = await context.deliveries.get(payment.grantToken);
  // A payment refunded on request before is answered with that refund, whatever happened since.
  if (delivery?.refundedAt === undefined) {
    const facts: RefundRequestFacts = { receiptId, payment, delivery };
    const refund =
      context.decide === undefined ? delivery?.servedAt === undefined : await context.decide(facts);
    if (!refund) {
      throw new FarthingError(
        'refund_request_refused',
        context.decide === undefined
          ? 'the content of this payment was delivered'
          : "the shop's refund policy refuses this request",
        {
          details: {
            reason: context.decide === undefined ? 'delivered' : 'policy',
            ...(delivery?.servedAt === undefined ? {} : { servedAt: delivery.servedAt }),
          },
        },
      );
    }
  }
  const refunded = await refundReceipt(context, receiptId, undefined, {
    refundId: `undelivered-${receiptId}`,
  });
  await context.deliveries.refunded(payment.grantToken, context.config.now());
  return {
    receiptId,
    refund: refunded.refund,
    amount: formatAmount(refunded.amount),
  };
}

/** The endpoint: `POST` only, a JSON body of at most `maxRequestBytes`. */
export async function refundRequestResponse(
  context: RefundRequestContext,
  request: Request,
): Promise<Response> {
  if (request.method !== 'POST') {
    return new Response(null, { status: 405, headers: { allow: 'POST' } });
  }
  requireJsonContentType(request, 'the refund request');
  const body = await readJsonBody(request, maxRequestBytes, 'the refund request');
  const answer = await answerRefundRequest(context, body);
  return jsonResponse(answer, 200, { 'cache-control': 'no-store' });
}

/** The guard's answer to a grant whose payment was refunded on request. */
export function grantRefunded(): FarthingError {
  return new FarthingError(
    'grant_refunded',
    'this payment was refunded at your request; pay again to read it',
  );
}
