import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchFarthingError } from '../errors.fixture.ts';
import { eur, makeCommittedChain } from './payword.fixture.ts';
import { verifyRedemption } from './redemption.ts';

async function broker() {
  const committed = await makeCommittedChain({
    length: 100,
    fields: { valuePerWord: eur(5) },
  });
  const at = (index: number) => ({ index, word: committed.chain.wordAt(index) });
  return { ...committed, at };
}

describe('redeeming paywords with the broker', () => {
  it('pays index × value on a chain’s first redemption', async () => {
    const { verified, at } = await broker();
    const result = verifyRedemption(verified, { next: at(12) });
    expect(result.words).toBe(12);
    expect(result.amount).toEqual(eur(60));
    expect(result.redeemed).toEqual(at(12));
  });

  it('pays only the difference on a later, longer redemption', async () => {
    const { verified, at } = await broker();
    const first = verifyRedemption(verified, { next: at(12) });
    const second = verifyRedemption(verified, { previous: first.redeemed, next: at(40) });
    expect(second.words).toBe(28);
    expect(second.amount).toEqual(eur(140));
  });

  it('owes nothing for a retried redemption of the same word', async () => {
    const { verified, at } = await broker();
    const result = verifyRedemption(verified, { previous: at(12), next: at(12) });
    expect(result.words).toBe(0);
    expect(result.amount).toEqual(eur(0));
  });

  it('rejects a shorter redemption as a replay', async () => {
    const { verified, at } = await broker();
    expect(
      catchFarthingError(() => verifyRedemption(verified, { previous: at(12), next: at(11) })),
    ).toMatchObject({ code: 'payword_replayed', details: { redeemedIndex: 12 } });
  });

  it('rejects a different word at the index already redeemed', async () => {
    const { verified, at } = await broker();
    const next = { index: 12, word: at(13).word };
    expect(
      catchFarthingError(() => verifyRedemption(verified, { previous: at(12), next })),
    ).toMatchObject({
      code: 'payword_mismatch',
    });
  });

  it('rejects a word that does not hash to the root or the last redeemed word', async () => {
    const { verified, at } = await broker();
    const forged = { index: 5, word: new Uint8Array(32).fill(5) };
    expect(catchFarthingError(() => verifyRedemption(verified, { next: forged }))).toMatchObject({
      code: 'payword_mismatch',
      details: { field: 'next.word' },
    });
    expect(
      catchFarthingError(() =>
        verifyRedemption(verified, { previous: at(3), next: { ...at(6), index: 7 } }),
      ),
    ).toMatchObject({ code: 'payword_mismatch' });
  });

  it('rejects an index past the end of the chain', async () => {
    const { verified, at } = await broker();
    expect(
      catchFarthingError(() =>
        verifyRedemption(verified, { next: { index: 101, word: at(100).word } }),
      ),
    ).toMatchObject({ code: 'payword_out_of_range' });
  });

  it('names the field of malformed arguments', async () => {
    const { verified, at } = await broker();
    const cases: [() => unknown, string][] = [
      [() => verifyRedemption(verified, { next: { index: 0, word: at(1).word } }), 'next.index'],
      [
        () => verifyRedemption(verified, { next: { ...at(1), word: new Uint8Array(3) } }),
        'next.word',
      ],
      [
        () => verifyRedemption(verified, { previous: { ...at(1), index: -1 }, next: at(2) }),
        'previous.index',
      ],
    ];
    for (const [action, field] of cases) {
      expect(catchFarthingError(action)).toMatchObject({
        code: 'invalid_argument',
        details: { field },
      });
    }
  });

  it('pays exactly final index × value over any sequence of redemptions (property)', async () => {
    const { verified, at } = await broker();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 20 }), (indices) => {
        let previous: { index: number; word: Uint8Array } | undefined;
        let paid = 0;
        for (const index of indices) {
          try {
            const result = verifyRedemption(verified, { previous, next: at(index) });
            paid += result.amount.minor;
            previous = result.redeemed;
          } catch (error) {
            expect(error).toMatchObject({ code: 'payword_replayed' });
            expect(index).toBeLessThan(previous!.index);
          }
        }
        expect(paid).toBe((previous?.index ?? 0) * 5);
      }),
      { numRuns: 100 },
    );
  });
});
