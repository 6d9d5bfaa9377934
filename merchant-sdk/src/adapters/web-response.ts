/**
 * For the adapters on web-standard `Response`s (Hono, Next.js route handlers): the SDK's
 * headers added to the application's answer.
 */

/**
 * Adds the SDK's headers (the grant cookie, the receipt, `Cache-Control: private` unless the
 * application chose a policy) to the application's response, in place when its headers are
 * mutable, else on a copy.
 */
export function withHeaders(response: Response, headers: Headers): Response {
  const apply = (target: Response) => {
    headers.forEach((value, name) => {
      if (name === 'set-cookie') return;
      if (name === 'cache-control' && target.headers.has(name)) return;
      target.headers.append(name, value);
    });
    for (const cookie of headers.getSetCookie()) target.headers.append('set-cookie', cookie);
    return target;
  };
  try {
    return apply(response);
  } catch {
    return apply(new Response(response.body, response)); // e.g. Response.redirect()
  }
}
