/**
 * What the wallet core needs from its surroundings, so the same code runs in the service
 * worker and in Node tests: the network and a clock. IndexedDB and WebCrypto are the
 * platform's globals in both (fake-indexeddb in tests, real IndexedDB semantics).
 */
export interface WalletPlatform {
  /** `fetch` as the service worker has it (host permissions; cookies land in the browser's jar). */
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const globalPlatform: WalletPlatform = {
  fetch: (url, init) => fetch(url, init),
  now: () => Date.now(),
};
