/**
 * What a restarted worker finishes for the card: registrations whose certificate never
 * arrived (certificate query, or the request resent as written) and purchases written but not
 * answered (resent byte for byte). Failures stay for the next run (the resume alarm).
 *
 * Why the card is not an `Instrument` (../instrument.ts), step by step of that interface:
 * - `mayPay`/`reserve` take a priced link's checked offer and promise value the wallet holds
 *   (coins, PayWord words) under the budgets, with a journal entry and a `pay` task, so a click
 *   can pay without asking. A card purchase answers a SET purchase initiation for a cart (lines,
 *   VAT, shipping) at the shop's purchase URL, is always confirmed in the window with its order,
 *   and the wallet holds none of its value: there is nothing to reserve.
 * - `credential` is rebuilt from the reservation, the same bytes every time. A SET purchase
 *   request cannot be: fresh OI/PI nonces and an HPKE envelope with an ephemeral key make every
 *   build different, and the gateway would see a second authorization. So the request itself is
 *   written (strict) before it leaves and resent byte for byte: the record is the credential.
 * - `settle`/`refuse`/`release` spend or give back what the wallet held, on a Farthing receipt
 *   and grant. A card purchase is answered with a SET purchase-response (authorized, captured),
 *   whose state moves on later (capture, reversal, credits; read by a signed inquiry), and the
 *   gateway, not the wallet, holds and returns the money.
 * What it implements instead (purchase.ts): write then send (`payCardOffer`), resend as
 * written (`resumeCardPayments`, here), a refusal ends it `failed` and is not resent, and
 * `inquireCardPayment`; purchase.test.ts stops the worker at every step of it.
 */
import type { WalletContext } from '../../context.ts';
import { resumePendingCards } from './cards.ts';
import { resumeCardPayments } from './purchase.ts';

let running: Promise<void> | undefined;

export function resumeCards(ctx: WalletContext): Promise<void> {
  running ??= (async () => {
    try {
      await resumePendingCards(ctx);
      await resumeCardPayments(ctx);
    } finally {
      running = undefined;
    }
  })();
  return running;
}
