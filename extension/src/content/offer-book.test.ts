import { describe, expect, it } from 'vitest';
import type { OfferView } from '../messages/contract.ts';
import { deferred, fakeBackground } from '../ui/testing/fake-background.ts';
import { payableOffer } from '../ui/testing/fixtures.ts';
import { createOfferBook } from './offer-book.ts';

const link = (n: number) => ({ offer: `offer-${n}`, href: `http://127.0.0.1:8701/articles/${n}` });

describe('createOfferBook', () => {
  it('asks at most `concurrency` questions at a time, and each once', async () => {
    const held = Array.from({ length: 6 }, () => deferred<OfferView>());
    let asked = 0;
    const background = fakeBackground({ 'offer.describe': () => held[asked++]!.promise });
    const book = createOfferBook(background.transport, 2);
    const answers = [0, 1, 2, 3, 4, 5, 0, 1].map((n) => book.describe(link(n)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(background.calls).toHaveLength(2);
    for (const one of held) one.resolve(payableOffer);
    await Promise.all(answers);
    expect(background.calls).toHaveLength(6);
    expect(book.peek(link(3))).toEqual(payableOffer);
  });

  it('turns a background that cannot be reached into a refusal', async () => {
    const book = createOfferBook(async () => {
      throw new Error('Could not establish connection. Receiving end does not exist.');
    });
    const view = await book.describe(link(1));
    expect(view.status).toBe('refused');
    expect(view.status === 'refused' && view.error.code).toBe('internal');
  });
});
