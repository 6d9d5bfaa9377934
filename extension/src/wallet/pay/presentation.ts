/**
 * Auto-pay only what the user saw (DESIGN.md "Decisions": auto-pay only what the user saw;
 * README "Auto-pay only what you saw"). The content script measures a click with the browser's
 * own checks and sends the figures; this module judges them against the user's settings. The
 * background trusts the figures as far as it trusts its content script (the page cannot send on
 * the script's port, nor read or change the script's memory); every value the page controls
 * (where a link is drawn, how, what covers it, which offer it carries) is measured, not told.
 *
 * A click that fails any check is not refused: it asks in the wallet's own window, which no
 * page can cover or frame.
 */
import type { Presentation } from '../../messages/contract.ts';
import type { SettingsRecord } from '../db/schema.ts';

export type PresentationSettings = Pick<SettingsRecord, 'seenVisibleMs' | 'seenShownMs'>;

/**
 * Whether this click may pay without asking: the link hit (pointer) or focused (keyboard), on
 * screen and unobstructed for `seenVisibleMs`, its offer the one the wallet's tooltip (or
 * paywall bar) showed for `seenShownMs`; keyboard activation only of a link focused for
 * `seenVisibleMs` too, so a page cannot move focus onto a link as the user presses Enter.
 * A click that proved nothing (no figures) was not presented.
 */
export function wasPresented(
  presentation: Presentation | undefined,
  settings: PresentationSettings,
): boolean {
  if (presentation === undefined || !presentation.hit) return false;
  if (presentation.visibleMs < settings.seenVisibleMs) return false;
  if (presentation.shownMs < settings.seenShownMs) return false;
  if (presentation.input === 'keyboard' && presentation.focusMs < settings.seenVisibleMs) {
    return false;
  }
  return true;
}

/**
 * What shows the user meant a payment: a click on a web page with what the content script
 * measured of it (undefined when it measured nothing), or `'wallet'`, a press in the wallet's
 * own UI (the toolbar popup), which no page can draw over.
 */
export type ClickSeen = Presentation | 'wallet' | undefined;

/** Whether the click may pay without asking, by the user's settings. */
export function clickPresented(seen: ClickSeen, settings: PresentationSettings): boolean {
  return seen === 'wallet' || wasPresented(seen, settings);
}
