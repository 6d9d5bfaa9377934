/**
 * What the bank answers, validated once where it enters the SDK (bank/src/{mint,broker,ca}/
 * routes.ts document the shapes). Objects are not strict: a newer bank may add members.
 * An answer that is not what the route promises is the bank's fault, so it becomes
 * `bank_unavailable` (nothing is served on an answer the SDK cannot read).
 */
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import {
  amountSchema,
  bytesSchema,
  countSchema,
  identifierSchema,
  parseMessage,
  timestampSchema,
} from '@farthing/protocol/schema';
import * as v from 'valibot';

/** `GET /v1/broker/key`. */
export const brokerKeyAnswer = v.object({
  brokerId: identifierSchema,
  algorithm: v.literal('Ed25519'),
  publicKey: bytesSchema(32),
});

/** `POST /v1/mint/deposits`. */
export const depositAnswer = v.object({
  depositId: v.string(),
  total: amountSchema,
  coins: countSchema,
});

/** `POST /v1/broker/redemptions`: one result per item, in request order. */
export const redemptionAnswer = v.object({
  redemptions: v.array(
    v.variant('status', [
      v.object({
        commitmentId: v.string(),
        status: v.literal('redeemed'),
        paid: amountSchema,
        index: countSchema,
      }),
      v.object({
        commitmentId: v.nullable(v.string()),
        status: v.literal('rejected'),
        problem: v.object({ code: v.string(), status: countSchema }),
      }),
    ]),
  ),
});

/** `POST /v1/merchants/me/certificates`. */
export const registrationAnswer = v.object({
  serialNumber: v.string(),
  notAfter: timestampSchema,
  chain: v.pipe(v.array(bytesSchema()), v.minLength(2)),
  pem: v.string(),
});

/** `POST /v1/merchants/me/origin-challenges`. */
export const originChallengeAnswer = v.object({
  token: v.string(),
  keyAuthorization: v.pipe(v.string(), v.maxLength(256)),
});

/** The answer as `schema` reads it; `bank_unavailable` when it does not fit. */
export function readBankAnswer<S extends v.GenericSchema>(
  schema: S,
  json: unknown,
  what: string,
): v.InferOutput<S> {
  try {
    return parseMessage(schema, json, what);
  } catch (error) {
    if (!isFarthingError(error)) throw error;
    throw new FarthingError('bank_unavailable', `the bank's answer to ${what} is malformed`, {
      details: { bankCode: error.code },
      cause: error,
    });
  }
}
