/**
 * HTML from template literals with every interpolated value escaped, unless it is already
 * `Html` (a nested template, or markup the merchant SDK rendered, such as a priced link), the
 * same escaping the SDK gives its own markup.
 */
import { escapeHtml } from '@farthing/merchant-sdk/server';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlPart = Html | string | number | undefined | null | false | readonly HtmlPart[];

export { escapeHtml };

function render(part: HtmlPart): string {
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  if (part === undefined || part === null || part === false) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlPart[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Markup from a trusted producer (the SDK's `renderPricedLink`), inserted as it is. */
export function trusted(markup: string): Html {
  return new Html(markup);
}
