/**
 * What a click sends the vendor (Rivest & Shamir 1996, §4.3): P = (w_i, i), unsigned, plus
 * the commitment it draws on. Paying k paywords at once reveals only w_{i+k}: the vendor
 * hashes it k times. The full signed commitment rides along on a chain's first use and is
 * named by its id afterwards.
 */
import * as v from 'valibot';
import { equalBytes, toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import { bytesSchema, parseMessage } from '../schema.ts';
import { assertObject } from './arguments.ts';
import { maxPaywordChainLength, type PaywordChain, paywordWordLength } from './chain.ts';
import {
  type PaywordCommitment,
  type PaywordCommitmentJson,
  paywordCommitments,
} from './commitment.ts';

export const paywordCommitmentIdLength = 32;

export interface PaywordPayment {
  readonly commitmentId: Uint8Array;
  /** i ≥ 1: the index of the revealed word, i.e. the number of paywords spent so far. */
  readonly index: number;
  /** w_i. */
  readonly word: Uint8Array;
  /** On a chain's first use only; its id must equal `commitmentId`. */
  readonly commitment?: PaywordCommitment;
}

export interface CreatePaywordPaymentParameters {
  readonly chain: PaywordChain;
  readonly commitment: PaywordCommitment;
  /** The index to reveal: the last index spent plus the number of paywords this click costs. */
  readonly index: number;
  /** Send the whole commitment (the vendor has not seen this chain yet). */
  readonly firstUse: boolean;
}

/** The wallet reveals w_index. It checks the chain is the committed one before revealing. */
export function createPaywordPayment(params: CreatePaywordPaymentParameters): PaywordPayment {
  assertObject(params, 'params');
  const { chain, commitment, index, firstUse } = params;
  assertObject(chain, 'chain');
  const commitmentId = paywordCommitments.id(commitment);
  if (chain.length !== commitment.length || !equalBytes(chain.root, commitment.root)) {
    throw new FarthingError('invalid_argument', 'the chain is not the one this commitment signs', {
      details: { field: 'chain' },
    });
  }
  assertInteger(index, 'index', 1, commitment.length);
  if (typeof firstUse !== 'boolean') {
    throw new FarthingError('invalid_argument', 'expected boolean "firstUse"', {
      details: { field: 'firstUse' },
    });
  }
  const word = chain.wordAt(index);
  return Object.freeze(
    firstUse ? { commitmentId, index, word, commitment } : { commitmentId, index, word },
  );
}

export function assertPaywordPayment(
  value: unknown,
  field = 'payment',
): asserts value is PaywordPayment {
  assertObject(value, field);
  const p = value as PaywordPayment;
  assertBytes(p.commitmentId, `${field}.commitmentId`, paywordCommitmentIdLength);
  assertInteger(p.index, `${field}.index`, 1, maxPaywordChainLength);
  assertBytes(p.word, `${field}.word`, paywordWordLength);
}

// --- wire form

export interface PaywordPaymentJson {
  readonly commitmentId: string;
  readonly index: number;
  readonly word: string;
  readonly commitment?: PaywordCommitmentJson;
}

export const paywordPaymentSchema = v.pipe(
  v.strictObject({
    commitmentId: bytesSchema(paywordCommitmentIdLength),
    index: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(maxPaywordChainLength)),
    word: bytesSchema(paywordWordLength),
    commitment: v.optional(paywordCommitments.schema),
  }),
  v.check(
    (p) => p.commitment === undefined || p.index <= p.commitment.length,
    'index is beyond the committed chain',
  ),
  v.check(
    (p) =>
      p.commitment === undefined || equalBytes(paywordCommitments.id(p.commitment), p.commitmentId),
    'commitmentId is not the id of the enclosed commitment',
  ),
  v.transform(
    ({ commitment, ...rest }): PaywordPayment =>
      commitment === undefined ? rest : { ...rest, commitment },
  ),
);

export function paywordPaymentToJson(payment: PaywordPayment): PaywordPaymentJson {
  assertPaywordPayment(payment);
  const json = {
    commitmentId: toBase64url(payment.commitmentId),
    index: payment.index,
    word: toBase64url(payment.word),
  };
  return payment.commitment === undefined
    ? json
    : { ...json, commitment: paywordCommitments.toJson(payment.commitment) };
}

export function parsePaywordPayment(json: unknown): PaywordPayment {
  return parseMessage(paywordPaymentSchema, json, 'PayWord payment');
}
