/**
 * A priced link's click as the content script asks it (`offer.pay`). When the page went to the
 * resource at the click (`navigation`, `@farthing/protocol/http/paying-navigation`), the
 * payment carries that navigation's id to the merchant, which serves the navigation once paid,
 * and the click is answered when the payment ends, as any other. When the wallet does not pay
 * at once after all (it asks in its window, or makes a chain or fetches coins first), the click
 * is answered `held` as soon as that is known, so the page stops its navigation instead of
 * waiting at the merchant; the page then asks `offer.outcome` for how it ended.
 */
import type { PayHeld, PayOutcome } from '../messages/contract.ts';
import { WalletFailure } from '../wallet/errors.ts';
import { type PayClickParameters, payOffer } from '../wallet/pay/pay.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** A click answered `held`, until its page has asked how it ended (or a minute passed). */
interface HeldClick {
  readonly tabId: number;
  readonly outcome: Promise<PayOutcome>;
}

const heldClicks = new Map<string, HeldClick>();
/** Kept after the payment ends, for a page that asks late. */
const keptMs = 60_000;
/** Clicks remembered at most (each ends on its own; this only bounds a flood). */
const maxHeld = 256;

const held = Symbol('held');

export async function payClick(
  wallet: Wallet,
  tabId: number,
  params: Omit<PayClickParameters, 'onHeld'>,
): Promise<PayOutcome | PayHeld> {
  const { navigation } = params;
  if (navigation === undefined) return payOffer(wallet, wallet.hooks, params);
  let hold: () => void = () => undefined;
  const holding = new Promise<typeof held>((resolve) => {
    hold = () => resolve(held);
  });
  const outcome = payOffer(wallet, wallet.hooks, { ...params, onHeld: () => hold() });
  const first = await Promise.race([outcome, holding]);
  if (first !== held) return first;
  remember(navigation, { tabId, outcome });
  return { status: 'held' };
}

/** How a click answered `held` ended; only its own tab may ask. */
export function clickOutcome(tabId: number, navigation: string): Promise<PayOutcome> {
  const entry = heldClicks.get(navigation);
  if (entry === undefined || entry.tabId !== tabId) {
    throw new WalletFailure('invalid_message', 'This page has no payment of that id under way.');
  }
  return entry.outcome;
}

function remember(navigation: string, entry: HeldClick): void {
  if (heldClicks.size >= maxHeld) {
    const oldest = heldClicks.keys().next().value;
    if (oldest !== undefined) heldClicks.delete(oldest);
  }
  heldClicks.set(navigation, entry);
  const forget = () => {
    setTimeout(() => {
      if (heldClicks.get(navigation) === entry) heldClicks.delete(navigation);
    }, keptMs);
  };
  entry.outcome.then(forget, forget);
}
