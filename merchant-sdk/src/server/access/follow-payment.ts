/**
 * A navigation that follows its payment (issue 21; protocol credential-id.ts
 * `payingCookieName`): right after storing a credential the wallet POSTs it and, at the same
 * moment, sets the paying cookie to the credential's id and starts the navigation to the paid
 * resource. Its GET usually arrives after the payment is stored, sometimes before; the guard
 * then finds the payment here, waiting for it when it is not stored yet:
 *
 * - told at once by this process's `PaymentDesk.pay` when a payment for the id is stored or
 *   refused (payment-waiters.ts), and
 * - re-reading the store every `pollMs` until `waitMs` has passed, for a shop run as several
 *   processes whose POST landed on another one.
 *
 * The cookie is trusted for nothing but naming a payment: the id is SHA-256 over what the
 * payer spent (a PayWord word, coins' signatures), which only the payer and this merchant know,
 * and the payment found must pay exactly the resource requested, with its grant still running.
 */
import { payingCookieName } from '@farthing/protocol/credential-id';
import type { MerchantStore, PaymentRecord } from '../../store/store.ts';
import type { PaymentWaiters } from '../payments/payment-waiters.ts';

/** How often a waiting request re-reads the store for a payment another process takes. */
export const paymentPollMs = 25;

/** The paying cookie a request carries: its name as sent and the credential id it names. */
export interface PayingCookie {
  readonly name: string;
  readonly credentialId: Uint8Array;
  /** The id as sent (base64url), the waiters' key. */
  readonly text: string;
}

const plainName = payingCookieName(false);
const prefixedName = payingCookieName(true);
/** 32 bytes in canonical unpadded base64url: 43 characters, the last one's low 2 bits zero. */
const credentialIdText = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/**
 * The paying cookie of a request (either spelling of the name), when its value is a
 * well-formed credential id; anything else is no paying cookie at all.
 */
export function payingCookieOf(request: Request): PayingCookie | undefined {
  const header = request.headers.get('cookie');
  if (header === null || !header.includes(plainName)) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const name = pair.slice(0, at).trim();
    if (name !== plainName && name !== prefixedName) continue;
    const text = pair.slice(at + 1).trim();
    if (!credentialIdText.test(text)) return undefined;
    return { name, credentialId: new Uint8Array(Buffer.from(text, 'base64url')), text };
  }
  return undefined;
}

/** The `Set-Cookie` that removes the paying cookie `name` (same attributes, `Max-Age=0`). */
export function clearPayingCookie(name: string, secure: boolean): string {
  const secureAttribute = secure || name === prefixedName ? '; Secure' : '';
  return `${name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax${secureAttribute}`;
}

/** What following a payment found. */
export type FollowedPayment =
  | {
      readonly status: 'stored';
      readonly payment: Pick<PaymentRecord, 'resource' | 'grantToken' | 'grantExpiresAt'>;
    }
  /** This process's `pay` refused the credential: answered with its refusal. */
  | { readonly status: 'refused'; readonly error: unknown }
  /** Not stored within the wait, or too many requests wait already. */
  | { readonly status: 'missing' };

const missing: FollowedPayment = { status: 'missing' };

/** The payment `paying` names: stored already, or once stored within `waiters.waitMs`. */
export async function followPayment(
  waiters: PaymentWaiters,
  store: Pick<MerchantStore, 'findPayment'>,
  paying: PayingCookie,
): Promise<FollowedPayment> {
  // The common case: the POST was stored before the navigation's GET came.
  const first = await store.findPayment(paying.credentialId);
  if (first !== undefined) return { status: 'stored', payment: first };
  const watch = waiters.watch(paying.text);
  if (watch === undefined) return missing;
  const deadline = performance.now() + waiters.waitMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      // Read again once watching: a payment stored between the first read and `watch` was told
      // to no one.
      const stored = await store.findPayment(paying.credentialId);
      if (stored !== undefined) return { status: 'stored', payment: stored };
      const left = deadline - performance.now();
      if (left <= 0) return missing;
      const told = await Promise.race([
        watch.outcome,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), Math.min(paymentPollMs, left));
        }),
      ]);
      clearTimeout(timer);
      if (told === undefined) continue;
      if (told.status === 'stored') return told;
      // Refused here; another process may still have stored the same credential meanwhile.
      const elsewhere = await store.findPayment(paying.credentialId);
      return elsewhere === undefined ? told : { status: 'stored', payment: elsewhere };
    }
  } finally {
    clearTimeout(timer);
    watch.close();
  }
}
