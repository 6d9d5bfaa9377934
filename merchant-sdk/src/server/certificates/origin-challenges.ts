/**
 * Answering the bank's origin challenges (protocol x509/origin-challenge.ts; RFC 8555 §8.3 in
 * shape): before the bank's CA certifies an origin, it fetches
 * `<origin>/.well-known/farthing-challenge/<token>` and expects the key authorization it handed
 * the merchant. `registerWithBank({ challenges })` asks for the challenges and puts their
 * answers here for as long as the registration runs; the site's server answers from here:
 *
 *   const challenges = new OriginChallengeResponder();
 *   // in the server's request handler, before anything else:
 *   const answer = challenges.answer(request);
 *   if (answer !== undefined) return answer;
 *
 * The server must be listening on the origin before registering, since the bank fetches during
 * the registration call. Anything under the challenge path that is not a current token gets
 * 404, so the site's own routes never see that path.
 */
import {
  isOriginChallengeToken,
  originChallengePathPrefix,
} from '@farthing/protocol/x509/origin-challenge';

export class OriginChallengeResponder {
  readonly #answers = new Map<string, string>();

  /** Serves `keyAuthorization` for `token` until `remove(token)`. */
  add(token: string, keyAuthorization: string): void {
    if (!isOriginChallengeToken(token)) throw new TypeError('expected a challenge "token"');
    this.#answers.set(token, keyAuthorization);
  }

  remove(token: string): void {
    this.#answers.delete(token);
  }

  /** Tokens currently answered. */
  get size(): number {
    return this.#answers.size;
  }

  /**
   * The answer to a request for a challenge path: 200 with the key authorization, 404 for an
   * unknown token, 405 for a method other than GET or HEAD; `undefined` for any other path.
   */
  answer(request: Request): Response | undefined {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(originChallengePathPrefix)) return undefined;
    const headers = { 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8' };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { ...headers, allow: 'GET, HEAD' } });
    }
    const token = pathname.slice(originChallengePathPrefix.length);
    const answer = isOriginChallengeToken(token) ? this.#answers.get(token) : undefined;
    if (answer === undefined) return new Response('no such challenge\n', { status: 404, headers });
    return new Response(request.method === 'HEAD' ? null : answer, { status: 200, headers });
  }
}
