import { describe, expect, it } from 'vitest';
import { html, trusted } from './html.ts';
import { displayPrice } from './layout.ts';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>',
    );
  });

  it('nests templates and lists without escaping them twice, and drops empty values', () => {
    const items = ['a&b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${undefined}${false}${null}${0}`.text).toBe(
      '<ul><li>a&amp;b</li><li>c</li></ul>0',
    );
  });

  it('inserts trusted markup as it is', () => {
    expect(html`<p>${trusted('<a href="/x">x</a>')}</p>`.text).toBe('<p><a href="/x">x</a></p>');
  });
});

describe('displayPrice', () => {
  it('writes prices as the wallet does, with the currency code, from integers', () => {
    expect(displayPrice('EUR 0.05')).toBe('EUR 0.05');
    expect(displayPrice('EUR 0.20')).toBe('EUR 0.20');
    expect(displayPrice('EUR 12.00')).toBe('EUR 12.00');
    expect(displayPrice({ currency: 'USD', minor: 7 })).toBe('USD 0.07');
  });
});
