/**
 * On a 402 paywall page (the merchant SDK's: `<link rel="farthing-merchant">` and a priced link
 * to the page's own URL, see merchant-sdk/src/server/http/pages.ts), a small wallet bar offers to pay
 * from the page. The button is the wallet's own, inside a closed shadow root; it reacts only to
 * trusted clicks and only once it has been on screen for a moment (click-jacking).
 */
import { unreachable } from '../ui/wording.ts';
import { readPricedLink } from './priced-links.ts';
import {
  createShadowSurface,
  type ShadowSurface,
  surfaceFont,
  textElement,
} from './shadow-surface.ts';
import { type TooltipView, tooltipLines } from './tooltip.ts';

/** How long the button stays inert after it appears or changes. */
export const paywallArmDelayMs = 500;

/** The priced link to this very page on an SDK paywall page, or null on any other page. */
export function findPaywallLink(doc: Document, pageUrl: string): HTMLAnchorElement | null {
  if (doc.querySelector('link[rel~="farthing-merchant"]') === null) return null;
  let page: URL;
  try {
    page = new URL(pageUrl);
  } catch {
    return null;
  }
  for (const anchor of Array.from(doc.querySelectorAll('a.farthing-priced[data-farthing-offer]'))) {
    const link = readPricedLink(anchor);
    if (link === null) continue;
    const target = new URL(link.href);
    if (
      target.origin === page.origin &&
      target.pathname === page.pathname &&
      target.search === page.search
    ) {
      return anchor as HTMLAnchorElement;
    }
  }
  return null;
}

const css = `
.bar, button { ${surfaceFont} }
.bar { box-sizing: border-box; display: flex; gap: 12px; align-items: center; flex-wrap: wrap;
  max-width: 420px; padding: 12px 14px; border-radius: 12px; background: #ffffff; color: #1b1f24;
  border: 1px solid #d6dbe1; box-shadow: 0 10px 30px rgba(15, 23, 42, 0.22); }
.text { flex: 1 1 200px; min-width: 0; }
.brand { font-size: 11px; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase;
  color: #1f6f5c; }
.price { font-weight: 700; }
.payee { font-weight: 600; }
.origin { color: #4b5563; font-family: ui-monospace, Menlo, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
.detail, .hint { color: #374151; }
.notice { color: #1f6f5c; }
.error { color: #9f1c1c; font-weight: 600; }
button { font: inherit; font-weight: 600; padding: 8px 14px; border-radius: 8px; border: 0;
  background: #1f6f5c; color: #ffffff; cursor: pointer; }
button:disabled { background: #9ca3af; cursor: default; }
button:focus-visible { outline: 3px solid #8fd3bf; outline-offset: 2px; }
`;

export interface PaywallBar {
  readonly surface: ShadowSurface;
  readonly button: HTMLButtonElement;
  show(view: TooltipView): void;
  remove(): void;
}

/** `onPay` runs for trusted clicks on an armed, payable (or owned) button only. */
export function createPaywallBar(doc: Document, onPay: (event: MouseEvent) => void): PaywallBar {
  const surface = createShadowSurface(doc, 'div', 'data-farthing-paywall', css, {
    position: 'fixed',
    right: '16px',
    bottom: '16px',
    'z-index': '2147483647',
    display: 'block',
  });
  const button = doc.createElement('button');
  button.type = 'button';
  let armedAt = Number.POSITIVE_INFINITY;
  let payable = false;
  button.addEventListener('click', (event) => {
    if (!event.isTrusted || !payable || Date.now() < armedAt) return;
    onPay(event);
  });

  return {
    surface,
    button,
    show(view) {
      if (!surface.host.isConnected) doc.documentElement.append(surface.host);
      const wasPayable = payable;
      payable = view.state === 'payable' || view.state === 'owned';
      if (payable && !wasPayable) armedAt = Date.now() + paywallArmDelayMs;
      const bar = doc.createElement('div');
      bar.className = 'bar';
      bar.setAttribute('role', 'region');
      bar.setAttribute('aria-label', 'Farthing wallet');
      const text = doc.createElement('div');
      text.className = 'text';
      text.append(textElement(doc, 'div', 'brand', 'Farthing wallet'));
      button.textContent = buttonText(view);
      button.disabled = !payable;
      if (view.state === 'payable') {
        const { offer } = view;
        text.append(textElement(doc, 'div', 'origin', offer.payee.origin));
        if (offer.confirmation !== null) {
          text.append(textElement(doc, 'div', 'notice', 'Asks to confirm in the wallet first.'));
        }
      } else if (view.state === 'paying' && view.confirming) {
        text.append(
          textElement(doc, 'div', 'notice', 'Confirm or decline in the Farthing window.'),
        );
      } else if (view.state === 'owned') {
        text.append(
          textElement(
            doc,
            'div',
            'notice',
            'You paid for this page already: nothing is paid again.',
          ),
        );
      } else if (view.state === 'refused') {
        for (const line of tooltipLines(view)) {
          text.append(textElement(doc, 'div', line.kind, line.text));
        }
      }
      bar.append(text);
      if (view.state !== 'refused') bar.append(button);
      surface.render(view.state, bar);
    },
    remove() {
      surface.host.remove();
    },
  };
}

function buttonText(view: TooltipView): string {
  switch (view.state) {
    case 'checking':
      return 'Checking the price…';
    case 'payable':
      return `Pay ${view.offer.price.text} to ${view.offer.payee.name} with Farthing`;
    case 'refused':
      return 'Cannot pay';
    case 'paying':
      return 'Paying…';
    case 'paid':
      return 'Paid, opening…';
    case 'owned':
      return 'Open it again';
    case 'opening':
      return 'Opening…';
    default:
      return unreachable(view);
  }
}
