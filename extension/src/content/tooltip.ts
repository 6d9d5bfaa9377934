/**
 * The tooltip beside a priced link: price, the payee's verified name and origin, what is left of
 * the site budget, whether a click asks to confirm first, or why the wallet will not pay. Its
 * state is mirrored on the host as `data-state` (never a price or a budget: the page can read
 * attributes).
 */
import type { AmountView, OfferView, PayeeView, WalletErrorJson } from '../messages/contract.ts';
import { confirmationReasonText, hintText, instrumentName, unreachable } from '../ui/wording.ts';
import {
  createShadowSurface,
  pinStyle,
  type ShadowSurface,
  surfaceFont,
  textElement,
} from './shadow-surface.ts';

export type PayableOffer = Extract<OfferView, { status: 'payable' }>;
export type OwnedOffer = Extract<OfferView, { status: 'owned' }>;

/** `until 14:05`, or `until 5 Dec, 14:05` when it is not today. */
export function accessEndText(expiresAt: number, now = Date.now()): string {
  const end = new Date(expiresAt);
  const time = end.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (end.toDateString() === new Date(now).toDateString()) return `until ${time}`;
  const day = end.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return `until ${day}, ${time}`;
}

export type TooltipView =
  | { readonly state: 'checking' }
  | { readonly state: 'payable'; readonly offer: PayableOffer }
  | {
      readonly state: 'refused';
      readonly error: WalletErrorJson;
      readonly price: AmountView | null;
      readonly payee: PayeeView | null;
    }
  | {
      readonly state: 'paying';
      readonly price: AmountView | null;
      readonly payee: PayeeView | null;
      /** The wallet said a click asks to confirm: the user is looking for its window. */
      readonly confirming: boolean;
    }
  | { readonly state: 'paid'; readonly price: AmountView; readonly payee: PayeeView | null }
  /** The user owns this already: nothing is paid, the wallet opens it. */
  | { readonly state: 'owned'; readonly offer: OwnedOffer }
  | { readonly state: 'opening'; readonly price: AmountView; readonly payee: PayeeView | null };

export type TooltipState = TooltipView['state'];

/** One line of the tooltip; `kind` picks its style. */
export interface TooltipLine {
  readonly kind: 'price' | 'payee' | 'origin' | 'detail' | 'notice' | 'error' | 'hint';
  readonly text: string;
}

export function tooltipViewOf(offer: OfferView): TooltipView {
  if (offer.status === 'payable') return { state: 'payable', offer };
  if (offer.status === 'owned') return { state: 'owned', offer };
  return {
    state: 'refused',
    error: offer.error,
    price: offer.price ?? null,
    payee: offer.payee ?? null,
  };
}

/** What the tooltip says, as data (the rendering only turns lines into text nodes). */
export function tooltipLines(view: TooltipView): TooltipLine[] {
  switch (view.state) {
    case 'checking':
      return [{ kind: 'detail', text: 'Farthing is checking this price…' }];
    case 'payable': {
      const { offer } = view;
      const lines: TooltipLine[] = [
        { kind: 'price', text: offer.price.text },
        ...payeeLines(offer.payee),
        { kind: 'detail', text: `Site budget left after this: ${offer.siteBudgetLeft.text}` },
        { kind: 'detail', text: `Paid with ${instrumentName(offer.instrument)}` },
      ];
      if (offer.confirmation !== null) {
        lines.push({
          kind: 'notice',
          text: `Asks to confirm: ${confirmationReasonText(offer.confirmation)}`,
        });
      } else {
        lines.push({ kind: 'notice', text: 'Click to pay and open.' });
      }
      return lines;
    }
    case 'refused': {
      const lines: TooltipLine[] = [];
      if (view.price !== null) lines.push({ kind: 'price', text: view.price.text });
      if (view.payee !== null) lines.push(...payeeLines(view.payee));
      lines.push({ kind: 'error', text: view.error.message });
      const hint = hintText(view.error);
      if (hint !== null) lines.push({ kind: 'hint', text: hint });
      return lines;
    }
    case 'paying':
      // While the wallet asks in its window nothing is being paid yet: say what it waits for.
      if (view.confirming) {
        return [
          ...(view.price === null ? [] : [{ kind: 'price', text: view.price.text } as const]),
          ...(view.payee === null ? [] : payeeLines(view.payee)),
          { kind: 'notice', text: 'Confirm or decline in the Farthing window.' },
        ];
      }
      return [
        {
          kind: 'price',
          text: view.price === null ? 'Paying…' : `Paying ${view.price.text}…`,
        },
        ...(view.payee === null ? [] : payeeLines(view.payee)),
      ];
    case 'owned':
      return [
        { kind: 'price', text: `Paid ${view.offer.price.text}` },
        ...payeeLines(view.offer.payee),
        { kind: 'detail', text: `Yours ${accessEndText(view.offer.grantExpiresAt)}` },
        { kind: 'notice', text: 'Click to open. Nothing is paid again.' },
      ];
    case 'opening':
      return [
        { kind: 'price', text: 'Already paid: opening…' },
        ...(view.payee === null ? [] : payeeLines(view.payee)),
      ];
    case 'paid':
      return [
        { kind: 'price', text: `Paid ${view.price.text}` },
        ...(view.payee === null ? [] : payeeLines(view.payee)),
      ];
    default:
      return unreachable(view);
  }
}

