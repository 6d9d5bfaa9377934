/**
 * "Pay with card" on a checkout page: an element carrying `data-farthing-card-checkout` (the
 * merchant SDK's card offer, card/checkout.ts). On the user's own plain click (`isTrusted`)
 * the content script stops the element's default (which, without a wallet, leads to a page
 * saying one is needed) and hands the offer text to the background, which checks it and asks
 * in the trusted window; a page's synthetic click does nothing. Paid, the page goes to the
 * shop's page for the order (same origin only); refused, a notice in the wallet's own closed
 * shadow tree says why. Nothing about the card comes back to the page.
 */
import { callBackground, type Transport } from '../messages/client.ts';
import type { CardPayOutcome } from '../messages/contract.ts';
import { isPlainPrimaryClick, sameOriginTarget } from './priced-links.ts';
import { createShadowSurface, surfaceFont, textElement } from './shadow-surface.ts';

export const cardCheckoutAttribute = 'data-farthing-card-checkout';

export interface CardCheckoutOptions {
  readonly transport: Transport;
  readonly pageUrl: () => string;
  readonly navigate: (url: string) => void;
  readonly noticeMs?: number;
}

const css = `.notice { ${surfaceFont} background: #fff; color: #1d1d1f; border: 1px solid #c8102e;
  border-radius: 6px; padding: 8px 12px; box-shadow: 0 2px 8px rgb(0 0 0 / 0.2); max-width: 360px; }`;

export function startCardCheckout(doc: Document, options: CardCheckoutOptions): () => void {
  const win = doc.defaultView ?? window;
  let busy = false;

  const notify = (text: string): void => {
    const surface = createShadowSurface(doc, 'div', 'data-farthing-card-notice', css, {
      position: 'fixed',
      top: '16px',
      right: '16px',
      'z-index': '2147483647',
    });
    surface.root.append(textElement(doc, 'p', 'notice', text));
    doc.documentElement.append(surface.host);
    setTimeout(() => surface.host.remove(), options.noticeMs ?? 8_000);
  };

  const onClick = (event: MouseEvent): void => {
    if (!event.isTrusted || event.defaultPrevented || !isPlainPrimaryClick(event)) return;
    const target = event.target instanceof Element ? event.target : null;
    const button = target?.closest(`[${cardCheckoutAttribute}]`);
    if (button === null || button === undefined) return;
    const offer = button.getAttribute(cardCheckoutAttribute) ?? '';
    event.preventDefault();
    event.stopImmediatePropagation();
    if (busy) return;
    busy = true;
    callBackground(options.transport, 'card.checkout', { offer })
      .then((outcome: CardPayOutcome) => {
        if (outcome.status === 'paid') {
          const next = sameOriginTarget(outcome.navigateTo, options.pageUrl());
          if (next !== null) options.navigate(next);
          return;
        }
        notify(outcome.error.message);
      })
      .catch((error: unknown) =>
        notify(error instanceof Error ? error.message : 'The wallet could not pay by card.'),
      )
      .finally(() => {
        busy = false;
      });
  };

  win.addEventListener('click', onClick, { capture: true });
  return () => win.removeEventListener('click', onClick, { capture: true });
}
