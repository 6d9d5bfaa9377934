/**
 * The wire of lost-coin recovery (seed 004 "Lost Coins"; README "Recovery"): the bank hands an
 * account the blind signatures of its latest withdrawals, and anyone may ask which spent coin
 * keys start with given short prefixes.
 *
 * The prefixes are what keeps recovery from linking coins to the account: the wallet never
 * names a coin key, only its first `spentPrefixLength` bytes, and gets back every spent key in
 * those ranges to compare locally (a k-anonymity range query, like "Have I Been Pwned"'s
 * password ranges). Every wallet sends prefixes of the same length, so the length says nothing.
 */
import * as v from 'valibot';
import { bytesSchema, timestampSchema } from '../schema.ts';
import { issuanceIdSchema } from './coin-issuance-request.ts';

/** Seed 004: the bank keeps the signatures of an account's last 16 withdrawals for recovery. */
export const recoverableWithdrawals = 16;
/** Withdrawals per page of GET /v1/mint/recovery/withdrawals. */
export const recoveryPageSize = 4;
/** Bytes of a coin key the wallet reveals per coin when asking what is spent. */
export const spentPrefixLength = 2;
export const maxSpentPrefixes = 256;
/** Spent keys per answer; `more` says to ask again after the last one. */
export const maxSpentAnswer = 1024;

export const recoveredWithdrawalSchema = v.strictObject({
  issuanceId: issuanceIdSchema,
  createdAt: timestampSchema,
  /** What the coins are worth together, e.g. `EUR 1.35` (display only). */
  total: v.pipe(v.string(), v.maxLength(64)),
  coins: v.pipe(
    v.array(
      v.strictObject({
        /** base64url of the 32-byte denomination id. */
        denominationId: v.pipe(v.string(), v.length(43)),
        signature: v.pipe(v.string(), v.maxLength(1024)),
      }),
    ),
    v.maxLength(256),
  ),
});

export const recoveredWithdrawalsSchema = v.strictObject({
  withdrawals: v.pipe(v.array(recoveredWithdrawalSchema), v.maxLength(recoveryPageSize)),
  /** The page to ask for next, or null after the last recoverable withdrawal. */
  nextPage: v.nullable(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
});

export type RecoveredWithdrawal = v.InferOutput<typeof recoveredWithdrawalSchema>;

export const spentSearchSchema = v.strictObject({
  prefixes: v.pipe(
    v.array(bytesSchema(spentPrefixLength)),
    v.minLength(1, 'expected at least one prefix'),
    v.maxLength(maxSpentPrefixes, `expected at most ${maxSpentPrefixes} prefixes`),
  ),
  /** Continue after this key (the last of the previous answer). */
  after: v.optional(bytesSchema(32)),
});

export const spentSearchAnswerSchema = v.strictObject({
  spent: v.pipe(v.array(bytesSchema(32)), v.maxLength(maxSpentAnswer)),
  more: v.boolean(),
});

// --- change: coins made from a coin are found by their issuance id's prefix, for the same reason

/** Characters of an issuance id (base64url of a hash) the wallet reveals per change: 18 bits. */
export const changePrefixLength = 3;
export const maxChangePrefixes = 64;
export const maxChangeAnswer = 64;

export const changeSearchSchema = v.strictObject({
  prefixes: v.pipe(
    v.array(
      v.pipe(
        v.string(),
        v.maxLength(changePrefixLength),
        v.regex(/^[A-Za-z0-9_-]{3}$/, `expected ${changePrefixLength} base64url characters`),
      ),
    ),
    v.minLength(1, 'expected at least one prefix'),
    v.maxLength(maxChangePrefixes, `expected at most ${maxChangePrefixes} prefixes`),
  ),
  /** Continue after this id (the last of the previous answer). */
  after: v.optional(issuanceIdSchema),
});

export const changeSearchAnswerSchema = v.strictObject({
  issuances: v.pipe(v.array(recoveredWithdrawalSchema), v.maxLength(maxChangeAnswer)),
  more: v.boolean(),
});
