/**
 * A PayWord click paid by the link's own navigation (issue 21): the merchant's guard takes the
 * credential inline on the resource request (`Authorization: Farthing credential="…"`,
 * merchant-sdk/src/server/access/guard.ts), so the click does not wait for a pay request's
 * round trip and the receipt check before the page may go.
 *
 * Order, as on the POST path: the payment is stored `sent` with its credential (one strict
 * commit, ../instruments/payword/reservation.ts) before anything can carry it; then the
 * browser is told to add the credential to this tab's next main-frame GET of exactly the
 * resource's URL (../../background/carried-navigation.ts); then the page is answered and
 * navigates. Once that navigation has had its answer (or did not come in time), the rule is
 * removed and the same credential goes to the pay endpoint, as a resend after a crash does:
 * the merchant finds the payment by credential id and answers its receipt, which is verified
 * and confirmed as on the POST path (send.ts). A crash anywhere leaves the payment `sent`, and
 * resume resends it (`runPayment`): the same guarantees as the POST path, nothing new on disk.
 *
 * The credential never enters the page: the header is added by the browser to the request,
 * which the page cannot read, and the rule matches only that tab, that URL and a top-level
 * navigation. A page that navigates itself to that URL meanwhile only sends the payment the user
 * clicked to the merchant it pays.
 *
 * The merchant's words of one vendor must arrive in order (PayWord), so the click holds the
 * vendor's queue (`oneAtATime`) until the resend has its answer.
 */
import { utf8Bytes } from '@farthing/protocol/encoding';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import type { SignedOffer } from '@farthing/protocol/offer';
import type { PayOutcome } from '../../messages/contract.ts';
import type { WalletContext } from '../context.ts';
import type { PaymentRecord } from '../db/schema.ts';
import { moneyView } from '../money.ts';
import { type PayHooks, sendPayment } from './send.ts';

/** The browser's side: one tab's next navigation to a URL made to carry a header. */
export interface NavigationCarrier {
  /**
   * Makes this tab's next top-level GET of exactly `url` carry `Authorization: authorization`;
   * in force once this resolves (throws when the browser would not). `arrived` resolves once
   * that navigation has its answer, or did not come in time, with the rule removed.
   */
  carry(url: string, authorization: string): Promise<{ readonly arrived: Promise<void> }>;
}

/** The header value the guard takes: `Farthing credential="<base64url of the credential>"`. */
export function farthingAuthorization(credential: string): string {
  return formatFarthingCredentials({ credential: utf8Bytes(credential) });
}

/**
 * Whether this payment may ride on the page's navigation: the page goes only to its own origin
 * (wallet-on-page.ts), and a navigation to the page's own address would not show it arrived.
 */
export function mayCarry(payment: PaymentRecord, pageUrl: string): boolean {
  if (payment.status !== 'sent' || payment.credential === undefined) return false;
  try {
    const target = new URL(payment.navigateTo);
    const page = new URL(pageUrl);
    return (
      target.origin === page.origin &&
      target.href !== page.href &&
      (target.protocol === 'https:' || target.protocol === 'http:')
    );
  } catch {
    return false;
  }
}

/** What a carried click answers the page: paid, the receipt to come (its id unknown yet). */
function carriedOutcome(payment: PaymentRecord): PayOutcome {
  return {
    status: 'paid',
    receiptId: '',
    price: moneyView(payment.price),
    instrument: payment.instrument,
    resource: payment.resource,
    navigateTo: payment.navigateTo,
    owned: false,
  };
}

export interface Carried {
  readonly outcome: PayOutcome;
  /** The receipt fetched, verified and confirmed (or the failure recorded); never rejects. */
  readonly settled: Promise<void>;
}

/**
 * Puts the stored `sent` payment on the page's navigation; undefined (nothing carried, the
 * browser refused the rule) sends it the POST way.
 */
export async function carryPayment(
  ctx: WalletContext,
  hooks: PayHooks,
  payment: PaymentRecord,
  offer: SignedOffer,
  carrier: NavigationCarrier,
): Promise<Carried | undefined> {
  let arrived: Promise<void>;
  try {
    ({ arrived } = await carrier.carry(
      payment.navigateTo,
      farthingAuthorization(payment.credential!),
    ));
  } catch {
    return undefined;
  }
  hooks.onCredentialReady?.(payment.id);
  // The merchant's answer to the navigation is not readable here: the same credential again, to
  // the pay endpoint, brings the receipt. A failure is recorded there (send.ts): a refusal fails
  // the payment, no answer leaves it `sent` for the task runner.
  const settled = arrived
    .then(() => sendPayment(ctx, hooks, payment, offer))
    .then(
      () => undefined,
      () => hooks.kick?.(),
    );
  return { outcome: carriedOutcome(payment), settled };
}
