/**
 * A priced click's navigation that goes while its payment travels (DESIGN.md "Priced link",
 * step 4). When the wallet pays a link at once (PayWord, nothing to ask), the page does not wait
 * for the payment: at the click it goes to the paid resource with a fresh random id in the URL
 * (`?farthing-paying=<id>`), and the wallet's POST of the credential to the pay endpoint carries
 * the same id (`Farthing-Navigation: <id>`). A merchant that gets the navigation before it has
 * the payment holds it (briefly) until a payment carrying that id is stored, then serves it with
 * that payment's grant when the payment is for exactly that resource; a refused payment, or
 * none in time, gets the usual 402.
 *
 * The id names a navigation, it pays nothing: 16 random bytes the page's content script draws
 * (unguessable to anyone but the user's browser and this merchant), and only a payment the
 * wallet made after its own checks carries it.
 */
import { toBase64url } from '../encoding.ts';

/** The query parameter of the navigation's URL. */
export const payingParameter = 'farthing-paying';

/** The pay endpoint's request header naming the navigation the payment is for. */
export const navigationHeader = 'farthing-navigation';

/** 16 bytes in canonical unpadded base64url: 22 characters, the last one's low 4 bits zero. */
const navigationIdPattern = /^[A-Za-z0-9_-]{21}[AQgw]$/;

export function isNavigationId(text: unknown): text is string {
  return typeof text === 'string' && navigationIdPattern.test(text);
}

/** A fresh navigation id (WebCrypto's random source, in pages and in Node). */
export function newNavigationId(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** `url` with the navigation's id added (any earlier one replaced). */
export function withNavigationId(url: string, id: string): string {
  const target = new URL(url);
  target.searchParams.set(payingParameter, id);
  return target.href;
}

/** `url` without a navigation id, or undefined when it has none (what the wallet tidies away). */
export function withoutNavigationId(url: string): string | undefined {
  const target = new URL(url);
  if (!target.searchParams.has(payingParameter)) return undefined;
  target.searchParams.delete(payingParameter);
  return target.href;
}

/** The navigation id a request's URL carries, when it is well formed. */
export function navigationIdOf(url: string): string | undefined {
  const at = url.indexOf(`${payingParameter}=`);
  if (at < 0) return undefined;
  const id = new URL(url).searchParams.get(payingParameter);
  return isNavigationId(id) ? id : undefined;
}
