import { describe, expect, it } from 'vitest';
import { OriginChallengeResponder } from './origin-challenges.ts';

const token = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const at = (path: string, method = 'GET') => new Request(`https://shop.example${path}`, { method });

describe('OriginChallengeResponder', () => {
  it('serves a current answer as uncached text, and forgets it once removed', async () => {
    const responder = new OriginChallengeResponder();
    responder.add(token, `${token}.thumb`);
    const answer = responder.answer(at(`/.well-known/farthing-challenge/${token}`))!;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await answer.text()).toBe(`${token}.thumb`);
    const head = responder.answer(at(`/.well-known/farthing-challenge/${token}`, 'HEAD'))!;
    expect([head.status, await head.text()]).toEqual([200, '']);

    responder.remove(token);
    expect(responder.size).toBe(0);
    expect(responder.answer(at(`/.well-known/farthing-challenge/${token}`))!.status).toBe(404);
  });

  it('keeps the challenge path to itself and leaves every other path to the site', () => {
    const responder = new OriginChallengeResponder();
    expect(responder.answer(at('/.well-known/farthing-challenge/nope'))!.status).toBe(404);
    expect(responder.answer(at(`/.well-known/farthing-challenge/${token}`, 'POST'))!.status).toBe(
      405,
    );
    expect(responder.answer(at('/.well-known/farthing-merchant'))).toBeUndefined();
    expect(responder.answer(at(`/articles/${token}`))).toBeUndefined();
    expect(() => responder.add('../x', 'y')).toThrow(TypeError);
  });
});
