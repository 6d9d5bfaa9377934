import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  grantCookie,
  grantCookieName,
  grantCookieValues,
  prefersHtml,
  readLimitedBody,
} from './http.ts';

const withAccept = (accept: string) =>
  new Request('https://shop.example/', { headers: { accept } });

describe('content negotiation', () => {
  it.each([
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['text/html', true],
    ['text/*', true],
    ['application/json', false],
    ['application/problem+json', false],
    ['application/json, text/html;q=0.5', false],
    ['text/html;q=0.5, application/json', false],
    ['text/html, application/json', false],
    ['*/*', false],
    ['', false],
  ])('Accept: %s → HTML %s', (accept, html) => {
    expect(prefersHtml(withAccept(accept))).toBe(html);
  });
});

describe('the grant cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/ and, over https, Secure with a __Host- name', () => {
    expect(
      grantCookie({ resource: '/articles/7', token: 'abc', maxAgeSeconds: 3599.7, secure: true }),
    ).toBe(
      `${grantCookieName('/articles/7', true)}=abc; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(
      grantCookie({ resource: '/articles/7', token: 'abc', maxAgeSeconds: -5, secure: false }),
    ).toBe(
      `${grantCookieName('/articles/7', false)}=abc; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`,
    );
  });

  it('has one name per resource', () => {
    expect(grantCookieName('/articles/7', false)).toMatch(/^farthing-grant-[A-Za-z0-9_-]{16}$/);
    expect(grantCookieName('/articles/7', true)).toBe(
      `__Host-${grantCookieName('/articles/7', false)}`,
    );
    expect(grantCookieName('/articles/8', false)).not.toBe(grantCookieName('/articles/7', false));
  });

  it('is read back under either name, and only for its resource', () => {
    const plain = grantCookieName('/a', false);
    const hosted = grantCookieName('/a', true);
    const request = new Request('https://shop.example/a', {
      headers: {
        cookie: `theme=dark; ${plain}=one;${hosted}=two; ${grantCookieName('/b', false)}=three`,
      },
    });
    expect(grantCookieValues(request, '/a')).toEqual(['one', 'two']);
    expect(grantCookieValues(new Request('https://shop.example/a'), '/a')).toEqual([]);
  });
});

describe('bodies', () => {
  it('refuses a body over the limit, declared or streamed', async () => {
    const declared = new Request('https://shop.example/', { method: 'POST', body: 'x'.repeat(11) });
    await expect(readLimitedBody(declared, 10)).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(6));
        controller.enqueue(new Uint8Array(6));
        controller.close();
      },
    });
    const streamed = new Request('https://shop.example/', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expect(readLimitedBody(streamed, 10)).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    const small = new Request('https://shop.example/', { method: 'POST', body: 'hello' });
    expect(new TextDecoder().decode(await readLimitedBody(small, 10))).toBe('hello');
  });

  it('answers a body that breaks off (the client went away, or was cut off) as invalid_message', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(3));
        controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      },
    });
    const broken = new Request('https://shop.example/', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expect(readLimitedBody(broken, 10)).rejects.toMatchObject({
      code: 'invalid_message',
      shortMessage: 'the request body did not arrive whole',
    });
  });
});

describe('HTML escaping', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });
});