function payeeLines(payee: PayeeView): TooltipLine[] {
  return [
    { kind: 'payee', text: `to ${payee.name}` },
    { kind: 'origin', text: payee.origin },
  ];
}

// No box-shadow: the browser's occlusion check counts a shadow's blur as covering what lies
// under it, and a shadow reaching the link would make the wallet's own tooltip hide the link it
// describes (its click would then always ask). A solid border sets the card apart instead.
const css = `
.card { ${surfaceFont} }
.card { box-sizing: border-box; max-width: 300px; padding: 10px 12px; border-radius: 10px;
  background: #ffffff; color: #1b1f24; border: 2px solid #1f6f5c; }
.brand { font-size: 11px; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase;
  color: #1f6f5c; margin-bottom: 4px; }
.price { font-size: 16px; font-weight: 700; }
.payee { font-weight: 600; }
.origin { color: #4b5563; font-family: ui-monospace, 'SF Mono', Menlo, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
.detail { color: #374151; margin-top: 2px; }
.notice { margin-top: 6px; color: #1f6f5c; font-weight: 600; }
.error { margin-top: 4px; color: #9f1c1c; font-weight: 600; }
.hint { margin-top: 2px; color: #374151; }
@media (prefers-color-scheme: dark) {
  .card { background: #1d232a; color: #eef1f4; border-color: #3a434d; }
  .brand, .notice { color: #6fd3b5; }
  .origin, .detail, .hint { color: #b9c2cc; }
  .error { color: #ff9b9b; }
}
`;

export interface Tooltip {
  readonly surface: ShadowSurface;
  readonly state: TooltipState | null;
  /** Shows `view` next to `anchor`. */
  show(view: TooltipView, anchor: Element): void;
  hide(): void;
}

export function createTooltip(doc: Document): Tooltip {
  const surface = createShadowSurface(doc, 'div', 'data-farthing-tooltip', css, {
    position: 'fixed',
    'z-index': '2147483647',
    display: 'none',
    'pointer-events': 'none',
  });
  let state: TooltipState | null = null;

  return {
    surface,
    get state() {
      return state;
    },
    show(view, anchor) {
      if (!surface.host.isConnected) doc.documentElement.append(surface.host);
      render(doc, surface, view);
      state = view.state;
      pinStyle(surface.host, { display: 'block', ...placeBeside(doc, anchor) });
    },
    hide() {
      state = null;
      surface.host.removeAttribute('data-state');
      pinStyle(surface.host, { display: 'none' });
    },
  };
}

function render(doc: Document, surface: ShadowSurface, view: TooltipView): void {
  const card = doc.createElement('div');
  card.className = 'card';
  // Paying, paid and refusals are announced; the offer itself is described on hover.
  card.setAttribute(
    'role',
    view.state === 'payable' || view.state === 'checking' || view.state === 'owned'
      ? 'tooltip'
      : 'status',
  );
  card.append(textElement(doc, 'div', 'brand', 'Farthing'));
  for (const line of tooltipLines(view)) card.append(textElement(doc, 'div', line.kind, line.text));
  surface.render(view.state, card);
}

/** Below the link, or above it near the bottom of the viewport; kept inside the viewport. */
function placeBeside(doc: Document, anchor: Element): Record<string, string> {
  const rect = anchor.getBoundingClientRect();
  const viewportWidth = doc.documentElement.clientWidth || 1024;
  const viewportHeight = doc.documentElement.clientHeight || 768;
  const left = Math.max(8, Math.min(rect.left, viewportWidth - 308));
  if (rect.bottom + 160 > viewportHeight && rect.top > 160) {
    return { left: `${left}px`, top: 'auto', bottom: `${viewportHeight - rect.top + 6}px` };
  }
  return { left: `${left}px`, top: `${rect.bottom + 6}px`, bottom: 'auto' };
}
