/**
 * What a restarted worker finishes for the card: registrations whose certificate never
 * arrived (certificate query, or the request resent as written) and purchases written but not
 * answered (resent byte for byte). Failures stay for the next run (the resume alarm).
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
