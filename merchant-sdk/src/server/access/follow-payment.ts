/**
 * A navigation that follows its payment (issue 21; protocol http/paying-navigation.ts): at a
 * click the wallet's page goes at once to the paid resource with `?farthing-paying=<id>`, while
 * the wallet POSTs the credential to the pay endpoint with `Farthing-Navigation: <id>`. The
 * GET may reach the guard after the payment is decided (its outcome is kept, found at once) or
 * before (it waits until the pay endpoint tells the id, at most `waitMs`); payment-waiters.ts.
 *
 * The id is trusted for nothing but naming a navigation: 16 random bytes only the user's
 * browser and this merchant see, and the payment told for it must pay exactly the resource
 * requested, with its grant still running (guard.ts).
 */
import type { PaymentOutcome, PaymentWaiters } from '../payments/payment-waiters.ts';

/** What following a navigation's payment found. */
export type FollowedPayment =
  | PaymentOutcome
  /** Not told within the wait, or too many requests wait already. */
  | { readonly status: 'missing' };

const missing: FollowedPayment = { status: 'missing' };

/** How the payment carrying `navigation` ended: told already, or once told within `waitMs`. */
export async function followNavigation(
  waiters: PaymentWaiters,
  navigation: string,
): Promise<FollowedPayment> {
  // The common case: the POST was decided before the navigation's GET came.
  const told = waiters.take(navigation);
  if (told !== undefined) return told;
  if (waiters.waitMs === 0) return missing;
  const watch = waiters.watch(navigation);
  if (watch === undefined) return missing;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      watch.outcome,
      new Promise<FollowedPayment>((resolve) => {
        timer = setTimeout(() => resolve(missing), waiters.waitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    watch.close();
  }
}
