/**
 * The HTML the SDK writes: priced links for the merchant's pages and the paywall page a
 * person sees at a priced URL without a grant. Every value is escaped (http.ts `escapeHtml`);
 * the offer token is base64url, but is escaped too rather than trusted to stay so.
 */
import { type Amount, formatAmount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import { escapeHtml } from './http.ts';

/** The merchant descriptor's path (DESIGN.md "Priced link", step 1). */
export const descriptorPath = '/.well-known/farthing-merchant';
/** The pay endpoint's path. */
export const payPath = '/.well-known/farthing/pay';

/** What a priced link carries. */
export interface PricedLinkMarkup {
  readonly href: string;
  readonly offerToken: string;
  readonly price: Amount;
  /** Text content; escaped. */
  readonly text: string;
  /** More attributes (`class`, `id`, `title`, `aria-*`, `data-*` other than Farthing's). */
  readonly attributes?: Readonly<Record<string, string>>;
}

const attributeName = /^[a-z][a-z0-9-]*$/;
const reservedAttributes = new Set(['href', 'data-farthing-offer', 'data-farthing-price']);

/** `<a href="…" data-farthing-offer="…" data-farthing-price="EUR 0.05">…</a>`. */
export function pricedLinkHtml(link: PricedLinkMarkup): string {
  let extra = '';
  for (const [name, value] of Object.entries(link.attributes ?? {})) {
    if (!attributeName.test(name) || reservedAttributes.has(name) || name.startsWith('on')) {
      throw new FarthingError(
        'invalid_argument',
        `attribute "${name}" cannot be set on a priced link`,
        {
          details: { field: `attributes.${name}` },
        },
      );
    }
    extra += ` ${name}="${escapeHtml(String(value))}"`;
  }
  return `<a href="${escapeHtml(link.href)}" data-farthing-offer="${escapeHtml(link.offerToken)}" data-farthing-price="${escapeHtml(formatAmount(link.price))}"${extra}>${escapeHtml(link.text)}</a>`;
}

/** What the paywall page shows. */
export interface PaywallPage {
  readonly merchantName: string;
  readonly resource: string;
  readonly title: string | undefined;
  readonly price: Amount;
  readonly offerToken: string;
  /** Why the last credential was refused, if one was. */
  readonly refusal?: string;
}

/**
 * A readable page for people, carrying the same offer as the challenge header. The Farthing
 * wallet adds its own pay bar to such a page (an element carrying `data-farthing-paywall` at the
 * document's root); the page's own pay link then hides, so there is one pay button.
 */
export function paywallHtml(page: PaywallPage): string {
  const price = escapeHtml(formatAmount(page.price));
  const name = escapeHtml(page.merchantName);
  const heading = escapeHtml(page.title ?? page.resource);
  const link = pricedLinkHtml({
    href: page.resource,
    offerToken: page.offerToken,
    price: page.price,
    text: `Pay ${formatAmount(page.price)} and continue`,
    attributes: { class: 'farthing-priced' },
  });
  const refusal =
    page.refusal === undefined
      ? ''
      : `\n<p class="refusal">The last payment was not accepted: ${escapeHtml(page.refusal)}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading} · ${price} · ${name}</title>
<link rel="farthing-merchant" href="${descriptorPath}">
<style>
body{font:1.05rem/1.55 Georgia,serif;color:#222;background:#faf8f3;margin:0}
main{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border:1px solid #e4dfd2;border-radius:6px}
.shop{font:600 .8rem/1 system-ui,sans-serif;letter-spacing:.08em;text-transform:uppercase;color:#8a7f66}
h1{font-size:1.6rem;margin:.6rem 0 1rem}
.price{font:700 1.4rem system-ui,sans-serif}
a.farthing-priced{display:inline-block;padding:.6rem 1rem;background:#1f5f4a;color:#fff;border-radius:4px;text-decoration:none;font-family:system-ui,sans-serif}
.note{color:#555;font-size:.95rem}
.refusal{color:#8b1e1e}
html:has(> [data-farthing-paywall]) .pay{display:none}
</style>
</head>
<body>
<main>
<p class="shop">${name}</p>
<h1>${heading}</h1>
<p class="price">${price}</p>
<p class="pay">${link}</p>
<p class="note">This page costs ${price}. The Farthing wallet pays it with one click, without a
card form or an account here: with the Farthing browser extension installed, click the button.
Paid pages stay open to you for a while on this browser.</p>${refusal}
</main>
</body>
</html>
`;
}
