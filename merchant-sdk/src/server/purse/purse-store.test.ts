import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expiredChallengeKeptMs, PurseStore } from './purse-store.ts';

const minute = 60_000;
let dir: string;
let store: PurseStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'farthing-purse-store-'));
  store = new PurseStore(join(dir, 'purse.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

let nonceCounter = 0;
const challengeAt = (issuedAt: number, offerHash?: Uint8Array) => ({
  nonce: Uint8Array.of(++nonceCounter >> 8, nonceCounter & 0xff, ...new Array(14).fill(7)),
  currency: 'EUR',
  amount: 5,
  issuedAt,
  expiresAt: issuedAt + 5 * minute,
  ...(offerHash === undefined ? {} : { offerHash }),
});

describe('PurseStore challenges', () => {
  it('binds a challenge to its offer in the same write', () => {
    const offer = new Uint8Array(32).fill(9);
    const tno = store.insertChallenge(challengeAt(0, offer));
    expect(store.offerOf(tno)).toEqual(offer);
    expect(store.offerOf(store.insertChallenge(challengeAt(0)))).toBeUndefined();
  });

  it('keeps the file bounded when challenges are asked for and never answered', () => {
    // A page asks for 1,000 challenges over 10 hours and pays none of them.
    let now = 0;
    for (let i = 0; i < 1000; i += 1) {
      store.insertChallenge(challengeAt(now));
      now += 36_000;
    }
    // Alive: the last 5 minutes' challenges plus the hour expired ones are kept for.
    const kept = Math.ceil((5 * minute + expiredChallengeKeptMs) / 36_000);
    expect(store.challengeCount()).toBeLessThanOrEqual(kept + 2);
    expect(store.challengeCount()).toBeGreaterThanOrEqual(kept - 2);
  });

  it('never deletes a paid challenge or one still open within its lifetime', () => {
    const paid = store.insertChallenge(challengeAt(0));
    expect(
      store.recordProof(
        { tno: paid, cardId: '0011223344556677', sno: 1, amount: 5, proof: Uint8Array.of(1) },
        1,
      ),
    ).toBe(true);
    const later = 10 * expiredChallengeKeptMs;
    const fresh = store.insertChallenge(challengeAt(later));
    for (let i = 0; i < 10; i += 1) store.insertChallenge(challengeAt(later + i));
    expect(store.challenge(paid)?.status).toBe('paid');
    expect(store.challenge(fresh)?.status).toBe('open');
  });

  it('never hands out a TNo twice, even after the challenges before it were deleted', () => {
    const issued = new Set<number>();
    let now = 0;
    let last = 0;
    for (let i = 0; i < 300; i += 1) {
      const tno = store.insertChallenge(challengeAt(now));
      expect(issued.has(tno)).toBe(false);
      expect(tno).toBeGreaterThan(last);
      issued.add(tno);
      last = tno;
      now += 30 * minute; // every earlier challenge is long expired by the next one
    }
    expect(store.challengeCount()).toBeLessThan(10);
  });
});
