/**
 * A priced link's click as the content script asks it (`offer.pay`): the payment
 * (wallet/pay/pay.ts), and the page sent on as soon as the credential has left instead of when
 * the receipt is back. Once a PayWord credential is stored and its POST started, the paying
 * cookie naming that payment (`@farthing/protocol/credential-id`) is set on the merchant's
 * origin and the click answers `sending`: the page goes to the resource at once, and the
 * merchant serves that navigation when the POST has paid (or its 402 when the POST was
 * refused). The payment goes on in the service worker as before (receipt checked, confirmation
 * stored); the page asks how it ended with `offer.outcome`.
 *
 * Nothing about the money changes: the credential is stored strictly before the POST and the
 * cookie, which name a payment, not pay one; a cookie the browser refuses to set sends the click
 * the old way (the page goes once the receipt verifies).
 */
import { payingCookieMaxAgeS, payingCookieName } from '@farthing/protocol/credential-id';
import type { PayOutcome, PaySending } from '../messages/contract.ts';
import { WalletFailure } from '../wallet/errors.ts';
import { moneyView } from '../wallet/money.ts';
import { type PayClickParameters, payOffer, type SendingPayment } from '../wallet/pay/pay.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** The browser's cookie jar as a click uses it (`cookies.set` in the service worker). */
export interface CookieBridge {
  /** Sets `name=value` on `url`'s origin: host-only, `Path=/`, HttpOnly, SameSite=Lax. */
  set(cookie: {
    readonly url: string;
    readonly name: string;
    readonly value: string;
    readonly secure: boolean;
    readonly expiresAt: number;
  }): Promise<void>;
}

/** A click answered `sending`, until its page has asked how it ended (or a minute passed). */
interface InFlight {
  readonly tabId: number;
  readonly outcome: Promise<PayOutcome>;
}

const inFlight = new Map<string, InFlight>();
/** Kept after the payment ends, for a page that asks late (a slow answer, a page that stayed). */
const keptMs = 60_000;
/** Clicks remembered at most (each ends on its own; this only bounds a flood). */
const maxInFlight = 256;

export async function payClick(
  wallet: Wallet,
  cookies: CookieBridge,
  tabId: number,
  params: Omit<PayClickParameters, 'onSending'>,
): Promise<PayOutcome | PaySending> {
  let told: (sending: SendingPayment) => void = () => undefined;
  const sending = new Promise<SendingPayment>((resolve) => {
    told = resolve;
  });
  const outcome = payOffer(wallet, wallet.hooks, { ...params, onSending: (s) => told(s) });
  const first = await Promise.race([outcome, sending]);
  if (!('credentialId' in first)) return first;
  const { payment, credentialId } = first;
  const secure = payment.navigateTo.startsWith('https:');
  try {
    await cookies.set({
      url: payment.navigateTo,
      name: payingCookieName(secure),
      value: credentialId,
      secure,
      expiresAt: wallet.platform.now() + payingCookieMaxAgeS * 1000,
    });
  } catch {
    return outcome;
  }
  remember(payment.id, { tabId, outcome });
  return {
    status: 'sending',
    paymentId: payment.id,
    price: moneyView(payment.price),
    navigateTo: payment.navigateTo,
  };
}

/** How a click that answered `sending` ended; only its own tab may ask. */
export function clickOutcome(tabId: number, paymentId: string): Promise<PayOutcome> {
  const entry = inFlight.get(paymentId);
  if (entry === undefined || entry.tabId !== tabId) {
    throw new WalletFailure('invalid_message', 'This page has no payment of that id on its way.');
  }
  return entry.outcome;
}

function remember(paymentId: string, entry: InFlight): void {
  if (inFlight.size >= maxInFlight) {
    const oldest = inFlight.keys().next().value;
    if (oldest !== undefined) inFlight.delete(oldest);
  }
  inFlight.set(paymentId, entry);
  const forget = () => {
    setTimeout(() => {
      if (inFlight.get(paymentId) === entry) inFlight.delete(paymentId);
    }, keptMs);
  };
  entry.outcome.then(forget, forget);
}
