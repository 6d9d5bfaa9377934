import { describe, expect, it } from 'vitest';
import { toBase64url } from '../encoding.ts';
import { catchFarthingError } from '../errors.fixture.ts';
import { createPaywordChain } from './chain.ts';
import { paywordCommitments } from './commitment.ts';
import {
  createPaywordPayment,
  type PaywordPayment,
  parsePaywordPayment,
  paywordPaymentToJson,
} from './payment.ts';
import { makeCommittedChain } from './payword.fixture.ts';

describe('creating a payment', () => {
  it('reveals the word at the index and names the commitment', async () => {
    const { chain, commitment } = await makeCommittedChain();
    const payment = createPaywordPayment({ chain, commitment, index: 3, firstUse: false });
    expect(payment).toEqual({
      commitmentId: paywordCommitments.id(commitment),
      index: 3,
      word: chain.wordAt(3),
    });
  });

  it('carries the whole commitment on a chain’s first use', async () => {
    const { chain, commitment } = await makeCommittedChain();
    const payment = createPaywordPayment({ chain, commitment, index: 1, firstUse: true });
    expect(payment.commitment).toBe(commitment);
  });

  it('refuses to reveal from a chain the commitment does not sign', async () => {
    const { commitment } = await makeCommittedChain();
    const chain = createPaywordChain(new Uint8Array(32).fill(1), commitment.length);
    expect(
      catchFarthingError(() =>
        createPaywordPayment({ chain, commitment, index: 1, firstUse: false }),
      ),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'chain' } });
  });

  it('refuses index 0 (the root pays for nothing) and indices past the end', async () => {
    const { chain, commitment } = await makeCommittedChain();
    for (const index of [0, commitment.length + 1]) {
      expect(
        catchFarthingError(() =>
          createPaywordPayment({ chain, commitment, index, firstUse: false }),
        ),
      ).toMatchObject({ code: 'invalid_argument', details: { field: 'index' } });
    }
  });
});

describe('the payment wire form', () => {
  it('round-trips without and with the commitment', async () => {
    const { chain, commitment } = await makeCommittedChain();
    for (const firstUse of [false, true]) {
      const payment = createPaywordPayment({ chain, commitment, index: 7, firstUse });
      const json = JSON.parse(JSON.stringify(paywordPaymentToJson(payment)));
      expect(Object.keys(json).sort()).toEqual(
        firstUse
          ? ['commitment', 'commitmentId', 'index', 'word']
          : ['commitmentId', 'index', 'word'],
      );
      const parsed: PaywordPayment = parsePaywordPayment(json);
      expect(parsed.commitmentId).toEqual(payment.commitmentId);
      expect(parsed.index).toBe(7);
      expect(parsed.word).toEqual(payment.word);
      expect(parsed.commitment === undefined).toBe(!firstUse);
      if (parsed.commitment)
        expect(paywordCommitments.id(parsed.commitment)).toEqual(payment.commitmentId);
    }
  });

  it('rejects a commitment id that is not the enclosed commitment’s', async () => {
    const { chain, commitment } = await makeCommittedChain();
    const json = paywordPaymentToJson(
      createPaywordPayment({ chain, commitment, index: 1, firstUse: true }),
    );
    const other = toBase64url(new Uint8Array(32));
    expect(
      catchFarthingError(() => parsePaywordPayment({ ...json, commitmentId: other })),
    ).toMatchObject({
      code: 'invalid_message',
    });
  });

  it('rejects an index beyond the enclosed commitment', async () => {
    const { chain, commitment } = await makeCommittedChain();
    const json = paywordPaymentToJson(
      createPaywordPayment({ chain, commitment, index: 1, firstUse: true }),
    );
    expect(catchFarthingError(() => parsePaywordPayment({ ...json, index: 101 }))).toMatchObject({
      code: 'invalid_message',
    });
  });

  it('rejects malformed payments, naming the field', async () => {
    const { chain, commitment } = await makeCommittedChain();
    const json = paywordPaymentToJson(
      createPaywordPayment({ chain, commitment, index: 1, firstUse: false }),
    );
    const cases: [unknown, string, string][] = [
      [{ ...json, index: 0 }, 'invalid_message', 'index'],
      [{ ...json, index: 1.5 }, 'invalid_message', 'index'],
      [{ ...json, index: '1' }, 'invalid_message', 'index'],
      [{ ...json, word: json.word.slice(2) }, 'invalid_encoding', 'word'],
      [{ ...json, commitmentId: undefined }, 'invalid_message', 'commitmentId'],
      [{ ...json, price: 'EUR 1' }, 'invalid_message', 'price'],
      [null, 'invalid_message', 'PayWord payment'],
    ];
    for (const [input, code, field] of cases) {
      expect(catchFarthingError(() => parsePaywordPayment(input))).toMatchObject({
        code,
        details: { field },
      });
    }
  });

  it('refuses to serialize a payment with a malformed word', () => {
    const payment = { commitmentId: new Uint8Array(32), index: 1, word: new Uint8Array(31) };
    expect(catchFarthingError(() => paywordPaymentToJson(payment))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'payment.word' },
    });
  });
});
