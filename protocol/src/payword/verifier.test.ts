import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchFarthingError } from '../errors.fixture.ts';
import { type ErrorCode, FarthingError } from '../errors.ts';
import { createPaywordChain } from './chain.ts';
import { day, eur, makeCommittedChain, now } from './payword.fixture.ts';
import { acceptPayment, initialVendorState, type PaywordVendorState } from './verifier.ts';

const options = { now, maxStep: 10 };

async function vendor() {
  const committed = await makeCommittedChain({ length: 100 });
  const state = initialVendorState(committed.verified);
  const { commitmentId } = committed.verified;
  const pay = (index: number, word = committed.chain.wordAt(index)) => ({
    commitmentId,
    index,
    word,
  });
  return { ...committed, state, pay };
}

describe('accepting paywords', () => {
  it('starts at w_0 with nothing spent', async () => {
    const { state, commitment, verified } = await vendor();
    expect(state).toEqual({
      commitmentId: verified.commitmentId,
      length: 100,
      valuePerWord: eur(1),
      expiresAt: commitment.expiresAt,
      lastIndex: 0,
      lastWord: commitment.root,
    });
  });

  it('accepts the next word for one payword', async () => {
    const { state, pay, chain } = await vendor();
    const result = acceptPayment(state, pay(1), options);
    expect(result.words).toBe(1);
    expect(result.amount).toEqual(eur(1));
    expect(result.state).toMatchObject({ lastIndex: 1, lastWord: chain.wordAt(1) });
  });

  it('accepts a word several steps ahead for several paywords', async () => {
    const { state, pay } = await vendor();
    const first = acceptPayment(state, pay(2), options);
    const second = acceptPayment(first.state, pay(9), options);
    expect(second.words).toBe(7);
    expect(second.amount).toEqual(eur(7));
    expect(second.state.lastIndex).toBe(9);
  });

  it('accepts the chain’s last word', async () => {
    const { pay, state } = await vendor();
    const near = { ...state, lastIndex: 95, lastWord: pay(95).word };
    expect(acceptPayment(near, pay(100), options).state.lastIndex).toBe(100);
  });

  it('rejects a replayed payword', async () => {
    const { state, pay } = await vendor();
    const { state: after } = acceptPayment(state, pay(3), options);
    expect(catchFarthingError(() => acceptPayment(after, pay(3), options))).toMatchObject({
      code: 'payword_replayed',
      details: { field: 'index', index: 3, lastIndex: 3 },
    });
    expect(catchFarthingError(() => acceptPayment(after, pay(2), options))).toMatchObject({
      code: 'payword_replayed',
    });
  });

  it('rejects an index past the end of the chain', async () => {
    const { state, pay } = await vendor();
    const near = { ...state, lastIndex: 99, lastWord: pay(99).word };
    const beyond = { ...pay(1), index: 101 };
    expect(catchFarthingError(() => acceptPayment(near, beyond, options))).toMatchObject({
      code: 'payword_out_of_range',
      details: { length: 100 },
    });
  });

  it('rejects a payment spending more paywords than maxStep', async () => {
    const { state, pay } = await vendor();
    expect(catchFarthingError(() => acceptPayment(state, pay(11), options))).toMatchObject({
      code: 'payword_out_of_range',
      details: { maxStep: 10 },
    });
  });

  it('rejects a word that does not hash to the last accepted word', async () => {
    const { state, pay } = await vendor();
    expect(
      catchFarthingError(() => acceptPayment(state, pay(1, new Uint8Array(32)), options)),
    ).toMatchObject({
      code: 'payword_mismatch',
      details: { field: 'word' },
    });
    // A genuine word claimed at the wrong index.
    expect(
      catchFarthingError(() => acceptPayment(state, pay(2, pay(3).word), options)),
    ).toMatchObject({
      code: 'payword_mismatch',
    });
  });

  it('rejects a word from another chain', async () => {
    const { state, pay } = await vendor();
    const other = createPaywordChain(new Uint8Array(32).fill(0x99), 100);
    expect(
      catchFarthingError(() => acceptPayment(state, pay(1, other.wordAt(1)), options)),
    ).toMatchObject({
      code: 'payword_mismatch',
    });
  });

  it('rejects payments once the commitment has expired', async () => {
    const { state, pay } = await vendor();
    const late = { ...options, now: state.expiresAt };
    expect(catchFarthingError(() => acceptPayment(state, pay(1), late))).toMatchObject({
      code: 'payword_commitment_expired',
    });
    acceptPayment(state, pay(1), { ...options, now: state.expiresAt - 1 });
  });

  it('rejects a payment drawing on another commitment', async () => {
    const { state, pay } = await vendor();
    const payment = { ...pay(1), commitmentId: new Uint8Array(32).fill(1) };
    expect(catchFarthingError(() => acceptPayment(state, payment, options))).toMatchObject({
      code: 'offer_mismatch',
      details: { field: 'commitmentId' },
    });
  });

  it('never mutates the state or the payment it is given', async () => {
    const { state, pay } = await vendor();
    const payment = pay(1);
    const snapshot = structuredClone({ state, payment });
    const { state: after } = acceptPayment(state, payment, options);
    expect({ state, payment }).toEqual(snapshot);
    payment.word.fill(0);
    expect(after.lastWord).toEqual(snapshot.payment.word);
  });

  it('names the field of malformed arguments', async () => {
    const { state, pay } = await vendor();
    const cases: [() => unknown, string][] = [
      [
        () => acceptPayment(state, { ...pay(1), word: new Uint8Array(31) }, options),
        'payment.word',
      ],
      [() => acceptPayment(state, { ...pay(1), index: 0 }, options), 'payment.index'],
      [() => acceptPayment({ ...state, lastIndex: 101 }, pay(1), options), 'state.lastIndex'],
      [
        () => acceptPayment({ ...state, lastWord: new Uint8Array(0) }, pay(1), options),
        'state.lastWord',
      ],
      [() => acceptPayment(state, pay(1), { now, maxStep: 0 }), 'options.maxStep'],
      [() => acceptPayment(state, pay(1), { now: Number.NaN, maxStep: 1 }), 'options.now'],
    ];
    for (const [action, field] of cases) {
      expect(catchFarthingError(action)).toMatchObject({
        code: 'invalid_argument',
        details: { field },
      });
    }
  });
});

