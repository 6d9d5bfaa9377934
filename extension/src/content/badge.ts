/**
 * The mark beside a priced link: the verified price (never the page's `data-farthing-price`), or
 * a muted sign that the wallet will not pay this one. Inserted right after the link; its host
 * carries `data-farthing-badge` and `data-state`.
 */
import type { OfferView } from '../messages/contract.ts';
import {
  createShadowSurface,
  type ShadowSurface,
  surfaceFont,
  textElement,
} from './shadow-surface.ts';
import { accessEndText } from './tooltip.ts';

const css = `
.badge { ${surfaceFont} }
.badge { display: inline-block; padding: 0 6px; border-radius: 999px;
  font-size: 11px; font-weight: 600; line-height: 18px; vertical-align: 1px; white-space: nowrap;
  background: #e3f4ee; color: #14523f; border: 1px solid #a8d8c8; }
.badge.refused { background: #f3f4f6; color: #4b5563; border-color: #d1d5db; }
.badge.struck { text-decoration: line-through; }
.badge.owned { background: #eef2ff; color: #3730a3; border-color: #c7d2fe; }
`;

export interface Badge {
  readonly surface: ShadowSurface;
  update(offer: OfferView): void;
  /** Puts the badge back after `link` if the page moved or removed it. */
  attach(link: Element): void;
  remove(): void;
}

export function createBadge(doc: Document): Badge {
  // The gap is on the host, not inside it: the browser's occlusion check snaps boxes to whole
  // pixels, and a badge box touching the link's would count as covering its last pixel column,
  // so the link would never be "visible" and every click on it would ask.
  const surface = createShadowSurface(doc, 'span', 'data-farthing-badge', css, {
    display: 'inline',
    'margin-left': '6px',
  });
  return {
    surface,
    update(offer) {
      if (offer.status === 'owned') {
        const badge = textElement(doc, 'span', 'badge owned', 'paid');
        badge.setAttribute(
          'aria-label',
          `Paid with Farthing, yours ${accessEndText(offer.grantExpiresAt)}`,
        );
        badge.title = `Paid ${offer.price.text}, yours ${accessEndText(offer.grantExpiresAt)}`;
        surface.render(offer.status, badge);
        return;
      }
      const payable = offer.status === 'payable';
      const price = offer.price?.text;
      // A refused link shows its price struck through, or a plain word when it has none.
      const text = price ?? 'not payable';
      const style = payable
        ? 'badge'
        : price === undefined
          ? 'badge refused'
          : 'badge refused struck';
      const badge = textElement(doc, 'span', style, text);
      badge.setAttribute(
        'aria-label',
        payable ? `Priced link, ${text} with Farthing` : 'Farthing will not pay this link',
      );
      surface.render(offer.status, badge);
    },
    attach(link) {
      if (link.nextSibling !== surface.host) link.after(surface.host);
    },
    remove() {
      surface.host.remove();
    },
  };
}