// --- property: an oracle that knows every word decides what must happen

type Attempt =
  | { kind: 'next'; step: number }
  | { kind: 'replay'; back: number }
  | { kind: 'random'; step: number; word: Uint8Array }
  | { kind: 'otherChain'; step: number }
  | { kind: 'wrongIndex'; step: number; shift: number }
  | { kind: 'stash'; step: number }
  | { kind: 'sendStashed'; pick: number }
  | { kind: 'otherCommitment'; step: number }
  | { kind: 'late'; step: number };

const attempt: fc.Arbitrary<Attempt> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('next'), step: fc.integer({ min: 1, max: 6 }) }),
    weight: 6,
  },
  fc.record({ kind: fc.constant('replay'), back: fc.integer({ min: 0, max: 5 }) }),
  fc.record({
    kind: fc.constant('random'),
    step: fc.integer({ min: 1, max: 6 }),
    word: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('otherChain'), step: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    kind: fc.constant('wrongIndex'),
    step: fc.integer({ min: 1, max: 6 }),
    shift: fc.integer({ min: -4, max: 4 }).filter((shift) => shift !== 0),
  }),
  fc.record({ kind: fc.constant('stash'), step: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('sendStashed'), pick: fc.nat() }),
  fc.record({ kind: fc.constant('otherCommitment'), step: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('late'), step: fc.integer({ min: 1, max: 3 }) }),
) as fc.Arbitrary<Attempt>;

describe('the verifier against an oracle (property)', () => {
  it('accepts exactly the good payments, pays k × value, and is unchanged by a rejection', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 500 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(attempt, { minLength: 1, maxLength: 80 }),
        (length, maxStep, valueMinor, seed, attempts) => {
          const chain = createPaywordChain(seed, length);
          const other = createPaywordChain(
            seed.map((byte) => byte ^ 0xff),
            length,
          );
          const words = Array.from({ length: length + 1 }, (_, i) => chain.wordAt(i));
          const commitmentId = new Uint8Array(32).fill(0xc1);
          const expiresAt = now + day;
          let state: PaywordVendorState = {
            commitmentId,
            length,
            valuePerWord: eur(valueMinor),
            expiresAt,
            lastIndex: 0,
            lastWord: words[0]!,
          };
          const stash: { index: number; word: Uint8Array }[] = [];
          let paid = 0;
          const clampIndex = (index: number) => Math.min(Math.max(index, 1), 2 ** 20);
          const wordAt = (index: number) => words[index] ?? new Uint8Array(32).fill(7);

          for (const a of attempts) {
            let index: number;
            let word: Uint8Array;
            let id = commitmentId;
            let at = now;
            switch (a.kind) {
              case 'next':
              case 'late':
              case 'otherCommitment':
                index = state.lastIndex + a.step;
                word = wordAt(index);
                if (a.kind === 'late') at = expiresAt + a.step;
                if (a.kind === 'otherCommitment') id = new Uint8Array(32).fill(a.step);
                break;
              case 'replay':
                index = clampIndex(state.lastIndex - a.back);
                word = wordAt(index);
                break;
              case 'random':
                index = state.lastIndex + a.step;
                word = a.word;
                break;
              case 'otherChain':
                index = state.lastIndex + a.step;
                word = index <= length ? other.wordAt(index) : wordAt(index);
                break;
              case 'wrongIndex':
                index = clampIndex(state.lastIndex + a.step + a.shift);
                word = wordAt(state.lastIndex + a.step);
                break;
              case 'stash': {
                const stashed = state.lastIndex + a.step;
                if (stashed <= length) stash.push({ index: stashed, word: wordAt(stashed) });
                continue;
              }
              case 'sendStashed': {
                const entry = stash[a.pick % Math.max(stash.length, 1)];
                if (entry === undefined) continue;
                ({ index, word } = entry);
                break;
              }
              default: {
                const unreachable: never = a;
                throw new Error(`unhandled ${String(unreachable)}`);
              }
            }

            const expected: ErrorCode | 'accept' =
              id !== commitmentId
                ? 'offer_mismatch'
                : at >= expiresAt
                  ? 'payword_commitment_expired'
                  : index <= state.lastIndex
                    ? 'payword_replayed'
                    : index > length || index - state.lastIndex > maxStep
                      ? 'payword_out_of_range'
                      : words[index]!.every((byte, i) => byte === word[i])
                        ? 'accept'
                        : 'payword_mismatch';

            const before = structuredClone(state);
            let outcome: ErrorCode | 'accept';
            try {
              const result = acceptPayment(
                state,
                { commitmentId: id, index, word },
                {
                  now: at,
                  maxStep,
                },
              );
              outcome = 'accept';
              expect(result.words).toBe(index - state.lastIndex);
              expect(result.amount).toEqual(eur(result.words * valueMinor));
              paid += result.amount.minor;
              state = result.state;
            } catch (error) {
              if (!(error instanceof FarthingError)) throw error;
              outcome = error.code;
              expect(state).toEqual(before);
            }
            expect(outcome, `${a.kind} at index ${index}`).toBe(expected);
          }
          expect(paid).toBe(state.lastIndex * valueMinor);
        },
      ),
      { numRuns: 300 },
    );
  });
});
